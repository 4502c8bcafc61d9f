"""Runs and sessions: a session holds the run, the control lease and the guardrails.

```python
run = client.runs.create(name="grain-boundaries")
with run.session(guardrails=guardrails).start() as session:
    session.chamber.pump()
    ...
```

The lease is taken by `start()`, renewed by a background heartbeat, and released by `close()` or
on leaving the `with` block, also when an exception leaves it. `AsyncRun` and `AsyncSession`
(`semphony._async_session`) are the async twins; what both share lives in `_session_base`.
"""

from __future__ import annotations

import threading
from typing import Unpack

from semphony._capabilities import Context, Imaging, SyncRunner, SyncSide
from semphony._exceptions import SemphonyApiError
from semphony._records import RoiRecord
from semphony._session_base import InstrumentParts, RunBase, SessionBase, StartArgs, audit_steps
from semphony._state import InstrumentState
from semphony._types import AuditEntry, DeviceInfo, Operation, RunInfo, SessionInfo
from semphony._wire import calls, one
from semphony.guardrails import ImagingGuardrails
from semphony.models import AcquisitionConfig, FindRoiResult, RoiSpec
from semphony.roi import FindArgs, SaveArgs, find_roi, save_roi

__all__ = ["EngineView", "Run", "Session", "SessionBuilder", "SessionImaging"]


class Run(RunBase):
    """A run on the control server: a named container of sessions, operations and audit entries."""

    def __init__(self, transport: SyncRunner, info: RunInfo) -> None:
        super().__init__(info)
        self._transport = transport

    def session(self, guardrails: ImagingGuardrails | None = None) -> SessionBuilder:
        """Prepare a session; `.start()` takes the lease. Without guardrails, the safe default
        `ImagingGuardrails()` applies (`ImagingGuardrails.none()` turns them off)."""
        return SessionBuilder(self, self._guardrails(guardrails))

    def audit(self) -> list[AuditEntry]:
        """Every command of this run the server recorded: who, when, what, outcome."""
        return self._transport.run(audit_steps(self.id))

    def operations(self, *, kind: str | None = None, status: str | None = None) -> list[Operation]:
        """This run's operations (acquisitions among them), optionally by kind and status."""
        return self._transport.run(one(calls.run_operations(self.id, kind, status)))


class SessionBuilder:
    """A session not yet started: `start()` takes the control lease and returns the `Session`."""

    def __init__(self, run: Run, guardrails: ImagingGuardrails) -> None:
        self.run = run
        self.guardrails = guardrails

    def start(self, **args: Unpack[StartArgs]) -> Session:
        """Take the control lease (`holder=`, `lease_s=`; 409 `lease.held` if another has it)."""
        transport = self.run._transport
        info = transport.run(one(self.run._start_call(args)))
        transport.set_lease_secret(info.lease_secret)
        return Session(self.run, info, self.guardrails, transport)


class EngineView(InstrumentParts, SyncSide):
    """A session's capabilities over a blocking runner: what the ROI engine drives.

    A `Session` is one; `AsyncSession`'s imaging builds one over a `LoopBridge` for the engine's
    thread.
    """

    _context: Context
    _runner: SyncRunner

    def __init__(self, context: Context, runner: SyncRunner) -> None:
        self._context = context
        self._runner = runner
        self.guardrails = context.guardrails
        self.run_id = context.run_id
        self.imaging = Imaging(context, runner)

    def state(self) -> InstrumentState:
        """The instrument's state now (a read: no guardrail)."""
        return self._runner.run(one(calls.state()))

    def device(self) -> DeviceInfo:
        """The device: driver, model, capabilities, limits, speed table, axis conventions."""
        return self._runner.run(one(calls.device()))


class SessionImaging(Imaging):
    """`session.imaging`: acquire, read, download, and the ROI pyramid's `save_roi` / `find_roi`."""

    def save_roi(
        self, spec: RoiSpec, config: AcquisitionConfig | None = None, **options: Unpack[SaveArgs]
    ) -> RoiRecord:
        """Acquire the pyramid `spec` describes at the current pose, finest level first; store it
        (see `semphony.roi.save_roi`: `specimen_id=`, `overwrite=`, `progress=`)."""
        return save_roi(EngineView(self._context, self._runner), spec, config, **options)

    def find_roi(self, name: str, **options: Unpack[FindArgs]) -> FindRoiResult:
        """Relocate the saved ROI `name` (see `semphony.roi.find_roi` for the options)."""
        return find_roi(EngineView(self._context, self._runner), name, **options)


class Session(SessionBase, EngineView):
    """Control of the instrument for one run: the lease, the guardrails and the capabilities."""

    imaging: SessionImaging

    def __init__(
        self, run: Run, info: SessionInfo, guardrails: ImagingGuardrails, transport: SyncRunner
    ) -> None:
        SessionBase.__init__(self, info, guardrails, transport.options)
        EngineView.__init__(self, self._context, transport)
        self.run = run
        self._transport = transport
        self.imaging = SessionImaging(self._context, transport)
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"semphony-heartbeat-{self.id}", daemon=True
        )
        self._heartbeat.start()

    def stop(self) -> InstrumentState:
        """Stop the scan and the stage now (the running operation ends cancelled); the beam,
        the vacuum and the optics stay as they are. The state after."""
        return self._transport.run(one(calls.stop_session(self.id)))

    def close(self) -> None:
        """Stop the heartbeat and release the lease (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._heartbeat.join()
        try:
            self._transport.run(one(calls.end_session(self.id)))
        finally:
            self._transport.set_lease_secret(None)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except SemphonyApiError as release_error:
            self._release_failed(release_error)

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat_interval_s):
            try:
                self._transport.run(one(calls.heartbeat(self.id)))
            except SemphonyApiError as exc:
                if self._heartbeat_failed(exc):
                    return
