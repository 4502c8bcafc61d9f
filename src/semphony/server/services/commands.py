"""Commands on a session: beam, optics, detector, stop, and the long ones (pump, vent, move).

Every command needs the session's lease, is audited, and goes to the driver, whose template
methods check it once against one state read. Long commands become operations; beam off and stop
never wait for one: they stop what runs and act at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from semphony.server import mapping, schemas
from semphony.server.drivers import ScanRequest
from semphony.server.operations import OperationContext, Outcome, Prepared
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.services.sessions import SessionService

__all__ = ["CommandService"]

_MOTION = frozenset({"acquisition", "move"})


class CommandService:
    """The session-scoped commands."""

    def __init__(self, ctx: ServiceContext, sessions: SessionService) -> None:
        self._ctx = ctx
        self._sessions = sessions

    def state(self) -> schemas.InstrumentState:
        """The state after a command, as the command answers it."""
        ctx = self._ctx
        return mapping.state_model(
            ctx.driver.state(), ctx.leases.current(), ctx.runner.active_operation_id
        )

    def set_beam(
        self, actor: Actor, session_id: str, body: schemas.BeamRequest
    ) -> schemas.InstrumentState:
        ctx = self._ctx
        override = not body.on and self._sessions.override(actor, session_id)
        params: dict[str, Any] = {"on": body.on, **({"override": True} if override else {})}
        with ctx.auditor.audited(actor, "beam.set", params, session_id=session_id):
            if not override:
                self._sessions.hold(actor, session_id)
            if not body.on:
                # Beam off is always allowed: a scan without a beam is over, so stop it first
                # (without waiting for it); a pump or a move goes on.
                ctx.runner.cancel_active(frozenset({"acquisition"}))
            ctx.driver.set_beam(body.on)
        ctx.persist()
        return self.state()

    def stop(self, actor: Actor, session_id: str) -> schemas.InstrumentState:
        """Stop a running scan or stage move and halt the stage; the beam is left as it is."""
        ctx = self._ctx
        override = self._sessions.override(actor, session_id)
        params = {"override": True} if override else {}
        with ctx.auditor.audited(actor, "session.stop", params, session_id=session_id):
            if not override:
                self._sessions.hold(actor, session_id)
            ctx.runner.cancel_active(_MOTION)
            ctx.driver.stop_motion()
        ctx.persist()
        return self.state()

    def set_optics(
        self, actor: Actor, session_id: str, body: schemas.OpticsSettings
    ) -> schemas.InstrumentState:
        ctx = self._ctx
        params = body.model_dump(mode="json", exclude_unset=True)
        with ctx.auditor.audited(actor, "optics.set", params, session_id=session_id):
            self._sessions.hold(actor, session_id)
            ctx.runner.ensure_idle()
            ctx.driver.set_optics(mapping.optics_settings(body))
        ctx.persist()
        return self.state()

    def set_detector(
        self, actor: Actor, session_id: str | None, command: str, params: Mapping[str, Any]
    ) -> schemas.InstrumentState:
        """Select the detector, its bit depth, gain and offset (`params` as the wire named them)."""
        ctx = self._ctx
        with ctx.auditor.audited(actor, command, params, session_id=session_id):
            if session_id is not None:
                self._sessions.hold(actor, session_id)
            ctx.runner.ensure_idle()
            ctx.driver.set_detector(
                mapping.detector_settings(
                    mode=params.get("mode"),
                    channel=params.get("channel"),
                    bit_depth=params.get("bit_depth"),
                    gain=params.get("gain"),
                    offset=params.get("offset"),
                )
            )
        ctx.persist()
        return self.state()

    # ---- operations

    def submit(
        self,
        actor: Actor,
        command: str,
        session_id: str,
        params: Mapping[str, Any],
        *,
        kind: str,
        unit: str,
        prepare: Callable[[], Prepared],
    ) -> schemas.Operation:
        """Audit and start a long command as an operation of the session's run."""
        ctx = self._ctx
        with ctx.auditor.audited(
            actor, command, params, session_id=session_id, outcome="accepted", status_code=202
        ) as facts:
            session = self._sessions.hold(actor, session_id)
            op = ctx.runner.submit(
                kind=kind,
                run_id=session.run_id,
                session_id=session.id,
                params=params,
                unit=unit,
                prepare=prepare,
            )
            facts["operation_id"] = op.id
        return mapping.operation_model(op)

    def pump(self, actor: Actor, session_id: str) -> schemas.Operation:
        return self._vacuum(actor, session_id, "pump")

    def vent(self, actor: Actor, session_id: str) -> schemas.Operation:
        return self._vacuum(actor, session_id, "vent")

    def _vacuum(self, actor: Actor, session_id: str, kind: str) -> schemas.Operation:
        driver = self._ctx.driver

        def prepare() -> Prepared:
            plan = driver.prepare_pump() if kind == "pump" else driver.prepare_vent()

            def work(op: OperationContext) -> Outcome:
                return Outcome({"vacuum": driver.run_vacuum(plan, op.progress, op.cancel_event)})

            return Prepared(plan.total, work)

        return self.submit(
            actor, f"chamber.{kind}", session_id, {}, kind=kind, unit="s", prepare=prepare
        )

    def move_stage(
        self, actor: Actor, session_id: str, body: schemas.StageMove
    ) -> schemas.Operation:
        driver = self._ctx.driver
        target = mapping.stage_target(body)

        def prepare() -> Prepared:
            plan = driver.prepare_move(target)

            def work(op: OperationContext) -> Outcome:
                pose = driver.run_move(plan, op.progress, op.cancel_event)
                return Outcome({"pose": pose.to_dict()})

            return Prepared(plan.total, work)

        params = body.model_dump(mode="json", exclude_unset=True)
        return self.submit(
            actor, "stage.move", session_id, params, kind="move", unit="steps", prepare=prepare
        )

    def autofocus(
        self, actor: Actor, session_id: str, body: schemas.AutofocusRequest
    ) -> schemas.Operation:
        driver = self._ctx.driver
        span = 0.3 if body.span_mm is None else body.span_mm

        def prepare() -> Prepared:
            # The beam must be on, as for any scan; the sweep checks each frame again.
            driver.prepare_acquire(ScanRequest(fov_um=body.fov_um))

            def work(op: OperationContext) -> Outcome:
                found = driver.autofocus(
                    fov_um=body.fov_um, span_mm=span, progress=op.progress, cancel=op.cancel_event
                )
                return Outcome(asdict(found))

            return Prepared(0, work)

        params = body.model_dump(mode="json", exclude_unset=True)
        return self.submit(
            actor,
            "optics.autofocus",
            session_id,
            params,
            kind="autofocus",
            unit="frames",
            prepare=prepare,
        )

    def auto_signal(self, actor: Actor, session_id: str) -> schemas.Operation:
        driver = self._ctx.driver

        def prepare() -> Prepared:
            start = driver.prepare_auto_signal()

            def work(op: OperationContext) -> Outcome:
                found = driver.run_auto_signal(start, op.progress, op.cancel_event)
                return Outcome(asdict(found))

            return Prepared(0, work)

        return self.submit(
            actor,
            "detector.auto_signal",
            session_id,
            {},
            kind="auto_signal",
            unit="frames",
            prepare=prepare,
        )
