"""Saved ROI records."""

from __future__ import annotations

from typing import Any

from semphony.server import mapping, schemas
from semphony.server.errors import ProblemError
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor

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
        return mapping.roi_document(saved.record, saved.created_at), not existed

    def list(self, specimen_id: str | None) -> list[dict[str, Any]]:
        docs = [mapping.roi_document(r.record, r.created_at) for r in self._ctx.store.rois.all()]
        if specimen_id is not None:
            docs = [d for d in docs if d.get("specimen_id") == specimen_id]
        return docs

    def get(self, name: str) -> dict[str, Any]:
        roi = self._ctx.store.rois.get(name)
        if roi is None:
            raise ProblemError(404, f"no ROI named {name!r}", reason="not_found")
        return mapping.roi_document(roi.record, roi.created_at)
