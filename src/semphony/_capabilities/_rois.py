"""The saved ROI records, as steps: list, retrieve, find (None when absent) and save."""

from __future__ import annotations

from semphony._exceptions import NotFoundError
from semphony._records import RoiRecord
from semphony._wire import Steps, calls

__all__ = ["find_record"]


def find_record(name: str, instrument: str | None = None) -> Steps[RoiRecord | None]:
    """The record `name` (of `instrument`), None if there is none."""
    try:
        record: RoiRecord = yield calls.get_roi(name, instrument)
    except NotFoundError:
        return None
    return record
