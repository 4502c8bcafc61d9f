"""Runs and sessions: a session holds the run, the control lease and the guardrails.

```python
run = client.runs.create(name="grain-boundaries")
with run.session(guardrails=guardrails).start() as session:
    session.chamber.pump()
    ...
```

The lease is taken by `start()`, renewed by a background heartbeat, and released by `close()` or
on leaving the `with` block, also when an exception leaves it. `AsyncRun` and `AsyncSession`
(`semphony._async_session`) are the async twins; the no-I/O parts both share live here.
"""

from __future__ import annotations

import datetime
import threading
from types import TracebackType
from typing import Any, Generic, TypeVar

from semphony_api.api.operations import list_run_operations
from semphony_api.api.runs import list_run_audit
from semphony_api.api.sessions import end_session, heartbeat_session, start_session
from semphony_api.api.system import get_state
from semphony_api.models.audit_list import AuditList
from semphony_api.models.instrument_state import InstrumentState as StateDoc
from semphony_api.models.operation_list import OperationList
from semphony_api.models.run import Run as RunDoc
from semphony_api.models.session import Session as SessionDoc
from semphony_api.models.session_start import SessionStart
from semphony_api.types import UNSET

from semphony._base_client import logger
from semphony._capabilities import (
    BeamControl,
    ChamberControl,
    Imaging,
    OpticsControl,
    StageControl,
)
from semphony._capabilities._base import parse_state
from semphony._exceptions import SemphonyApiError
from semphony._state import InstrumentState
from semphony._transport import SyncTransport, TransportT
from semphony.guardrails import ImagingGuardrails

__all__ = ["Run", "Session", "SessionBuilder"]

_DEFAULT_LEASE_S = 30.0


class _RunBase(Generic[TransportT]):
    """What a run is, without I/O; `Run` and `AsyncRun` add the calls."""

    def __init__(self, transport: TransportT, doc: RunDoc) -> None:
        self._transport = transport
        self.id: str = doc.id
        self.name: str = doc.name
        self.created_at: datetime.datetime = doc.created_at
        self.description: str | None = doc.description if isinstance(doc.description, str) else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, name={self.name!r})"

    @staticmethod
    def _guardrails(guardrails: ImagingGuardrails | None) -> ImagingGuardrails:
        # No guardrails given means the safe default, never none (`ImagingGuardrails.none()`).
        return guardrails if guardrails is not None else ImagingGuardrails()

    def _audit_query(self, after: int | None) -> dict[str, Any]:
        return {"run_id": self.id, "after_id": UNSET if after is None else after}

    @staticmethod
    def _audit_next(page: AuditList, after: int | None) -> int | None:
        """The cursor of the next audit page, or None when `page` was the last."""
        if not page.items:
            return None
        last = page.items[-1].id
        return None if after is not None and last <= after else last

    def _operations_query(self, kind: str | None, status: str | None) -> dict[str, Any]:
        return {
            "run_id": self.id,
            "kind": UNSET if kind is None else kind,
            "status": UNSET if status is None else status,
        }


RunT = TypeVar("RunT", bound=_RunBase[Any])


def lease_secret_of(doc: SessionDoc) -> str | None:
    """The lease secret a session's start answered (None from a server that sends none)."""
    secret = doc.lease_secret
    return secret if isinstance(secret, str) else None


def _start_body(holder: str | None, lease_s: float | None) -> SessionStart:
    return SessionStart(
        holder=UNSET if holder is None else holder,
        lease_s=_DEFAULT_LEASE_S if lease_s is None else lease_s,
    )


