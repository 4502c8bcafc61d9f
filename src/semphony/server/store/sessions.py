"""The ``sessions`` table: control sessions and their lease expiry."""

from __future__ import annotations

from datetime import datetime

from semphony.server.errors import RecordNotFoundError
from semphony.server.store._db import Database, Row
from semphony.server.store._rows import Clock, secs, ts, ts_opt
from semphony.server.store._schema import next_seq
from semphony.server.store.records import Session, new_id

__all__ = ["SessionRepository"]


def _session(row: Row) -> Session:
    return Session(
        id=row["id"],
        run_id=row["run_id"],
        holder=row["holder"],
        role=row["role"],
        created_at=ts(row["created_at"]),
        lease_expires_at=ts(row["lease_expires_at"]),
        ended_at=ts_opt(row["ended_at"]),
        end_reason=row["end_reason"],
        lease_s=row["lease_s"],
        secret_sha256=row["secret_sha256"],
        instrument=row["instrument"],
    )


class SessionRepository:
    """Record sessions, move their lease expiry, end them: this store's instrument's only (the
    lease is the instrument's; another server's sessions are not ours to see or end)."""

    def __init__(self, db: Database, clock: Clock, instrument: str = "local") -> None:
        self._db = db
        self._clock = clock
        self._instrument = instrument

    def create(
        self,
        *,
        run_id: str,
        holder: str,
        role: str,
        lease_expires_at: datetime,
        lease_s: float | None = None,
        secret_sha256: str | None = None,
    ) -> Session:
        """Record a new active session of ``run_id``."""
        session = Session(
            id=new_id("ses"),
            run_id=run_id,
            holder=holder,
            role=role,
            created_at=ts(self._clock()),
            lease_expires_at=lease_expires_at,
            lease_s=lease_s,
            secret_sha256=secret_sha256,
            instrument=self._instrument,
        )
        with self._db.write() as tx:
            if (
                tx.execute(
                    "SELECT 1 FROM runs WHERE id = ? AND instrument = ?",
                    (run_id, self._instrument),
                ).fetchone()
                is None
            ):
                raise RecordNotFoundError("run", run_id)
            tx.execute(
                "INSERT INTO sessions (id, run_id, holder, role, created_at, lease_expires_at,"
                f" lease_s, secret_sha256, instrument, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                f" {next_seq('sessions')})",
                (
                    session.id,
                    run_id,
                    holder,
                    role,
                    secs(session.created_at),
                    secs(lease_expires_at),
                    lease_s,
                    secret_sha256,
                    self._instrument,
                ),
            )
        return session

    def get(self, session_id: str) -> Session | None:
        """The session, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT * FROM sessions WHERE id = ? AND instrument = ?",
                (session_id, self._instrument),
            ).fetchone()
        return None if row is None else _session(row)

    def holder(self, session_id: str) -> str | None:
        """Who held a session of any instrument (the audit log names them), or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT holder FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else str(row["holder"])

    def active(self) -> list[Session]:
        """Sessions not yet ended (expired leases included until someone ends them)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM sessions WHERE ended_at IS NULL AND instrument = ?"
                " ORDER BY created_at, seq",
                (self._instrument,),
            ).fetchall()
        return [_session(r) for r in rows]

    def extend(self, session_id: str, lease_expires_at: datetime) -> Session:
        """Move an active session's lease expiry."""
        with self._db.write() as tx:
            row = tx.execute(
                "UPDATE sessions SET lease_expires_at = ? WHERE id = ? AND instrument = ?"
                " AND ended_at IS NULL RETURNING *",
                (secs(lease_expires_at), session_id, self._instrument),
            ).fetchone()
            if row is None:
                raise RecordNotFoundError("active session", session_id)
        return _session(row)

    def end(self, session_id: str, reason: str, at: datetime | None = None) -> Session:
        """End a session (idempotent: an ended session is returned unchanged)."""
        when = at or ts(self._clock())
        with self._db.write() as tx:
            row = tx.execute(
                "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND instrument = ?"
                " AND ended_at IS NULL RETURNING *",
                (secs(when), reason, session_id, self._instrument),
            ).fetchone()
            if row is None:
                row = tx.execute(
                    "SELECT * FROM sessions WHERE id = ? AND instrument = ?",
                    (session_id, self._instrument),
                ).fetchone()
                if row is None:
                    raise RecordNotFoundError("session", session_id)
        return _session(row)
