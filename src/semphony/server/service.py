"""The control server's use cases: what each route does, with its checks and its audit entry.

Routes stay thin and call `ControlService`. Every command is audited (who, when, parameters,
outcome), refused ones included; long commands run as operations through `OperationRunner`; the
driver's template methods enforce the interlocks and ranges, whatever the client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import Any, Protocol, TypeVar, runtime_checkable

from semphony.server import schemas
from semphony.server.artifacts import ArtifactStore, InvalidArtifactIdError
from semphony.server.drivers.base import (
    Cancelled,
    DeviceFault,
    DeviceInfo,
    Driver,
    DriverError,
    InstrumentStateSnapshot,
    InterlockError,
    OpticsSettings,
    RangeError,
    ScanRequest,
    StageTarget,
)
from semphony.server.operations import (
    OperationCancelled,
    OperationContext,
    OperationRunner,
    Outcome,
    Work,
)
from semphony.server.problems import ProblemError, as_problem
from semphony.server.security import (
    LEASE_EXPIRED,
    Authenticator,
    LeaseManager,
    Principal,
)
from semphony.server.settings import ServerSettings
from semphony.server.store import (
    ArtifactRecord,
    AuditOutcome,
    AuditRecord,
    JsonObject,
    Operation,
    Run,
    Session,
    Store,
    new_id,
)

__all__ = ["API_VERSION", "Actor", "ArtifactFile", "ControlService", "driver_problem"]

_log = logging.getLogger("semphony.server")

API_VERSION = "1.0"
_LIST_LIMIT = 10_000
_MAX_SQLITE_INT = 2**63 - 1
_T = TypeVar("_T")


def _server_version() -> str:
    try:
        return metadata.version("semphony")
    except metadata.PackageNotFoundError:
        return "0.0.0"


@dataclass(frozen=True)
class Actor:
    """Who sent a command, and which request it was (its ``X-Request-Id``, for the audit log)."""

    principal: Principal
    method: str
    path: str
    request_id: str | None = None


@dataclass(frozen=True)
class ArtifactFile:
    """An artifact ready to stream: its chunks, size and sha256."""

    chunks: Iterator[bytes]
    size_bytes: int
    sha256: str
    mime: str


@runtime_checkable
class _Simulator(Protocol):
    """The simulator-only controls a `sim` driver adds to the `Driver` interface."""

    seed: int

    def reload(
        self,
        shift_x_um: float | None = None,
        shift_y_um: float | None = None,
        rotation_deg: float | None = None,
    ) -> dict[str, Any]: ...

    def truth(self, x_mm: float | None = None, y_mm: float | None = None) -> dict[str, Any]: ...

    def inject_fault(self, kind: str, **params: Any) -> dict[str, Any]: ...

    def clear_faults(self) -> None: ...

    def set_detector_response(
        self, gain: float | None = None, offset: float | None = None, gamma: float | None = None
    ) -> InstrumentStateSnapshot: ...


def driver_problem(exc: DriverError) -> ProblemError:
    """The problem document for a driver error (409 interlock, 422 range, 502 device)."""
    if isinstance(exc, InterlockError):
        return ProblemError(409, exc.detail, reason=exc.reason, title="Refused by an interlock")
    if isinstance(exc, RangeError):
        return ProblemError(
            422,
            exc.detail,
            reason=exc.reason,
            title="Out of range",
            errors=[{"field": f"body.{exc.field}", "rule": exc.reason, "message": exc.detail}],
        )
    if isinstance(exc, DeviceFault):
        code = _device_code(exc.device_code)
        message = exc.device_message
        if code is None:
            message = f"{exc.device_code}: {message}"
        return ProblemError(
            502,
            f"the device reported an error: {message}",
            reason="device.error",
            title="Device error",
            device_code=code,
            device_message=message,
        )
    if isinstance(exc, Cancelled):
        return ProblemError(409, str(exc) or "cancelled", reason="operation.cancelled")
    return ProblemError(502, str(exc) or "the device failed", reason="device.error")


def _device_code(raw: object) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        return int(str(raw))
    except ValueError:
        return None


def _problem_of(exc: BaseException) -> ProblemError:
    if isinstance(exc, DriverError):
        return driver_problem(exc)
    return as_problem(exc)


class ControlService:
    """Every use case of the control server, over the store, the driver and the lease."""

    def __init__(
        self,
        *,
        settings: ServerSettings,
        store: Store,
        artifacts: ArtifactStore,
        driver: Driver,
    ) -> None:
        self.settings = settings
        self.store = store
        self.artifacts = artifacts
        self.driver = driver
        self.authenticator = Authenticator.from_settings(settings)
        self.leases = LeaseManager(store, lease_s=settings.lease_s, on_expire=self._on_expire)
        self.runner = OperationRunner(store, on_finish=self._on_operation_finished)
        # Per-session lease durations (SessionStart.lease_s); the store keeps only the expiry.
        self._lease_s: dict[str, float] = {}
        self._persist_lock = threading.Lock()
        self._server_version = _server_version()

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Restore the simulator, fail interrupted operations and forget half-done requests."""
        snapshot = self.store.load_sim_state()
        restored = False
        if snapshot is not None:
            try:
                self.driver.restore(snapshot)
                restored = True
            except (ValueError, KeyError, TypeError, DriverError) as exc:
                # Another driver, seed or specimen than the data dir was used with: start afresh
                # rather than refuse to serve, and say so.
                _log.warning("the saved instrument state does not fit this driver: %s", exc)
        if not restored:
            self._persist()
        for op in self.store.mark_interrupted_operations():
            _log.warning("operation %s (%s) was interrupted by a restart", op.id, op.kind)
        self.store.drop_pending_idempotency()
        self.store.purge_idempotency()
        self.artifacts.remove_temporary_files()

    def close(self) -> None:
        """Stop the running operation and save the simulator's state."""
        self.runner.close()
        self._persist()

    def expire_leases(self) -> None:
        """End an overdue lease (the watchdog calls this); expiry makes the device safe."""
        self.leases.expire_if_due()

    def _on_expire(self, session: Session) -> None:
        _log.warning("the lease of session %s expired; stopping the instrument", session.id)
        self.runner.cancel_active()
        try:
            self.driver.safe_stop()
        except DriverError as exc:
            _log.error("safe stop after lease expiry failed", exc_info=exc)
        self.store.append_audit(
            method="-",
            path="-",
            command="lease.expired",
            outcome="succeeded",
            params={"holder": session.holder},
            session_id=session.id,
            run_id=session.run_id,
            status_code=200,
            reason=LEASE_EXPIRED,
            clock_s=self._clock_s(),
        )

    def _persist(self) -> None:
        # The driver's snapshot is saved after every state change, so a SIGKILLed server comes
        # back with the same specimen, placement and stage.
        with self._persist_lock:
            try:
                self.store.save_sim_state(self.driver.snapshot())
            except Exception as exc:
                _log.error("cannot save the driver snapshot", exc_info=exc)

    # ------------------------------------------------------------------------------- auditing

    def _clock_s(self) -> float | None:
        """The instrument's clock now, or None when the driver cannot say."""
        try:
            return float(self.driver.state().clock_s)
        except Exception as exc:  # the audit entry must not fail because the device did
            _log.warning("cannot read the instrument clock for the audit log: %s", exc)
            return None

    @contextmanager
    def _audited(
        self,
        actor: Actor,
        command: str,
        params: Mapping[str, Any],
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        outcome: AuditOutcome = "succeeded",
        status_code: int = 200,
    ) -> Iterator[dict[str, Any]]:
        """Run a command and append its audit entry; a refusal is recorded, then re-raised.

        The body may fill in ``facts`` (``session_id``, ``run_id``, ``operation_id``) that it
        learns while acting, such as the session that ``session.start`` created.
        """
        # Read before acting: the entry says when the command arrived, not when it finished.
        clock_s = self._clock_s()
        facts: dict[str, Any] = {"session_id": session_id, "run_id": run_id, "operation_id": None}
        if run_id is None and session_id is not None:
            known = self.store.get_session(session_id)
            facts["run_id"] = known.run_id if known is not None else None
        try:
            yield facts
        except Exception as exc:
            problem = _problem_of(exc)
            self._audit(
                actor,
                command,
                params,
                outcome="refused" if problem.status < 500 else "failed",
                status_code=problem.status,
                reason=problem.reason,
                facts=facts,
                clock_s=clock_s,
            )
            if problem is exc:
                raise
            raise problem from exc
        self._audit(
            actor,
            command,
            params,
            outcome=outcome,
            status_code=status_code,
            facts=facts,
            clock_s=clock_s,
        )

    def _audit(
        self,
        actor: Actor,
        command: str,
        params: Mapping[str, Any],
        *,
        outcome: AuditOutcome,
        status_code: int,
        facts: Mapping[str, Any],
        clock_s: float | None,
        reason: str | None = None,
    ) -> None:
        try:
            self.store.append_audit(
                method=actor.method,
                path=actor.path,
                command=command,
                outcome=outcome,
                params=dict(params),
                actor_role=actor.principal.role,
                token_fingerprint=actor.principal.fingerprint,
                session_id=facts["session_id"],
                run_id=facts["run_id"],
                status_code=status_code,
                reason=reason,
                operation_id=facts["operation_id"],
                clock_s=clock_s,
                request_id=actor.request_id,
            )
        except Exception as exc:  # the command's answer must not depend on the log's health
            _log.error("cannot append to the audit log", exc_info=exc)

    def _on_operation_finished(self, op: Operation) -> None:
        problem = op.problem or {}
        self.store.append_audit(
            method="-",
            path="-",
            command=f"{_COMMAND_OF_KIND.get(op.kind, op.kind)}",
            outcome=op.status if op.status != "running" else "failed",  # type: ignore[arg-type]
            params={},
            session_id=op.session_id,
            run_id=op.run_id,
            status_code=int(problem.get("status", 200)),
            reason=problem.get("reason"),
            operation_id=op.id,
            clock_s=self._clock_s(),
        )
        self._persist()

    # --------------------------------------------------------------------------------- system

    def health(self) -> schemas.Health:
        return schemas.Health(
            status="ok",
            api_version=API_VERSION,
            server_version=self._server_version,
            driver=self.settings.driver,
        )

    def device(self) -> dict[str, Any]:
        """The device description in the contract's `DeviceInfo` shape."""
        return _device_document(
            self.driver.device_info(), API_VERSION, self._server_version, self.is_simulator
        )

    def state(self) -> schemas.InstrumentState:
        snap = self.driver.state()
        lease = self.leases.current()
        return _state_model(snap, lease, self.runner.active_operation_id)

    # ----------------------------------------------------------------------------------- runs

    def create_run(self, actor: Actor, body: schemas.RunCreate) -> schemas.Run:
        meta = {"description": body.description} if body.description is not None else {}
        run = self.store.create_run(body.name, meta)
        return _run_model(run)

    def list_runs(self) -> schemas.RunList:
        runs = self.store.list_runs(limit=_LIST_LIMIT)
        return schemas.RunList(items=[_run_model(r) for r in reversed(runs)])

    def _run(self, run_id: str) -> Run:
        run = self.store.get_run(run_id)
        if run is None:
            raise ProblemError(404, f"no run with id {run_id!r}", reason="not_found")
        return run

    def get_run(self, run_id: str) -> schemas.Run:
        return _run_model(self._run(run_id))

    def list_audit(self, run_id: str, after_id: int) -> schemas.AuditList:
        self._run(run_id)
        if after_id >= _MAX_SQLITE_INT:
            return schemas.AuditList(items=[])  # no entry has an id that large
        records = self.store.list_audit(run_id=run_id, after_seq=after_id, limit=_LIST_LIMIT)
        holders: dict[str, str | None] = {}
        items = [self._audit_model(r, holders) for r in records]
        return schemas.AuditList(items=items)

    def _audit_model(self, r: AuditRecord, holders: dict[str, str | None]) -> schemas.AuditEntry:
        holder = None
        if r.session_id is not None:
            if r.session_id not in holders:
                session = self.store.get_session(r.session_id)
                holders[r.session_id] = session.holder if session is not None else None
            holder = holders[r.session_id]
        return schemas.AuditEntry(
            id=r.seq,
            at=r.at,
            actor=r.actor_role or "server",
            holder=holder,
            run_id=r.run_id,
            session_id=r.session_id,
            action=r.command,
            params=r.params,
            outcome=r.outcome,
            status_code=r.status_code if r.status_code is not None else 200,
            reason=r.reason,
            operation_id=r.operation_id,
            clock_s=r.clock_s,
            request_id=r.request_id,
        )

    def list_operations(
        self, run_id: str, kind: str | None, status: str | None
    ) -> schemas.OperationList:
        self._run(run_id)
        ops = self.store.list_operations(run_id, kind=kind, limit=_LIST_LIMIT)
        if status is not None:
            ops = [op for op in ops if op.status == status]
        return schemas.OperationList(items=[operation_model(op) for op in ops])

    # ------------------------------------------------------------------------------- sessions

    def _session_model(self, session: Session) -> schemas.Session:
        now = self.store.now()
        if session.ended_at is None:
            status = "active" if session.lease_expires_at > now else "expired"
        else:
            status = "expired" if session.end_reason == LEASE_EXPIRED else "ended"
        return schemas.Session(
            id=session.id,
            run_id=session.run_id,
            holder=session.holder,
            status=status,
            lease_s=self._lease_s.get(session.id, self.leases.lease_s),
            created_at=session.created_at,
            expires_at=session.lease_expires_at,
            ended_at=session.ended_at,
        )

    def start_session(
        self, actor: Actor, run_id: str, body: schemas.SessionStart | None
    ) -> schemas.Session:
        request = body or schemas.SessionStart()
        params = request.model_dump(mode="json", exclude_unset=True)
        with self._audited(actor, "session.start", params, run_id=run_id, status_code=201) as facts:
            self._run(run_id)
            lease_s = request.lease_s if "lease_s" in request.model_fields_set else None
            holder = request.holder or actor.principal.role
            session = self.leases.acquire(
                run_id, holder, role=actor.principal.role, lease_s=lease_s
            )
            self._lease_s[session.id] = lease_s if lease_s is not None else self.leases.lease_s
            facts["session_id"] = session.id
        return self._session_model(session)

    def _session(self, session_id: str) -> Session:
        session = self.store.get_session(session_id)
        if session is None:
            raise ProblemError(404, f"no session with id {session_id!r}", reason="not_found")
        return session

    def heartbeat(self, actor: Actor, session_id: str) -> schemas.Session:
        with self._audited(actor, "session.heartbeat", {}, session_id=session_id):
            self._session(session_id)
            lease_s = self._lease_s.get(session_id, self.leases.lease_s)
            session = self.leases.heartbeat(session_id, lease_s=lease_s)
        return self._session_model(session)

    def end_session(self, actor: Actor, session_id: str) -> schemas.Session:
        with self._audited(actor, "session.end", {}, session_id=session_id):
            session = self._session(session_id)
            if session.active:
                active = self.runner.active_operation_id
                if active is not None:
                    op = self.store.get_operation(active)
                    if op is not None and op.session_id == session_id:
                        self.runner.cancel(active)
                session = self.leases.release(session_id)
        return self._session_model(session)

    def _hold(self, session_id: str) -> Session:
        """The session, if it holds the lease now; the lease problem otherwise."""
        self._session(session_id)
        return self.leases.require(session_id)

    # ------------------------------------------------------------------------------- commands

    def _submit(
        self,
        actor: Actor,
        command: str,
        session_id: str,
        params: Mapping[str, Any],
        *,
        kind: str,
        unit: str,
        work: Work,
        check: Callable[[], int],
    ) -> schemas.Operation:
        with self._audited(
            actor, command, params, session_id=session_id, outcome="accepted", status_code=202
        ) as facts:
            session = self._hold(session_id)
            op = self.runner.submit(
                kind=kind,
                run_id=session.run_id,
                session_id=session.id,
                params=params,
                unit=unit,
                work=work,
                check=lambda: _translate(check),
            )
            facts["operation_id"] = op.id
        return operation_model(op)

    def pump(self, actor: Actor, session_id: str) -> schemas.Operation:
        def work(ctx: OperationContext) -> Outcome:
            vacuum = _run_driver(lambda: self.driver.pump(ctx.progress, ctx.cancel_event))
            return Outcome({"vacuum": vacuum})

        return self._submit(
            actor,
            "chamber.pump",
            session_id,
            {},
            kind="pump",
            unit="s",
            work=work,
            check=lambda: _checked(self.driver.check_pump),
        )

    def vent(self, actor: Actor, session_id: str) -> schemas.Operation:
        def work(ctx: OperationContext) -> Outcome:
            vacuum = _run_driver(lambda: self.driver.vent(ctx.progress, ctx.cancel_event))
            return Outcome({"vacuum": vacuum})

        return self._submit(
            actor,
            "chamber.vent",
            session_id,
            {},
            kind="vent",
            unit="s",
            work=work,
            check=lambda: _checked(self.driver.check_vent),
        )

    def move_stage(
        self, actor: Actor, session_id: str, body: schemas.StageMove
    ) -> schemas.Operation:
        target = StageTarget(**body.model_dump())

        def work(ctx: OperationContext) -> Outcome:
            pose = _run_driver(
                lambda: self.driver.move_stage(target, ctx.progress, ctx.cancel_event)
            )
            return Outcome({"pose": pose.to_dict()})

        def check() -> int:
            self.driver.check_move(target)
            return 0

        return self._submit(
            actor,
            "stage.move",
            session_id,
            body.model_dump(mode="json", exclude_unset=True),
            kind="move",
            unit="steps",
            work=work,
            check=check,
        )

    def start_acquisition(
        self, actor: Actor, session_id: str, body: schemas.AcquisitionConfig
    ) -> schemas.Operation:
        fields = body.model_dump(exclude={"roi_name", "roi_level"})
        if fields.get("resolution") is not None:
            fields["resolution"] = tuple(fields["resolution"])
        request = ScanRequest(**fields)

        def check() -> int:
            return self.driver.check_acquire(request).resolution[1]

        def work(ctx: OperationContext) -> Outcome:
            return self._acquire(ctx, request, body)

        return self._submit(
            actor,
            "acquisition.start",
            session_id,
            body.model_dump(mode="json", exclude_unset=True),
            kind="acquisition",
            unit="lines",
            work=work,
            check=check,
        )

    def _acquire(
        self,
        ctx: OperationContext,
        request: ScanRequest,
        body: schemas.AcquisitionConfig,
    ) -> Outcome:
        frame = _run_driver(lambda: self.driver.acquire(request, ctx.progress, ctx.cancel_event))
        op = self.store.get_operation(ctx.operation_id)
        image_id = new_id("img")
        height, width = (int(n) for n in frame.pixels.shape)
        meta: dict[str, Any] = {
            "applied": frame.applied,
            "ignored_fields": list(frame.ignored_fields),
            "roi_name": body.roi_name,
            "roi_level": body.roi_level,
            "stage": frame.stage.to_dict(),
            "clock_s_start": frame.clock_s_start,
            "clock_s_end": frame.clock_s_end,
            "run_id": op.run_id if op is not None else None,
            "session_id": op.session_id if op is not None else None,
        }
        settings = {**meta, "operation_id": ctx.operation_id, "state": _jsonable(frame.state)}
        info = self.artifacts.write(
            image_id,
            frame.pixels,
            pixel_size_um=float(frame.applied["pixel_size_um"]),
            settings=settings,
        )
        meta["sha256"] = info.sha256
        record = ArtifactRecord(
            image_id=image_id,
            operation_id=ctx.operation_id,
            path=info.path,
            sha256=info.sha256,
            size_bytes=info.size_bytes,
            mime=info.mime,
            width=width,
            height=height,
        )
        result = schemas.AcquisitionResult(
            correlation_id=ctx.operation_id,
            image_id=image_id,
            remote_path=str(self.artifacts.data_dir.resolve() / info.path),
            mime=info.mime,
            size=(width, height),
            metadata=meta,
        )
        return Outcome(result.model_dump(mode="json"), (record,))

    def set_beam(
        self, actor: Actor, session_id: str, body: schemas.BeamRequest
    ) -> schemas.InstrumentState:
        with self._audited(actor, "beam.set", body.model_dump(mode="json"), session_id=session_id):
            self._hold(session_id)
            if not body.on and self.runner.active_operation_id is not None:
                # Beam off is always allowed: it stops the running scan first.
                self.runner.cancel_active()
                self.runner.wait_idle(10.0)
            _translate(lambda: self.driver.set_beam(body.on))
        self._persist()
        return self.state()

    def stop(self, actor: Actor, session_id: str) -> schemas.InstrumentState:
        """Stop a running scan or stage move and halt the stage; the beam is left as it is."""
        with self._audited(actor, "session.stop", {}, session_id=session_id):
            self._hold(session_id)
            active = self.runner.active_operation_id
            if active is not None:
                op = self.store.get_operation(active)
                if op is not None and op.kind in ("acquisition", "move"):
                    self.runner.cancel_active()
            _translate(self.driver.stop_motion)
        self._persist()
        return self.state()

    def set_optics(
        self, actor: Actor, session_id: str, body: schemas.OpticsSettings
    ) -> schemas.InstrumentState:
        params = body.model_dump(mode="json", exclude_unset=True)
        with self._audited(actor, "optics.set", params, session_id=session_id):
            self._hold(session_id)
            self.runner.ensure_idle()
            settings = OpticsSettings(**body.model_dump())
            _translate(lambda: self.driver.set_optics(settings))
        self._persist()
        return self.state()

    # ----------------------------------------------------------------------------- operations

    def get_operation(self, operation_id: str, wait_s: float) -> schemas.Operation:
        return operation_model(self.runner.wait(operation_id, wait_s))

    def cancel_operation(self, actor: Actor, operation_id: str) -> schemas.Operation:
        op = self.runner.get(operation_id)
        with self._audited(
            actor, "operation.cancel", {}, session_id=op.session_id, run_id=op.run_id
        ) as facts:
            facts["operation_id"] = op.id
            if not op.terminal and op.session_id is not None:
                self.leases.require(op.session_id)
            op = self.runner.cancel(operation_id)
        return operation_model(op)

    # ------------------------------------------------------------------------------ artifacts

    def artifact(self, image_id: str) -> ArtifactFile:
        record = self.store.get_artifact(image_id)
        if record is None:
            raise ProblemError(404, f"no artifact with id {image_id!r}", reason="not_found")
        try:
            size = self.artifacts.size_bytes(image_id)
            chunks = self.artifacts.open_stream(image_id)
        except InvalidArtifactIdError as exc:
            raise ProblemError(
                404, f"no artifact with id {image_id!r}", reason="not_found"
            ) from exc
        return ArtifactFile(chunks=chunks, size_bytes=size, sha256=record.sha256, mime=record.mime)

    # ----------------------------------------------------------------------------------- ROIs

    def save_roi(
        self, actor: Actor, body: schemas.RoiRecordCreate, overwrite: bool
    ) -> tuple[dict[str, Any], bool]:
        record = body.model_dump(mode="json")
        params = {"name": body.name, "overwrite": overwrite}
        with self._audited(actor, "roi.save", params, run_id=None):
            existed = self.store.get_roi(body.name) is not None
            saved = self.store.save_roi(body.name, record, overwrite=overwrite)
        return _roi_document(saved.record, saved.created_at), not existed

    def list_rois(self, specimen_id: str | None) -> list[dict[str, Any]]:
        rois = self.store.list_rois()
        docs = [_roi_document(r.record, r.created_at) for r in rois]
        if specimen_id is not None:
            docs = [d for d in docs if d.get("specimen_id") == specimen_id]
        return docs

    def get_roi(self, name: str) -> dict[str, Any]:
        roi = self.store.get_roi(name)
        if roi is None:
            raise ProblemError(404, f"no ROI named {name!r}", reason="not_found")
        return _roi_document(roi.record, roi.created_at)

    # ------------------------------------------------------------------------------ simulator

    @property
    def is_simulator(self) -> bool:
        return isinstance(self.driver, _Simulator)

    def _simulator(self) -> _Simulator:
        if not isinstance(self.driver, _Simulator):
            raise ProblemError(
                404,
                f"the {self.settings.driver!r} driver is not the simulator",
                reason="simulator.unavailable",
            )
        return self.driver

    def sim_reload(self, actor: Actor, body: schemas.SimReload | None) -> dict[str, Any]:
        request = body or schemas.SimReload()
        with self._audited(actor, "sim.reload", request.model_dump(mode="json")):
            sim = self._simulator()
            self.runner.ensure_idle()
            _translate(lambda: sim.reload(**request.model_dump()))
        self._persist()
        return self.sim_truth(None, None)

    def sim_truth(self, x_mm: float | None, y_mm: float | None) -> dict[str, Any]:
        sim = self._simulator()
        # A coordinate given alone is paired with the stage readback's other coordinate.
        truth = _translate(lambda: sim.truth(x_mm=x_mm, y_mm=y_mm))
        return _truth_document(truth, sim.seed, queried=x_mm is not None or y_mm is not None)

    def sim_inject_fault(self, actor: Actor, body: schemas.SimFault) -> dict[str, Any]:
        params = body.model_dump(mode="json", exclude_none=True)
        with self._audited(actor, "sim.fault", params):
            sim = self._simulator()
            kind = params.pop("fault")
            # Each fault takes only the members that apply to it (the contract documents which);
            # the others are ignored, as the simulator refuses members it does not know.
            relevant = {k: v for k, v in params.items() if k in _FAULT_MEMBERS[kind]}
            _translate(lambda: sim.inject_fault(kind, **relevant))
        self._persist()
        return self._armed_faults()

    def sim_clear_faults(self, actor: Actor) -> dict[str, Any]:
        with self._audited(actor, "sim.clear_faults", {}):
            sim = self._simulator()
            _translate(sim.clear_faults)
        self._persist()
        return self._armed_faults()

    def _armed_faults(self) -> dict[str, Any]:
        faults = self.driver.snapshot().get("faults") or {}
        items: list[dict[str, Any]] = []
        for fault in faults.get("scan") or []:
            items.append(
                {
                    "fault": fault.get("kind"),
                    "device_code": _device_code(fault.get("device_code")),
                    "device_message": fault.get("device_message"),
                    "after_lines": fault.get("after_lines"),
                    "count": fault.get("count"),
                }
            )
        drop = faults.get("drop")
        if drop:
            items.append({"fault": "drop_move", "count": drop.get("count")})
        slow = float(faults.get("slow_factor") or 1.0)
        if slow != 1.0:
            items.append({"fault": "slow", "factor": slow})
        return {"items": items}

    def sim_set_detector(self, actor: Actor, body: schemas.SimDetector) -> schemas.InstrumentState:
        params = body.model_dump(mode="json", exclude_unset=True)
        with self._audited(actor, "sim.detector", params):
            sim = self._simulator()
            self.runner.ensure_idle()
            _translate(lambda: sim.set_detector_response(**body.model_dump()))
        self._persist()
        return self.state()


