"""Saved ROI records."""

from __future__ import annotations

from typing import Any

from semphony.server import mapping, schemas
from semphony.server.errors import ProblemError
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.store import RoiRecord

__all__ = ["RoiService"]


class RoiService:
    """Save, list and read ROI records."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def save(
        self, actor: Actor, body: schemas.RoiRecordCreate, overwrite: bool
    ) -> tuple[dict[str, Any], bool]:
        """Save a record; the document and whether it is new (201) or replaced one (200)."""
        store = self._ctx.store
        record = body.model_dump(mode="json")
        params = {"name": body.name, "overwrite": overwrite}
        with self._ctx.auditor.audited(actor, "roi.save", params), store.transaction():
            existed = store.rois.get(body.name) is not None
            saved = store.rois.save(body.name, record, overwrite=overwrite)
        return _document(saved), not existed

    def list(self, specimen_id: str | None, instrument: str | None = None) -> list[dict[str, Any]]:
        docs = [_document(r) for r in self._ctx.store.rois.all(instrument)]
        if specimen_id is not None:
            docs = [d for d in docs if d.get("specimen_id") == specimen_id]
        return docs

    def get(self, name: str, instrument: str | None = None) -> dict[str, Any]:
        """This instrument's record `name`, or `instrument`'s (names are unique per instrument)."""
        roi = self._ctx.store.rois.get(name, instrument)
        if roi is None:
            where = "" if instrument is None else f" on instrument {instrument!r}"
            raise ProblemError(404, f"no ROI named {name!r}{where}", reason="not_found")
        return _document(roi)


def _document(roi: RoiRecord) -> dict[str, Any]:
    return mapping.roi_document(roi.record, roi.created_at, roi.instrument)
