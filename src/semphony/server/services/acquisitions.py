"""Acquisitions: check once, scan as an operation, write the TIFF artifact with its settings."""

from __future__ import annotations

from typing import Any

from semphony.server import mapping, schemas
from semphony.server.drivers.types import Frame
from semphony.server.operations import OperationContext, Outcome, Prepared
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.services.commands import CommandService
from semphony.server.store import ArtifactRecord, new_id

__all__ = ["AcquisitionService"]


class AcquisitionService:
    """`POST /v1/sessions/{id}/acquisitions`: the scan and its artifact."""

    def __init__(self, ctx: ServiceContext, commands: CommandService) -> None:
        self._ctx = ctx
        self._commands = commands

    def start(
        self, actor: Actor, session_id: str, body: schemas.AcquisitionConfig
    ) -> schemas.Operation:
        driver = self._ctx.driver
        request = mapping.scan_request(body)
        labels = {"roi_name": body.roi_name, "roi_level": body.roi_level}

        def prepare() -> Prepared:
            plan = driver.prepare_acquire(request)

            def work(op: OperationContext) -> Outcome:
                frame = driver.run_acquire(plan, op.progress, op.cancel_event)
                return self._record(op.operation_id, session_id, frame, labels)

            return Prepared(plan.resolution[1], work)

        return self._commands.submit(
            actor,
            "acquisition.start",
            session_id,
            body.model_dump(mode="json", exclude_unset=True),
            kind="acquisition",
            unit="lines",
            prepare=prepare,
        )

    def _record(
        self, operation_id: str, session_id: str, frame: Frame, labels: dict[str, Any]
    ) -> Outcome:
        """Write the frame as an artifact; the result the operation answers, and its record."""
        ctx = self._ctx
        session = ctx.store.sessions.get(session_id)
        image_id = new_id("img")
        height, width = (int(n) for n in frame.pixels.shape)
        meta: dict[str, Any] = {
            "applied": frame.applied,
            "ignored_fields": list(frame.ignored_fields),
            **labels,
            "stage": frame.stage.to_dict(),
            "clock_s_start": frame.clock_s_start,
            "clock_s_end": frame.clock_s_end,
            "run_id": session.run_id if session is not None else None,
            "session_id": session_id,
        }
        settings = {**meta, "operation_id": operation_id, "state": frame.state.to_dict()}
        info = ctx.artifacts.write(
            image_id,
            frame.pixels,
            pixel_size_um=float(frame.applied["pixel_size_um"]),
            settings=settings,
        )
        meta["sha256"] = info.sha256
        record = ArtifactRecord(
            image_id=image_id,
            operation_id=operation_id,
            path=info.path,
            sha256=info.sha256,
            size_bytes=info.size_bytes,
            mime=info.mime,
            width=width,
            height=height,
        )
        result = schemas.AcquisitionResult(
            correlation_id=operation_id,
            image_id=image_id,
            remote_path=str(ctx.artifacts.data_dir.resolve() / info.path),
            mime=info.mime,
            size=(width, height),
            metadata=meta,
        )
        return Outcome(result.model_dump(mode="json"), (record,))