def _truth_document(truth: Mapping[str, Any], seed: int, *, queried: bool) -> dict[str, Any]:
    """The contract's `SimTruth` from the simulator's ground truth."""
    placement = truth.get("placement", {})
    point = truth.get("point", {})
    specimen = truth.get("specimen", {})
    kind = str(specimen.get("kind", "texture"))
    return {
        "shift_x_um": float(placement.get("shift_x_um", 0.0)),
        "shift_y_um": float(placement.get("shift_y_um", 0.0)),
        "rotation_deg": float(placement.get("rotation_deg", 0.0)),
        "centre_x_mm": float(placement.get("centre_x_mm", 0.0)),
        "centre_y_mm": float(placement.get("centre_y_mm", 0.0)),
        "specimen_kind": kind,
        "seed": None if kind == "image" else int(specimen.get("seed", seed)),
        "reloads": int(placement.get("reloads", 0)),
        "point_at_load": (
            {"x_mm": float(point["x_mm"]), "y_mm": float(point["y_mm"])} if queried else None
        ),
        "point_now": (
            {"x_mm": float(point["now_x_mm"]), "y_mm": float(point["now_y_mm"])}
            if queried
            else None
        ),
        "stage_true": truth.get("stage_truth"),
    }


_FAULT_MEMBERS: dict[str, frozenset[str]] = {
    "scan_error": frozenset({"device_code", "device_message", "after_lines", "count"}),
    "vacuum_loss": frozenset({"after_lines", "count"}),
    "drop_move": frozenset({"count"}),
    # The simulator's slow fault lasts until cleared: it has a factor and no count.
    "slow": frozenset({"factor"}),
}

