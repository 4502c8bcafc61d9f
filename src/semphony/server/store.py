"""Durable server state in SQLite: runs, sessions, operations, artifacts, ROIs, idempotency, audit.

One ``Store`` owns one connection to ``data_dir/semphony.db`` (WAL, ``synchronous=FULL``) guarded by
a re-entrant lock, so it may be shared between threads. Every public write runs in a transaction; a
failing write leaves nothing behind. Callers that must change several things together wrap the calls
in ``with store.transaction():`` -- nested store calls join that transaction.

Records are frozen dataclasses; timestamps are timezone-aware UTC ``datetime`` (stored as Unix
seconds). The clock is injectable for tests.

Errors (all ``StoreError``; each carries a machine-readable ``reason`` and an HTTP ``status``)::

    StoreError                        the database failed or is of an unknown schema version
     ├── RecordNotFoundError          a write named a run/session/operation that does not exist
     ├── RoiExistsError               an ROI name is taken and overwrite was not asked for
     ├── OperationFinishedError       a terminal operation (succeeded/failed/cancelled) was changed
     ├── IdempotencyMismatchError     an Idempotency-Key was reused for a different request
     └── IdempotencyInProgressError   the first request with this key has not finished yet
"""

from __future__ import annotations

import json
import math
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, cast, get_args

__all__ = [
    "DB_FILENAME",
    "SCHEMA_VERSION",
    "TERMINAL_STATUSES",
    "ArtifactRecord",
    "AuditOutcome",
    "AuditRecord",
    "IdempotencyInProgressError",
    "IdempotencyMismatchError",
    "IdempotentRequest",
    "JsonObject",
    "Operation",
    "OperationFinishedError",
    "OperationStatus",
    "RecordNotFoundError",
    "RoiExistsError",
    "RoiRecord",
    "Run",
    "Session",
    "Store",
    "StoreError",
    "StoredResponse",
    "new_id",
]

JsonObject = dict[str, Any]
OperationStatus = Literal["pending", "running", "succeeded", "failed", "cancelled"]
AuditOutcome = Literal["accepted", "refused", "succeeded", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})

DB_FILENAME = "semphony.db"
SCHEMA_VERSION = 2

_MAX_SEQ = 2**63 - 1  # SQLite's largest INTEGER

_RESTARTED_DETAIL = (
    "operation {id} ({kind}) was {status} when the server stopped; it did not complete"
)


# --------------------------------------------------------------------------------------- errors


class StoreError(Exception):
    """The database failed, or holds a schema this code does not know."""

    reason: ClassVar[str] = "store.error"
    status: ClassVar[int] = 500


class RecordNotFoundError(StoreError):
    """A write named a record (run, session, operation) that does not exist."""

    reason: ClassVar[str] = "not_found"
    status: ClassVar[int] = 404

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id!r} does not exist")
        self.kind = kind
        self.record_id = record_id


class RoiExistsError(StoreError):
    """An ROI with this name is already saved and ``overwrite`` was false."""

    reason: ClassVar[str] = "roi.exists"
    status: ClassVar[int] = 409

    def __init__(self, name: str) -> None:
        super().__init__(
            f"an ROI named {name!r} already exists; save with overwrite=True to replace it"
        )
        self.name = name


class OperationFinishedError(StoreError):
    """An operation that already reached a terminal status was asked to change."""

    reason: ClassVar[str] = "operation.finished"
    status: ClassVar[int] = 409

    def __init__(self, operation_id: str, status: str) -> None:
        super().__init__(f"operation {operation_id!r} is already {status}; it cannot change")
        self.operation_id = operation_id
        self.current_status = status


class IdempotencyMismatchError(StoreError):
    """The Idempotency-Key was first used with a different method, path or body."""

    reason: ClassVar[str] = "idempotency.mismatch"
    status: ClassVar[int] = 422

    def __init__(self, key: str, what: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used with a different {what}; "
            "use a new key for a different request"
        )
        self.key = key
        self.what = what


