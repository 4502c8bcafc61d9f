"""What runs and sessions are without I/O, and their calls written once as steps.

The capabilities are declared here once for both sides (`Pair`); `semphony.session` (sync) and
`semphony._async_session` (async) add only the sending and the heartbeat (a thread there, a task
here).
"""

from __future__ import annotations

import datetime
from typing import TypedDict

from semphony._base_client import ClientOptions, logger
from semphony._capabilities import (
    AsyncBeamControl,
    AsyncChamberControl,
    AsyncDetectorControl,
    AsyncOpticsControl,
    AsyncRoiRecords,
    AsyncStageControl,
    BeamControl,
    ChamberControl,
    Context,
    DetectorControl,
    OpticsControl,
    Pair,
    RoiRecords,
    StageControl,
)
from semphony._exceptions import SemphonyApiError
from semphony._types import AuditEntry, RunInfo, SessionInfo
from semphony._wire import Call, Steps, calls
from semphony.guardrails import ImagingGuardrails

__all__ = [
    "DEFAULT_LEASE_S",
    "InstrumentParts",
    "RunBase",
    "SessionBase",
    "StartArgs",
    "audit_steps",
]

DEFAULT_LEASE_S = 30.0


class StartArgs(TypedDict, total=False):
    """How to start a session: who holds the lease (a name for others to see) and for how long
    (s) it lasts between heartbeats."""

    holder: str | None
    lease_s: float | None


class RunBase:
    """A run on the control server: a named container of sessions, operations and audit entries."""

    def __init__(self, info: RunInfo) -> None:
        self.info = info
        self.id: str = info.id
        self.name: str = info.name
        self.created_at: datetime.datetime = info.created_at
        self.description: str | None = info.description

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, name={self.name!r})"

    @staticmethod
    def _guardrails(guardrails: ImagingGuardrails | None) -> ImagingGuardrails:
        # No guardrails given means the safe default, never none (`ImagingGuardrails.none()`).
        return guardrails if guardrails is not None else ImagingGuardrails()

    def _start_call(self, args: StartArgs) -> Call[SessionInfo]:
        lease_s = args.get("lease_s")
        return calls.start_session(
            self.id, args.get("holder"), DEFAULT_LEASE_S if lease_s is None else lease_s
        )


def audit_steps(run_id: str) -> Steps[list[AuditEntry]]:
    """Every audit entry of the run, page after page."""
    entries: list[AuditEntry] = []
    after: int | None = None
    while True:
        page: list[AuditEntry] = yield calls.audit_page(run_id, after)
        if not page or (after is not None and page[-1].id <= after):
            return entries
        entries += page
        after = page[-1].id


class InstrumentParts:
    """The capabilities every session has, each declared once for the sync and the async side."""

    beam = Pair(BeamControl, AsyncBeamControl)
    chamber = Pair(ChamberControl, AsyncChamberControl)
    stage = Pair(StageControl, AsyncStageControl)
    optics = Pair(OpticsControl, AsyncOpticsControl)
    detector = Pair(DetectorControl, AsyncDetectorControl)
    rois = Pair(RoiRecords, AsyncRoiRecords, per_session=False)


class SessionBase:
    """What a session is, without I/O: its lease, guardrails, and the context capabilities use."""

    def __init__(self, info: SessionInfo, guardrails: ImagingGuardrails, options: ClientOptions):
        self.info = info
        self.id: str = info.id
        self.run_id: str = info.run_id
        self.holder: str = info.holder
        self.lease_s: float = info.lease_s
        self.guardrails = guardrails
        self._context = Context(info.id, info.run_id, guardrails, options)
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, run={self.run_id!r}, closed={self._closed})"

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