_COMMAND_OF_KIND = {
    "pump": "chamber.pump",
    "vent": "chamber.vent",
    "move": "stage.move",
    "acquisition": "acquisition.start",
}


def _translate(call: Callable[[], _T]) -> _T:
    """Call the driver; a driver error becomes its problem (409/422/502)."""
    try:
        return call()
    except DriverError as exc:
        raise driver_problem(exc) from exc


def _run_driver(call: Callable[[], _T]) -> _T:
    """Call the driver inside an operation: a cancel ends it as cancelled, not failed."""
    try:
        return call()
    except Cancelled as exc:
        raise OperationCancelled(str(exc)) from exc
    except DriverError as exc:
        raise driver_problem(exc) from exc


def _checked(check: Callable[[], None]) -> int:
    """Run a check that knows no progress total in advance."""
    check()
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def operation_model(op: Operation) -> schemas.Operation:
    """The contract's `Operation` for a stored operation."""
    return schemas.Operation(
        id=op.id,
        kind=op.kind,
        status=op.status,
        run_id=op.run_id,
        session_id=op.session_id or "",
        created_at=op.created_at,
        updated_at=op.updated_at,
        progress=schemas.Progress(
            done=op.progress_done, total=op.progress_total, unit=op.progress_unit
        ),
        result=op.result,
        problem=op.problem,
    )


