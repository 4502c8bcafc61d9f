"""The control server's use cases, one service per resource, over one shared context.

`Services.build` wires them: `system` (health, device, state), `runs`, `sessions`, `commands`
(beam, optics, detector, stop, pump, vent, move), `acquisitions`, `artifacts`, `operations`,
`rois`, `calibration` (the image-to-stage axes), and `simulator` (only when the driver is the
simulator). Services are synchronous (the routes run them in bounded pools, never on the event
loop), except waiting for an operation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from semphony.server.artifacts import ArtifactStore
from semphony.server.drivers.base import Driver, Persistent
from semphony.server.drivers.errors import DriverError
from semphony.server.errors import StoreError
from semphony.server.leases import LeaseManager
from semphony.server.operations import OperationRunner
from semphony.server.services._context import API_VERSION, ServiceContext
from semphony.server.services.acquisitions import AcquisitionService
from semphony.server.services.artifacts import ArtifactService
from semphony.server.services.audit import Actor, Auditor
from semphony.server.services.calibration import CalibrationService
from semphony.server.services.commands import CommandService
from semphony.server.services.operations import CANCEL_SETTLE_S, OperationService
from semphony.server.services.rois import RoiService
from semphony.server.services.runs import RunService
from semphony.server.services.sessions import SessionService
from semphony.server.services.system import SystemService
from semphony.server.settings import ServerSettings
from semphony.server.store import Operation, Store
from semphony.server.watch import OperationWatch

if TYPE_CHECKING:
    from semphony.server.services.simulator import SimulatorService

__all__ = ["API_VERSION", "CANCEL_SETTLE_S", "Actor", "Services"]

_log = logging.getLogger("semphony.server")

_COMMAND_OF_KIND = {
    "pump": "chamber.pump",
    "vent": "chamber.vent",
    "move": "stage.move",
    "acquisition": "acquisition.start",
    "calibration": "stage.calibrate",
}


def _clock_of(driver: Driver) -> float | None:
    try:
        return float(driver.clock_s())
    except Exception as exc:  # the audit entry must not fail because the device did
        _log.warning("cannot read the instrument clock for the audit log: %s", exc)
        return None


@dataclass
class Services:
    """Every service of one server process."""

    ctx: ServiceContext
    system: SystemService
    runs: RunService
    sessions: SessionService
    commands: CommandService
    acquisitions: AcquisitionService
    artifacts: ArtifactService
    operations: OperationService
    rois: RoiService
    calibration: CalibrationService
    simulator: SimulatorService | None

    @classmethod
    def build(
        cls, *, settings: ServerSettings, store: Store, artifacts: ArtifactStore, driver: Driver
    ) -> Services:
        """Wire the services over an opened driver and an open store."""
        watch = OperationWatch()
        auditor = Auditor(store, lambda: _clock_of(driver))
        leases = LeaseManager(store, lease_s=settings.lease_s)
        runner = OperationRunner(store, watch)
        ctx = ServiceContext(settings, store, artifacts, driver, leases, runner, watch, auditor)
        runs = RunService(ctx)
        sessions = SessionService(ctx, runs)
        commands = CommandService(ctx, sessions)
        simulator = None
        from semphony.server.drivers.sim import SimDriver

        if isinstance(driver, SimDriver):
            from semphony.server.services.simulator import SimulatorService

            simulator = SimulatorService(ctx, driver, commands)
        calibration = CalibrationService(ctx, commands)
        services = cls(
            ctx=ctx,
            system=SystemService(ctx, simulator=simulator is not None, calibration=calibration),
            runs=runs,
            sessions=sessions,
            commands=commands,
            acquisitions=AcquisitionService(ctx, commands),
            artifacts=ArtifactService(ctx),
            operations=OperationService(ctx, runs),
            rois=RoiService(ctx),
            calibration=calibration,
            simulator=simulator,
        )
        leases.on_expire = sessions.on_expire
        runner.on_finish = services._audit_end
        runner.after_finish = lambda op: ctx.persist()
        runner.discard = lambda artifact: artifacts.remove(artifact.image_id)
        return services

    def start(self) -> None:
        """Claim the instrument's name, restore a persistent driver, fail interrupted
        operations, forget half-done requests."""
        ctx = self.ctx
        # First: until the name is ours, another live server may be driving this instrument's
        # operations and leases, and they are not ours to fail or end.
        ctx.store.instruments.claim(ctx.store.instrument, ctx.settings.public_url)
        driver = ctx.driver
        if isinstance(driver, Persistent):
            snapshot = ctx.store.snapshots.load()
            restored = False
            if snapshot is not None:
                try:
                    driver.restore(snapshot)
                    restored = True
                except (ValueError, KeyError, TypeError, DriverError) as exc:
                    # Another seed or specimen than the data dir was used with: start afresh
                    # rather than refuse to serve, and say so.
                    _log.warning("the saved instrument state does not fit this driver: %s", exc)
            if not restored:
                ctx.persist()
        for op in ctx.store.operations.mark_interrupted():
            _log.warning("operation %s (%s) was interrupted by a restart", op.id, op.kind)
        ctx.store.idempotency.drop_pending()
        ctx.store.idempotency.purge()
        ctx.artifacts.remove_temporary_files()
        self._reconcile_artifacts()
        self.system.check_driver()

    def _reconcile_artifacts(self) -> None:
        """A file written but never recorded (a kill between its rename and its commit) is moved
        to ``orphans/``; a record whose file is gone is said in the log."""
        ctx = self.ctx
        on_disk = set(ctx.artifacts.image_ids())
        recorded = {a.image_id for a in ctx.store.artifacts.all()}
        orphans = sorted(on_disk - recorded)
        for image_id in orphans:
            ctx.artifacts.set_aside(image_id)
        if orphans:
            _log.warning(
                "moved %d artifact file(s) that no record knows to %s",
                len(orphans),
                ctx.artifacts.data_dir / "orphans",
            )
        missing = sorted(recorded - on_disk)
        if missing:
            _log.warning("%d recorded artifact(s) have no file: %s", len(missing), missing[:10])

    def flush(self) -> None:
        """Write what the store refused before (ends, lease changes, audit entries)."""
        ctx = self.ctx
        ctx.runner.flush()
        ctx.leases.flush()
        ctx.auditor.flush()

    def close(self) -> None:
        """Stop the running operation, save a persistent driver's state, release the name."""
        self.ctx.runner.close()
        self.ctx.persist()
        try:
            self.ctx.store.instruments.release(self.ctx.store.instrument)
        except StoreError as exc:
            # It goes stale on its own; a restart on this host takes it over at once.
            _log.warning("cannot release the instrument's claim: %s", exc)

    def heartbeat(self) -> None:
        """Renew the instrument's claim (the watchdog calls this); a lost claim is said loudly."""
        if not self.ctx.store.instruments.heartbeat(self.ctx.store.instrument):
            _log.error(
                "the claim on instrument %r was taken over by another server; stop one of them",
                self.ctx.store.instrument,
            )

    def expire_leases(self) -> None:
        """End an overdue lease (the watchdog calls this); expiry makes the device safe."""
        self.ctx.leases.expire_if_due()

    def _audit_end(self, op: Operation) -> None:
        problem = op.problem or {}
        self.ctx.auditor.record(
            None,
            _COMMAND_OF_KIND.get(op.kind, op.kind),
            {},
            outcome=op.status if op.status in ("succeeded", "failed", "cancelled") else "failed",
            status_code=int(problem.get("status", 200)),
            reason=problem.get("reason"),
            facts={"session_id": op.session_id, "run_id": op.run_id, "operation_id": op.id},
            clock_s=self.ctx.auditor.clock_s(),
        )