class _SessionBase:
    """What a session is, without I/O; `Session` and `AsyncSession` add the calls."""

    def __init__(self, doc: SessionDoc, guardrails: ImagingGuardrails) -> None:
        self.id: str = doc.id
        self._run_id: str = doc.run_id
        self.holder: str = doc.holder
        self.lease_s: float = doc.lease_s
        self.guardrails = guardrails
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, run={self._run_id!r}, closed={self._closed})"

    @property
    def closed(self) -> bool:
        """Whether the lease has been released."""
        return self._closed

    @property
    def _heartbeat_interval_s(self) -> float:
        # Three beats per lease: one lost beat never lets the lease lapse.
        return max(0.5, self.lease_s / 3.0)

    def _heartbeat_failed(self, exc: SemphonyApiError) -> bool:
        """Log a failed heartbeat; whether beating on is pointless (the lease is gone)."""
        logger.warning("heartbeat of session %s failed: %s", self.id, exc)
        return exc.reason in ("lease.expired", "lease.required") or exc.status_code == 404

    def _release_failed(self, exc: SemphonyApiError) -> None:
        # Release even after an exception, but never hide that exception behind a release error.
        logger.warning("could not release session %s: %s", self.id, exc)


class Run(_RunBase[SyncTransport]):
    """A run on the control server: a named container of sessions, operations and audit entries."""

    def session(self, guardrails: ImagingGuardrails | None = None) -> SessionBuilder:
        """Prepare a session; `.start()` takes the lease. Without guardrails, the safe default
        `ImagingGuardrails()` applies (`ImagingGuardrails.none()` turns them off)."""
        return SessionBuilder(self, self._guardrails(guardrails))

    def audit(self) -> list[dict[str, Any]]:
        """Every command of this run the server recorded: who, when, what, outcome."""
        entries: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            query = self._audit_query(after)
            page = self._transport.call(list_run_audit.sync_detailed, AuditList, **query)
            entries += [item.to_dict() for item in page.items]
            after = self._audit_next(page, after)
            if after is None:
                return entries

    def operations(
        self, *, kind: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """This run's operations (acquisitions among them), optionally by kind and status."""
        query = self._operations_query(kind, status)
        page = self._transport.call(list_run_operations.sync_detailed, OperationList, **query)
        return [item.to_dict() for item in page.items]


class _SessionBuilderBase(Generic[RunT]):
    """A session not yet started, without I/O; `SessionBuilder` and `AsyncSessionBuilder` add
    `start()`."""

    def __init__(self, run: RunT, guardrails: ImagingGuardrails) -> None:
        self.run = run
        self.guardrails = guardrails


class SessionBuilder(_SessionBuilderBase[Run]):
    """A session not yet started: `start()` takes the control lease and returns the `Session`."""

    def start(self, *, holder: str | None = None, lease_s: float | None = None) -> Session:
        """Take the control lease (409 `lease.held` if another session has it)."""
        transport = self.run._transport
        body = _start_body(holder, lease_s)
        doc = transport.call(start_session.sync_detailed, SessionDoc, run_id=self.run.id, body=body)
        transport.set_lease_secret(lease_secret_of(doc))
        return Session(self.run, doc, self.guardrails, transport)


class Session(_SessionBase):
    """Control of the instrument for one run: the lease, the guardrails and the capabilities."""

    def __init__(
        self,
        run: Run,
        doc: SessionDoc,
        guardrails: ImagingGuardrails,
        transport: SyncTransport,
    ) -> None:
        super().__init__(doc, guardrails)
        self.run = run
        self._transport = transport
        self.beam = BeamControl(self, transport)
        self.chamber = ChamberControl(self, transport)
        self.stage = StageControl(self, transport)
        self.optics = OpticsControl(self, transport)
        self.imaging = Imaging(self, transport)
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"semphony-heartbeat-{self.id}", daemon=True
        )
        self._heartbeat.start()

    def state(self) -> InstrumentState:
        """The instrument's state now (a read: no guardrail)."""
        doc = self._transport.call(get_state.sync_detailed, StateDoc)
        return parse_state(doc.to_dict())

    def close(self) -> None:
        """Stop the heartbeat and release the lease (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._heartbeat.join()
        try:
            self._transport.call(end_session.sync_detailed, SessionDoc, session_id=self.id)
        finally:
            self._transport.set_lease_secret(None)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
                self._transport.call(
                    heartbeat_session.sync_detailed, SessionDoc, session_id=self.id
                )
            except SemphonyApiError as exc:
                if self._heartbeat_failed(exc):
                    return
