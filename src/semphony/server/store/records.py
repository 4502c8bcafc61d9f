"""The store's records: frozen dataclasses with timezone-aware UTC timestamps."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "TERMINAL_STATUSES",
    "ArtifactRecord",
    "AuditOutcome",
    "AuditRecord",
    "IdempotentRequest",
    "JsonObject",
    "Operation",
    "OperationStatus",
    "RoiRecord",
    "Run",
    "Session",
    "StoredResponse",
    "new_id",
]

JsonObject = dict[str, Any]
OperationStatus = Literal["pending", "running", "succeeded", "failed", "cancelled"]
AuditOutcome = Literal["accepted", "refused", "succeeded", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


def new_id(prefix: str) -> str:
    """A fresh random id such as ``op_3f9c…`` (lower-case, safe as an artifact file name)."""
    return f"{prefix}_{secrets.token_hex(10)}"


@dataclass(frozen=True)
class Run:
    """A named series of sessions and operations."""

    id: str
    name: str
    created_at: datetime
    metadata: JsonObject = field(default_factory=dict)
    instrument: str = "local"


@dataclass(frozen=True)
class Session:
    """A control session; ``ended_at is None`` while it holds (or held, until expiry) the lease."""

    id: str
    run_id: str
    holder: str
    role: str
    created_at: datetime
    lease_expires_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    lease_s: float | None = None
    secret_sha256: str | None = None
    instrument: str = "local"

    @property
    def active(self) -> bool:
        """True until the session is released or expired."""
        return self.ended_at is None


@dataclass(frozen=True)
class Operation:
    """A long command (pump, vent, move, acquisition) and where it stands."""

    id: str
    run_id: str
    session_id: str | None
    kind: str
    status: OperationStatus
    params: JsonObject
    progress_done: int
    progress_total: int
    progress_unit: str
    result: JsonObject | None
    problem: JsonObject | None
    created_at: datetime
    updated_at: datetime
    instrument: str = "local"

    @property
    def terminal(self) -> bool:
        """True once succeeded, failed or cancelled."""
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class ArtifactRecord:
    """A stored image file; ``path`` is relative to the data dir."""

    image_id: str
    operation_id: str | None
    path: str
    sha256: str
    size_bytes: int
    mime: str
    width: int
    height: int
    created_at: datetime | None = None
    instrument: str = "local"


@dataclass(frozen=True)
class RoiRecord:
    """A saved ROI: its name and the JSON record the ROI service keeps."""

    name: str
    record: JsonObject
    created_at: datetime
    updated_at: datetime
    instrument: str = "local"


@dataclass(frozen=True)
class IdempotentRequest:
    """What identifies a request for idempotency: who sent which key, to where, with which body."""

    principal: str
    key: str
    method: str
    path: str
    body_sha256: str


@dataclass(frozen=True)
class StoredResponse:
    """The first response to an idempotent request, replayed for its repeats."""

    status_code: int
    body: Any
    headers: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class AuditRecord:
    """One command as the audit log keeps it (a token fingerprint, never the token)."""

    seq: int
    at: datetime
    actor_role: str | None
    token_fingerprint: str | None
    session_id: str | None
    run_id: str | None
    method: str
    path: str
    command: str
    params: JsonObject
    outcome: AuditOutcome
    status_code: int | None
    reason: str | None
    operation_id: str | None
    clock_s: float | None = None
    request_id: str | None = None
    user: str | None = None
    source: str | None = None
    repeats: int = 1
    instrument: str = "local"