class IdempotencyInProgressError(StoreError):
    """A request with this Idempotency-Key is still being processed."""

    reason: ClassVar[str] = "idempotency.in_progress"
    status: ClassVar[int] = 409

    def __init__(self, key: str) -> None:
        super().__init__(
            f"a request with Idempotency-Key {key!r} is still being processed; retry later"
        )
        self.key = key


# -------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Run:
    """A named series of sessions and operations."""

    id: str
    name: str
    created_at: datetime
    metadata: JsonObject = field(default_factory=dict)


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


@dataclass(frozen=True)
class RoiRecord:
    """A saved ROI: its name and the JSON record the ROI service keeps."""

    name: str
    record: JsonObject
    created_at: datetime
    updated_at: datetime


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


# ---------------------------------------------------------------------------------------- schema

_MIGRATIONS: tuple[str, ...] = (
    # version 1
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        metadata TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        holder TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at REAL NOT NULL,
        lease_expires_at REAL NOT NULL,
        ended_at REAL,
        end_reason TEXT
    );
    CREATE INDEX sessions_active ON sessions(ended_at);
    CREATE TABLE operations (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        session_id TEXT REFERENCES sessions(id),
        kind TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
        params TEXT NOT NULL,
        progress_done INTEGER NOT NULL CHECK (progress_done >= 0),
        progress_total INTEGER NOT NULL CHECK (progress_total >= 0),
        progress_unit TEXT NOT NULL,
        result TEXT,
        problem TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX operations_run ON operations(run_id, created_at);
    CREATE INDEX operations_status ON operations(status);
    CREATE TABLE artifacts (
        image_id TEXT PRIMARY KEY,
        operation_id TEXT REFERENCES operations(id),
        path TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
        mime TEXT NOT NULL,
        width INTEGER NOT NULL CHECK (width >= 1),
        height INTEGER NOT NULL CHECK (height >= 1),
        created_at REAL NOT NULL
    );
    CREATE INDEX artifacts_operation ON artifacts(operation_id);
    CREATE TABLE rois (
        name TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE idempotency (
        principal TEXT NOT NULL,
        key TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        status_code INTEGER,
        response TEXT,
        headers TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (principal, key)
    );
    CREATE INDEX idempotency_created ON idempotency(created_at);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        actor_role TEXT,
        token_fingerprint TEXT,
        session_id TEXT,
        run_id TEXT,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        command TEXT NOT NULL,
        params TEXT NOT NULL,
        outcome TEXT NOT NULL
            CHECK (outcome IN ('accepted', 'refused', 'succeeded', 'failed', 'cancelled')),
        status_code INTEGER,
        reason TEXT,
        operation_id TEXT
    );
    CREATE INDEX audit_run ON audit(run_id, seq);
    CREATE TABLE sim_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        snapshot TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # version 2: the instrument's clock when a command arrived, and the request's X-Request-Id
    # (entries written before have NULL in both)
    """
    ALTER TABLE audit ADD COLUMN clock_s REAL;
    ALTER TABLE audit ADD COLUMN request_id TEXT;
    """,
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


# --------------------------------------------------------------------------------------- helpers


def new_id(prefix: str) -> str:
    """A fresh random id such as ``op_3f9c…`` (lower-case, safe as an artifact file name)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: not JSON-serialisable ({exc})") from exc


def _loads_obj(text: str | None) -> JsonObject | None:
    if text is None:
        return None
    return cast(JsonObject, json.loads(text))


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _ts_opt(seconds: float | None) -> datetime | None:
    return None if seconds is None else _ts(seconds)


def _secs(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return moment.timestamp()


_OP_STATUSES: frozenset[str] = frozenset(get_args(OperationStatus))
_AUDIT_OUTCOMES: frozenset[str] = frozenset(get_args(AuditOutcome))


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"],
        name=row["name"],
        created_at=_ts(row["created_at"]),
        metadata=cast(JsonObject, json.loads(row["metadata"])),
    )


def _session(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"],
        run_id=row["run_id"],
        holder=row["holder"],
        role=row["role"],
        created_at=_ts(row["created_at"]),
        lease_expires_at=_ts(row["lease_expires_at"]),
        ended_at=_ts_opt(row["ended_at"]),
        end_reason=row["end_reason"],
    )


def _operation(row: sqlite3.Row) -> Operation:
    return Operation(
        id=row["id"],
        run_id=row["run_id"],
        session_id=row["session_id"],
        kind=row["kind"],
        status=cast(OperationStatus, row["status"]),
        params=cast(JsonObject, json.loads(row["params"])),
        progress_done=row["progress_done"],
        progress_total=row["progress_total"],
        progress_unit=row["progress_unit"],
        result=_loads_obj(row["result"]),
        problem=_loads_obj(row["problem"]),
        created_at=_ts(row["created_at"]),
        updated_at=_ts(row["updated_at"]),
    )


def _artifact(row: sqlite3.Row) -> ArtifactRecord:
    return ArtifactRecord(
        image_id=row["image_id"],
        operation_id=row["operation_id"],
        path=row["path"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        mime=row["mime"],
        width=row["width"],
        height=row["height"],
        created_at=_ts(row["created_at"]),
    )


def _roi(row: sqlite3.Row) -> RoiRecord:
    return RoiRecord(
        name=row["name"],
        record=cast(JsonObject, json.loads(row["record"])),
        created_at=_ts(row["created_at"]),
        updated_at=_ts(row["updated_at"]),
    )


def _audit(row: sqlite3.Row) -> AuditRecord:
    return AuditRecord(
        seq=row["seq"],
        at=_ts(row["at"]),
        actor_role=row["actor_role"],
        token_fingerprint=row["token_fingerprint"],
        session_id=row["session_id"],
        run_id=row["run_id"],
        method=row["method"],
        path=row["path"],
        command=row["command"],
        params=cast(JsonObject, json.loads(row["params"])),
        outcome=cast(AuditOutcome, row["outcome"]),
        status_code=row["status_code"],
        reason=row["reason"],
        operation_id=row["operation_id"],
        clock_s=row["clock_s"],
        request_id=row["request_id"],
    )


class _Unset:
    """Marks an argument that was not given (``None`` is a value: it clears a column)."""


_UNSET = _Unset()


# ----------------------------------------------------------------------------------------- store


class Store:
    """The server's SQLite database; safe to share between threads."""

    def __init__(
        self,
        data_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        idempotency_ttl_s: float = 86400.0,
    ) -> None:
        """Open (creating and migrating if needed) ``data_dir/semphony.db``.

        ``clock`` returns Unix seconds; ``idempotency_ttl_s`` is how long a stored response is
        replayed before its key may be used afresh.
        """
        if not idempotency_ttl_s > 0:
            raise ValueError(f"idempotency_ttl_s: must be > 0, got {idempotency_ttl_s}")
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_FILENAME
        self._clock = clock
        self._ttl_s = float(idempotency_ttl_s)
        self._lock = threading.RLock()
        self._depth = 0
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so no implicit transactions.
            self._conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed transaction survives power loss too, not only a killed process.
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def schema_version(self) -> int:
        """The database's ``PRAGMA user_version``."""
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this server's "
                f"{SCHEMA_VERSION}; upgrade semphony or use another data dir"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            script = _MIGRATIONS[target - 1]
            # executescript() would COMMIT on its own; run statement by statement inside one
            # transaction so a failed migration leaves the previous version intact.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {target}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the enclosed store calls as one transaction (all or nothing); nests."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot begin a transaction: {exc}") from exc
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"cannot commit: {exc}") from exc

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, args)
        except sqlite3.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def _one(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return cast(sqlite3.Row | None, self._exec(sql, args).fetchone())

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._exec(sql, args).fetchall())

    def now(self) -> datetime:
        """The store's clock as a UTC datetime."""
        return _ts(self._clock())

    # -- runs -------------------------------------------------------------------------------

    def create_run(self, name: str, metadata: Mapping[str, Any] | None = None) -> Run:
        """Create a run with a fresh id."""
        meta = dict(metadata or {})
        text = _dumps(meta, "metadata")
        run = Run(id=new_id("run"), name=name, created_at=self.now(), metadata=meta)
        with self.transaction():
            self._exec(
                "INSERT INTO runs (id, name, created_at, metadata) VALUES (?, ?, ?, ?)",
                (run.id, run.name, _secs(run.created_at), text),
            )
        return run

    def get_run(self, run_id: str) -> Run | None:
        """The run, or None."""
        row = self._one("SELECT * FROM runs WHERE id = ?", (run_id,))
        return None if row is None else _run(row)

    def list_runs(self, *, limit: int = 100) -> list[Run]:
        """Runs, oldest first."""
        rows = self._all("SELECT * FROM runs ORDER BY created_at, rowid LIMIT ?", (_limit(limit),))
        return [_run(r) for r in rows]

    def _require(self, table: str, kind: str, record_id: str) -> None:
        if self._exec(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)).fetchone() is None:
            raise RecordNotFoundError(kind, record_id)

    # -- sessions ---------------------------------------------------------------------------

    def create_session(
        self, *, run_id: str, holder: str, role: str, lease_expires_at: datetime
    ) -> Session:
        """Record a new active session of ``run_id``."""
        session = Session(
            id=new_id("ses"),
            run_id=run_id,
            holder=holder,
            role=role,
            created_at=self.now(),
            lease_expires_at=lease_expires_at,
        )
        with self.transaction():
            self._require("runs", "run", run_id)
            self._exec(
                "INSERT INTO sessions (id, run_id, holder, role, created_at, lease_expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    run_id,
                    holder,
                    role,
                    _secs(session.created_at),
                    _secs(lease_expires_at),
                ),
            )
        return session

    def get_session(self, session_id: str) -> Session | None:
        """The session, or None."""
        row = self._one("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return None if row is None else _session(row)

    def active_sessions(self) -> list[Session]:
        """Sessions not yet ended (expired leases included until someone ends them)."""
        rows = self._all("SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY created_at, rowid")
        return [_session(r) for r in rows]

    def extend_session(self, session_id: str, lease_expires_at: datetime) -> Session:
        """Move an active session's lease expiry."""
        with self.transaction():
            row = self._exec(
                "UPDATE sessions SET lease_expires_at = ? WHERE id = ? AND ended_at IS NULL"
                " RETURNING *",
                (_secs(lease_expires_at), session_id),
            ).fetchone()
            if row is None:
                raise RecordNotFoundError("active session", session_id)
        return _session(row)

    def end_session(self, session_id: str, reason: str, at: datetime | None = None) -> Session:
        """End a session (idempotent: an ended session is returned unchanged)."""
        when = at or self.now()
        with self.transaction():
            row = self._exec(
                "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL"
                " RETURNING *",
                (_secs(when), reason, session_id),
            ).fetchone()
            if row is None:
                row = self._exec("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
                if row is None:
                    raise RecordNotFoundError("session", session_id)
        return _session(row)

    # -- operations -------------------------------------------------------------------------

    def create_operation(
        self,
        *,
        run_id: str,
        session_id: str | None,
        kind: str,
        params: Mapping[str, Any] | None = None,
        progress_total: int = 0,
        progress_unit: str = "steps",
        operation_id: str | None = None,
    ) -> Operation:
        """Record a new pending operation (its id is the correlation id)."""
        if progress_total < 0:
            raise ValueError(f"progress_total: must be >= 0, got {progress_total}")
        args = dict(params or {})
        text = _dumps(args, "params")
        now = self.now()
        op = Operation(
            id=operation_id or new_id("op"),
            run_id=run_id,
            session_id=session_id,
            kind=kind,
            status="pending",
            params=args,
            progress_done=0,
            progress_total=progress_total,
            progress_unit=progress_unit,
            result=None,
            problem=None,
            created_at=now,
            updated_at=now,
        )
        with self.transaction():
            self._require("runs", "run", run_id)
            if session_id is not None:
                self._require("sessions", "session", session_id)
            self._exec(
                "INSERT INTO operations (id, run_id, session_id, kind, status, params,"
                " progress_done, progress_total, progress_unit, result, problem, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'pending', ?, 0, ?, ?, NULL, NULL, ?, ?)",
                (
                    op.id,
                    run_id,
                    session_id,
                    kind,
                    text,
                    progress_total,
                    progress_unit,
                    _secs(now),
                    _secs(now),
                ),
            )
        return op

    def get_operation(self, operation_id: str) -> Operation | None:
        """The operation, or None."""
        row = self._one("SELECT * FROM operations WHERE id = ?", (operation_id,))
        return None if row is None else _operation(row)

    def list_operations(
        self,
        run_id: str,
        *,
        kind: str | None = None,
        status: OperationStatus | None = None,
        limit: int = 100,
    ) -> list[Operation]:
        """A run's operations, oldest first, optionally of one kind and/or status."""
        sql = "SELECT * FROM operations WHERE run_id = ?"
        args: list[Any] = [run_id]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY created_at, rowid LIMIT ?"
        args.append(_limit(limit))
        return [_operation(r) for r in self._all(sql, args)]

    def active_operations(self) -> list[Operation]:
        """Operations pending or running, oldest first."""
        rows = self._all(
            "SELECT * FROM operations WHERE status IN ('pending', 'running')"
            " ORDER BY created_at, rowid"
        )
        return [_operation(r) for r in rows]

    def update_operation(
        self,
        operation_id: str,
        *,
        status: OperationStatus | None = None,
        progress_done: int | None = None,
        progress_total: int | None = None,
        result: JsonObject | _Unset | None = _UNSET,
        problem: JsonObject | _Unset | None = _UNSET,
    ) -> Operation:
        """Change an unfinished operation; a terminal one raises ``OperationFinishedError``."""
        with self.transaction():
            return self._update_operation(
                operation_id,
                status=status,
                progress_done=progress_done,
                progress_total=progress_total,
                result=result,
                problem=problem,
            )

    def finish_operation(
        self,
        operation_id: str,
        *,
        status: Literal["succeeded", "failed", "cancelled"],
        result: JsonObject | None = None,
        problem: JsonObject | None = None,
        artifacts: Sequence[ArtifactRecord] = (),
    ) -> Operation:
        """Move an operation to a terminal status and record its artifacts in one transaction."""
        with self.transaction():
            for artifact in artifacts:
                self.add_artifact(artifact)
            current = self._exec(
                "SELECT progress_total FROM operations WHERE id = ?", (operation_id,)
            ).fetchone()
            done = None if current is None or status != "succeeded" else current[0]
            return self._update_operation(
                operation_id,
                status=status,
                progress_done=done,
                progress_total=None,
                result=result,
                problem=problem,
            )

    def _update_operation(
        self,
        operation_id: str,
        *,
        status: OperationStatus | None,
        progress_done: int | None,
        progress_total: int | None,
        result: JsonObject | _Unset | None,
        problem: JsonObject | _Unset | None,
    ) -> Operation:
        row = self._exec("SELECT * FROM operations WHERE id = ?", (operation_id,)).fetchone()
        if row is None:
            raise RecordNotFoundError("operation", operation_id)
        current = _operation(row)
        if current.terminal:
            raise OperationFinishedError(operation_id, current.status)
        if status is not None and status not in _OP_STATUSES:
            raise ValueError(f"status: {status!r} is not one of {sorted(_OP_STATUSES)}")
        sets: list[str] = ["updated_at = ?"]
        args: list[Any] = [_secs(self.now())]
        if status is not None:
            sets.append("status = ?")
            args.append(status)
        total = current.progress_total if progress_total is None else progress_total
        done = current.progress_done if progress_done is None else progress_done
        if total < 0 or done < 0:
            raise ValueError(f"progress: done and total must be >= 0, got {done}/{total}")
        sets += ["progress_done = ?", "progress_total = ?"]
        args += [done, total]
        if not isinstance(result, _Unset):
            sets.append("result = ?")
            args.append(None if result is None else _dumps(result, "result"))
        if not isinstance(problem, _Unset):
            sets.append("problem = ?")
            args.append(None if problem is None else _dumps(problem, "problem"))
        args.append(operation_id)
        updated = self._exec(
            f"UPDATE operations SET {', '.join(sets)} WHERE id = ? RETURNING *", args
        ).fetchone()
        return _operation(updated)

    def mark_interrupted_operations(self) -> list[Operation]:
        """At start-up: every pending/running operation becomes failed (``server.restarted``).

        An operation that was under way when the process died did not complete; reporting it as
        failed (never as done) is the only honest answer. Returns the operations changed.
        """
        changed: list[Operation] = []
        with self.transaction():
            for op in self.active_operations():
                problem = {
                    "type": "about:blank",
                    "title": "Server restarted",
                    "status": 500,
                    "reason": "server.restarted",
                    "detail": _RESTARTED_DETAIL.format(id=op.id, kind=op.kind, status=op.status),
                }
                changed.append(
                    self._update_operation(
                        op.id,
                        status="failed",
                        progress_done=None,
                        progress_total=None,
                        result=_UNSET,
                        problem=problem,
                    )
                )
        return changed

    # -- artifacts --------------------------------------------------------------------------

    def add_artifact(self, artifact: ArtifactRecord) -> ArtifactRecord:
        """Record a written image file (see ``ArtifactStore.write``)."""
        created = artifact.created_at or self.now()
        with self.transaction():
            if artifact.operation_id is not None:
                self._require("operations", "operation", artifact.operation_id)
            self._exec(
                "INSERT INTO artifacts (image_id, operation_id, path, sha256, size_bytes, mime,"
                " width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    artifact.image_id,
                    artifact.operation_id,
                    artifact.path,
                    artifact.sha256,
                    artifact.size_bytes,
                    artifact.mime,
                    artifact.width,
                    artifact.height,
                    _secs(created),
                ),
            )
        return ArtifactRecord(
            image_id=artifact.image_id,
            operation_id=artifact.operation_id,
            path=artifact.path,
            sha256=artifact.sha256,
            size_bytes=artifact.size_bytes,
            mime=artifact.mime,
            width=artifact.width,
            height=artifact.height,
            created_at=created,
        )

    def get_artifact(self, image_id: str) -> ArtifactRecord | None:
        """The artifact record, or None."""
        row = self._one("SELECT * FROM artifacts WHERE image_id = ?", (image_id,))
        return None if row is None else _artifact(row)

    def list_artifacts(self, *, operation_id: str | None = None) -> list[ArtifactRecord]:
        """All artifacts (or one operation's), oldest first."""
        if operation_id is None:
            rows = self._all("SELECT * FROM artifacts ORDER BY created_at, rowid")
        else:
            rows = self._all(
                "SELECT * FROM artifacts WHERE operation_id = ? ORDER BY created_at, rowid",
                (operation_id,),
            )
        return [_artifact(r) for r in rows]

    # -- ROIs -------------------------------------------------------------------------------

    def save_roi(
        self, name: str, record: Mapping[str, Any], *, overwrite: bool = False
    ) -> RoiRecord:
        """Save an ROI record; an existing name raises ``RoiExistsError`` unless ``overwrite``."""
        body = dict(record)
        text = _dumps(body, "record")
        now = self.now()
        with self.transaction():
            row = self._exec("SELECT created_at FROM rois WHERE name = ?", (name,)).fetchone()
            if row is not None and not overwrite:
                raise RoiExistsError(name)
            created = now if row is None else _ts(row["created_at"])
            self._exec(
                "INSERT INTO rois (name, record, created_at, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET record = excluded.record,"
                " updated_at = excluded.updated_at",
                (name, text, _secs(created), _secs(now)),
            )
        return RoiRecord(name=name, record=body, created_at=created, updated_at=now)

    def get_roi(self, name: str) -> RoiRecord | None:
        """The ROI record, or None."""
        row = self._one("SELECT * FROM rois WHERE name = ?", (name,))
        return None if row is None else _roi(row)

    def list_rois(self) -> list[RoiRecord]:
        """All ROI records by name."""
        return [_roi(r) for r in self._all("SELECT * FROM rois ORDER BY name")]

    def delete_roi(self, name: str) -> bool:
        """Delete an ROI record; True when one existed."""
        with self.transaction():
            cur = self._exec("DELETE FROM rois WHERE name = ?", (name,))
        return cur.rowcount > 0

    # -- idempotency ------------------------------------------------------------------------

    def begin_idempotent(self, request: IdempotentRequest) -> StoredResponse | None:
        """Claim ``request``'s key, or return the response stored for it.

        ``None`` means the key is now reserved: act, then call ``complete_idempotent`` (or
        ``abandon_idempotent`` if acting failed without a response worth replaying). A stored,
        unexpired response for the same request is returned for replay. The same key with a
        different method, path or body raises ``IdempotencyMismatchError``; a first request still
        in flight raises ``IdempotencyInProgressError``. Expired keys are treated as new.
        """
        now = self._clock()
        with self.transaction():
            row = self._exec(
                "SELECT * FROM idempotency WHERE principal = ? AND key = ?",
                (request.principal, request.key),
            ).fetchone()
            if row is not None and row["created_at"] + self._ttl_s <= now:
                self._exec(
                    "DELETE FROM idempotency WHERE principal = ? AND key = ?",
                    (request.principal, request.key),
                )
                row = None
            if row is None:
                self._exec(
                    "INSERT INTO idempotency (principal, key, method, path, body_sha256,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        request.principal,
                        request.key,
                        request.method,
                        request.path,
                        request.body_sha256,
                        now,
                    ),
                )
                return None
            for what, stored, given in (
                ("method", row["method"], request.method),
                ("path", row["path"], request.path),
                ("body", row["body_sha256"], request.body_sha256),
            ):
                if stored != given:
                    raise IdempotencyMismatchError(request.key, what)
            if row["status_code"] is None:
                raise IdempotencyInProgressError(request.key)
            return StoredResponse(
                status_code=row["status_code"],
                body=json.loads(row["response"]),
                headers=cast(dict[str, str], json.loads(row["headers"])),
                created_at=_ts(row["created_at"]),
            )

    def complete_idempotent(
        self,
        request: IdempotentRequest,
        *,
        status_code: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Store the response to a request whose key ``begin_idempotent`` reserved."""
        body_text = _dumps(body, "body")
        headers_text = _dumps(dict(headers or {}), "headers")
        with self.transaction():
            cur = self._exec(
                "UPDATE idempotency SET status_code = ?, response = ?, headers = ?"
                " WHERE principal = ? AND key = ? AND body_sha256 = ? AND status_code IS NULL",
                (
                    status_code,
                    body_text,
                    headers_text,
                    request.principal,
                    request.key,
                    request.body_sha256,
                ),
            )
            if cur.rowcount != 1:
                raise RecordNotFoundError("idempotency reservation", request.key)

    def abandon_idempotent(self, request: IdempotentRequest) -> None:
        """Drop an unfinished reservation so the client may retry with the same key."""
        with self.transaction():
            self._exec(
                "DELETE FROM idempotency WHERE principal = ? AND key = ? AND status_code IS NULL",
                (request.principal, request.key),
            )

    def purge_idempotency(self) -> int:
        """Delete expired keys; returns how many."""
        cutoff = self._clock() - self._ttl_s
        with self.transaction():
            cur = self._exec(
                "DELETE FROM idempotency WHERE created_at <= ? AND status_code IS NOT NULL",
                (cutoff,),
            )
        return cur.rowcount

    def drop_pending_idempotency(self) -> int:
        """At start-up: forget reservations whose request died with the last process."""
        with self.transaction():
            cur = self._exec("DELETE FROM idempotency WHERE status_code IS NULL")
        return cur.rowcount

    # -- audit ------------------------------------------------------------------------------

    def append_audit(
        self,
        *,
        method: str,
        path: str,
        command: str,
        outcome: AuditOutcome,
        params: Mapping[str, Any] | None = None,
        actor_role: str | None = None,
        token_fingerprint: str | None = None,
        session_id: str | None = None,
        run_id: str | None = None,
        status_code: int | None = None,
        reason: str | None = None,
        operation_id: str | None = None,
        clock_s: float | None = None,
        request_id: str | None = None,
    ) -> AuditRecord:
        """Append one entry to the audit log (pass the token's fingerprint, never the token).

        ``clock_s`` is the instrument's clock when the command arrived; ``request_id`` the
        ``X-Request-Id`` of the request that carried it.
        """
        if outcome not in _AUDIT_OUTCOMES:
            raise ValueError(f"outcome: {outcome!r} is not one of {sorted(_AUDIT_OUTCOMES)}")
        if clock_s is not None and not math.isfinite(clock_s):
            # SQLite would store NaN as NULL and the entry would lie about what it was given.
            raise ValueError(f"clock_s: must be finite, got {clock_s}")
        args = dict(params or {})
        text = _dumps(args, "params")
        at = self.now()
        with self.transaction():
            cur = self._exec(
                "INSERT INTO audit (at, actor_role, token_fingerprint, session_id, run_id, method,"
                " path, command, params, outcome, status_code, reason, operation_id, clock_s,"
                " request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _secs(at),
                    actor_role,
                    token_fingerprint,
                    session_id,
                    run_id,
                    method,
                    path,
                    command,
                    text,
                    outcome,
                    status_code,
                    reason,
                    operation_id,
                    None if clock_s is None else float(clock_s),
                    request_id,
                ),
            )
            seq = cur.lastrowid
        assert seq is not None
        return AuditRecord(
            seq=seq,
            at=at,
            actor_role=actor_role,
            token_fingerprint=token_fingerprint,
            session_id=session_id,
            run_id=run_id,
            method=method,
            path=path,
            command=command,
            params=args,
            outcome=outcome,
            status_code=status_code,
            reason=reason,
            operation_id=operation_id,
            clock_s=None if clock_s is None else float(clock_s),
            request_id=request_id,
        )

    def list_audit(
        self, *, run_id: str | None = None, after_seq: int = 0, limit: int = 100
    ) -> list[AuditRecord]:
        """Audit entries in order, all or one run's, starting after ``after_seq``."""
        if after_seq >= _MAX_SEQ:
            # SQLite cannot bind a larger integer (OverflowError), and no seq exceeds its maximum.
            return []
        sql = "SELECT * FROM audit WHERE seq > ?"
        args: list[Any] = [after_seq]
        if run_id is not None:
            sql += " AND run_id = ?"
            args.append(run_id)
        sql += " ORDER BY seq LIMIT ?"
        args.append(_limit(limit))
        return [_audit(r) for r in self._all(sql, args)]

    # -- simulator state --------------------------------------------------------------------

    def save_sim_state(self, snapshot: Mapping[str, Any]) -> None:
        """Replace the driver's persisted snapshot (specimen, placement, …)."""
        text = _dumps(dict(snapshot), "snapshot")
        with self.transaction():
            self._exec(
                "INSERT INTO sim_state (id, snapshot, updated_at) VALUES (1, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot,"
                " updated_at = excluded.updated_at",
                (text, self._clock()),
            )

    def load_sim_state(self) -> JsonObject | None:
        """The last saved driver snapshot, or None."""
        row = self._one("SELECT snapshot FROM sim_state WHERE id = 1")
        return None if row is None else _loads_obj(row["snapshot"])


def _limit(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"limit: must be >= 1, got {limit}")
    return limit