def _run_model(run: Run) -> schemas.Run:
    description = run.metadata.get("description")
    return schemas.Run(
        id=run.id,
        name=run.name,
        description=description if isinstance(description, str) else None,
        created_at=run.created_at,
    )


def _roi_document(record: JsonObject, created_at: datetime) -> dict[str, Any]:
    doc = dict(record)
    doc.setdefault("specimen_id", None)
    doc.setdefault("run_id", None)
    doc["created_at"] = created_at.isoformat()
    return doc


def _state_model(
    snap: InstrumentStateSnapshot, lease: Session | None, active_operation_id: str | None
) -> schemas.InstrumentState:
    data = snap.to_dict()
    data["lease"] = (
        {
            "session_id": lease.id,
            "holder": lease.holder,
            "expires_at": lease.lease_expires_at,
            "run_id": lease.run_id,
        }
        if lease is not None
        else None
    )
    data["active_operation_id"] = active_operation_id
    return schemas.InstrumentState.model_validate(data)


_DEFAULT_CONVENTIONS = {
    "image_x_axis": "+x",
    "image_y_axis": "-y",
    "stage_rotation_sense": "counter_clockwise_from_beam",
    "scan_rotation_sense": "counter_clockwise_from_beam",
    "rotation_centre": "optical_axis",
    "beam_shift_axes": "stage",
}


