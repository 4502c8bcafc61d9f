"""The axis calibration: measured as an operation of a session, stored per instrument."""

from __future__ import annotations

from typing import Any

from semphony.server import schemas
from semphony.server.calibration import POOR_FIT_FRACTION, calibrate_axes, move_targets
from semphony.server.drivers import ScanRequest
from semphony.server.errors import ProblemError
from semphony.server.operations import OperationContext, Outcome, Prepared
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.services.commands import CommandService

__all__ = ["CalibrationService"]


class CalibrationService:
    """`POST /v1/sessions/{id}/calibration` (an operation) and `GET /v1/calibration`."""

    def __init__(self, ctx: ServiceContext, commands: CommandService) -> None:
        self._ctx = ctx
        self._commands = commands

    @property
    def instrument(self) -> str:
        return self._ctx.settings.instrument

    def start(
        self, actor: Actor, session_id: str, body: schemas.CalibrationRequest
    ) -> schemas.Operation:
        ctx = self._ctx
        driver = ctx.driver

        def prepare() -> Prepared:
            state = driver.state()
            fov_um = state.fov_um if body.fov_um is None else body.fov_um
            # The beam must be on and the field within the device's range, as for any scan, and
            # every move within travel: refused before the first frame, not halfway.
            driver.prepare_acquire(ScanRequest(fov_um=fov_um))
            for target in move_targets(state.stage, body.step_fraction * fov_um):
                driver.prepare_move(target)

            def work(op: OperationContext) -> Outcome:
                found = calibrate_axes(
                    driver,
                    fov_um=fov_um,
                    step_fraction=body.step_fraction,
                    resolution=body.resolution,
                    progress=op.progress,
                    cancel=op.cancel_event,
                )
                if found.poor:
                    raise ProblemError(
                        409,
                        f"the calibration did not fit: a residual of {found.residual_um:.3g} µm "
                        f"over moves of {found.step_um:.3g} µm (at most "
                        f"{POOR_FIT_FRACTION:.0%} of a move); nothing was stored. Calibrate "
                        "where the specimen shows texture at this field of view, and check that "
                        "the stage moves",
                        reason="calibration.poor_fit",
                    )
                name = self.instrument
                saved = ctx.store.calibrations.save(name, found.document(name))
                return Outcome(_document(saved.calibration, saved.measured_at.isoformat()))

            return Prepared(5, work)

        params = body.model_dump(mode="json", exclude_unset=True)
        return self._commands.submit(
            actor,
            "stage.calibrate",
            session_id,
            params,
            kind="calibration",
            unit="frames",
            prepare=prepare,
        )

    def current(self) -> dict[str, Any] | None:
        """The stored calibration of this instrument, or None."""
        saved = self._ctx.store.calibrations.get(self.instrument)
        if saved is None:
            return None
        return _document(saved.calibration, saved.measured_at.isoformat())

    def get(self) -> dict[str, Any]:
        found = self.current()
        if found is None:
            raise ProblemError(
                404,
                f"instrument {self.instrument!r} has no axis calibration; run `semphony "
                "calibrate` (POST /v1/sessions/{session_id}/calibration)",
                reason="calibration.missing",
            )
        return found


def _document(calibration: dict[str, Any], measured_at: str) -> dict[str, Any]:
    return {**calibration, "measured_at": measured_at}
