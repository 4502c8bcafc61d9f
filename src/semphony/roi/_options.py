"""The options of `save_roi` and `find_roi`, named once for the sync and async shells."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal, TypedDict

from semphony.models import AcquisitionConfig

__all__ = ["FindArgs", "ProgressOption", "SaveArgs", "Start"]

Start = Literal["saved", "current"]
ProgressOption = bool | Callable[[int, int, str], None] | None
"""`True` shows a rich display; a callable gets `(levels_done, levels_total, message)`."""


class SaveArgs(TypedDict, total=False):
    """`save_roi`'s options: the specimen's id, whether to replace a record of that name, and a
    progress display over the levels."""

    specimen_id: str | None
    overwrite: bool
    progress: ProgressOption


class FindArgs(TypedDict, total=False):
    """`find_roi`'s options (see `semphony.roi.find_roi`)."""

    config: AcquisitionConfig | None
    start: Start
    tolerance_um: float | None
    max_iterations_per_level: int
    report: str | os.PathLike[str] | None
    progress: ProgressOption