def _range(bounds: tuple[float, float]) -> dict[str, float]:
    return {"min": float(bounds[0]), "max": float(bounds[1])}


def _device_document(
    info: DeviceInfo, api_version: str, server_version: str, simulator: bool
) -> dict[str, Any]:
    limits = info.limits
    res_lo, res_hi = limits.resolution
    speeds = info.scan_speeds_us
    capabilities = list(info.capabilities)
    if simulator and "simulator" not in capabilities:
        capabilities.append("simulator")
    return {
        "driver": info.driver,
        "model": info.model,
        "serial": info.serial,
        "api_version": api_version,
        "server_version": server_version,
        "capabilities": capabilities,
        "acquisition_fields": list(info.honoured_fields),
        "detectors": [
            {"mode": d.mode, "channel": d.channel, "name": d.name} for d in info.detectors
        ],
        "limits": {
            "stage": {
                "x_mm": _range(limits.x_mm),
                "y_mm": _range(limits.y_mm),
                "z_mm": _range(limits.z_mm),
                "r_deg": _range(limits.r_deg),
                "t_deg": _range(limits.t_deg),
            },
            "stage_clearance": [
                {"t_deg": float(t), "z_max_mm": float(z)} for t, z in limits.clearance
            ]
            or None,
            "fov_um": _range(limits.fov_um),
            "working_distance_mm": _range(limits.working_distance_mm),
            "scan_rotation_deg": _range(limits.scan_rotation_deg),
            "beam_shift_x_um": _range(limits.beam_shift_um),
            "beam_shift_y_um": _range(limits.beam_shift_um),
            "hv_kv": _range(limits.hv_kv),
            "beam_current_na": _range(limits.beam_current_na),
            "resolution": {
                "width": {"min": int(res_lo), "max": int(res_hi)},
                "height": {"min": int(res_lo), "max": int(res_hi)},
            },
            "dwell_time_us": {"min": float(min(speeds)), "max": float(max(speeds))},
            "bit_depths": [int(b) for b in limits.bit_depths],
        },
        "scan_speeds": [{"index": i, "dwell_time_us": float(d)} for i, d in enumerate(speeds)],
        "stage_repeatability_um": float(info.stage_repeatability_um),
        "conventions": {**_DEFAULT_CONVENTIONS, **info.conventions},
    }
