"""The one control lease: one active session at a time, renewed by heartbeat, ended by release or
expiry, and usable only by the client that holds its secret.

Starting a session returns a lease secret, once; the store keeps only its sha256. Every
session-scoped command must present it (`require`): others may see who holds the lease, never use
it. (Beam off and stop are the exception the services make: any operator may press them.)

``LeaseManager`` keeps the lease in the store (so a restart keeps it, with the duration the session
asked for) and the holding session in memory, so the checks every command makes and the state
readers' "who holds it" cost no database read. Its clock is injectable. Errors are the lease family
of `semphony.server.errors`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from semphony.server.errors import (
    LeaseExpiredError,
    LeaseHeldError,
    LeaseRequiredError,
    LeaseSecretError,
    RecordNotFoundError,
    StorageError,
)
from semphony.server.settings import Role
from semphony.server.store import Session, Store

__all__ = ["LEASE_EXPIRED", "LEASE_RELEASED", "LeaseManager", "secret_digest"]

_log = logging.getLogger("semphony.server")

LEASE_EXPIRED = "lease.expired"
LEASE_RELEASED = "released"


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def secret_digest(secret: str) -> str:
    """What the store keeps of a lease secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


class LeaseManager:
    """The single control lease over the store.

    ``on_expire`` is called with each session this manager expires -- in ``expire_if_due`` or when
    a command notices an overdue lease -- after the expiry is committed; the server uses it to put
    the instrument in a safe state.
    """

    def __init__(
        self,
        store: Store,
        *,
        lease_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        on_expire: Callable[[Session], None] | None = None,
    ) -> None:
        if not lease_s > 0:
            raise ValueError(f"lease_s: must be > 0, got {lease_s}")
        self._store = store
        self._lease_s = float(lease_s)
        self._clock = clock
        self.on_expire = on_expire
        self._lock = threading.RLock()
        self._behind: list[Callable[[], object]] = []
        active = store.sessions.active()
        self._current: Session | None = active[0] if active else None

    @property
    def lease_s(self) -> float:
        """The default lease duration in seconds."""
        return self._lease_s

    def duration_s(self, session: Session) -> float:
        """How long `session`'s lease lasts from each heartbeat."""
        return session.lease_s if session.lease_s is not None else self._lease_s

    def current(self) -> Session | None:
        """The session holding an unexpired lease now, or None (expires nothing; no I/O)."""
        session = self._current
        if session is not None and session.lease_expires_at > _utc(self._clock()):
            return session
        return None

    def acquire(
        self, run_id: str, holder: str, *, role: Role = "operator", lease_s: float | None = None
    ) -> tuple[Session, str]:
        """Start a session of ``run_id`` holding the lease for ``lease_s`` seconds; the session
        and its lease secret (returned here only).

        Raises ``LeaseHeldError`` (naming the holder) while another session's lease is unexpired,
        and ``RecordNotFoundError`` for an unknown run.
        """
        duration = self._lease_s if lease_s is None else float(lease_s)
        if not duration > 0:
            raise ValueError(f"lease_s: must be > 0, got {lease_s}")
        with self._lock:
            self.expire_if_due()
            with self._store.transaction():
                active = self._store.sessions.active()
                if active:
                    held = active[0]
                    raise LeaseHeldError(
                        f"the control lease is held by {held.holder!r} (session {held.id}) until "
                        f"{held.lease_expires_at.isoformat()}; wait for it to be released or to "
                        "expire",
                        holder=held.holder,
                        session_id=held.id,
                    )
                secret = secrets.token_urlsafe(24)
                session = self._store.sessions.create(
                    run_id=run_id,
                    holder=holder,
                    role=role,
                    lease_expires_at=_utc(self._clock() + duration),
                    lease_s=duration,
                    secret_sha256=secret_digest(secret),
                )
            self._current = session
            return session, secret

    def holds(self, session_id: str, secret: str | None) -> bool:
        """True when `secret` is the lease secret of `session_id`, which holds the lease now."""
        current = self.current()
        return current is not None and current.id == session_id and _matches(current, secret)

    def require(self, session_id: str, secret: str | None) -> Session:
        """The session, if it holds an unexpired lease and `secret` is its lease secret; else the
        lease error that says why."""
        with self._lock:
            current = self._current
            now = _utc(self._clock())
            if current is not None and current.id == session_id:
                if current.lease_expires_at > now:
                    if not _matches(current, secret):
                        raise LeaseSecretError(
                            f"session {session_id} holds the lease, but this request does not "
                            "carry its lease secret (the `Lease-Secret` header its start "
                            "answered): only the client holding the lease may command it"
                            if secret is None
                            else f"the lease secret does not match session {session_id}: only "
                            "the client holding the lease may command it"
                        )
                    return current
                self._expire(current)
                raise LeaseExpiredError(
                    f"session {session_id}'s lease expired at "
                    f"{current.lease_expires_at.isoformat()} without a heartbeat; "
                    "start a new session"
                )
            session = self._store.sessions.get(session_id)
            if session is None:
                raise RecordNotFoundError("session", session_id)
            if session.end_reason == LEASE_EXPIRED:
                raise LeaseExpiredError(
                    f"session {session_id}'s lease expired at "
                    f"{session.ended_at.isoformat() if session.ended_at else '?'}; "
                    "start a new session"
                )
            raise LeaseRequiredError(
                f"session {session_id} ended ({session.end_reason or 'not holding the lease'}); "
                "start a new session"
            )

    def heartbeat(self, session_id: str, secret: str | None) -> Session:
        """Renew the lease of the holding session for another of its lease durations.

        A client that beats faithfully never loses its lease to a full disk: the renewal holds in
        memory and is written when the store takes it again (`flush`).
        """
        with self._lock:
            session = self.require(session_id, secret)
            until = _utc(self._clock() + self.duration_s(session))
            try:
                renewed = self._store.sessions.extend(session_id, until)
            except StorageError as exc:
                renewed = replace(session, lease_expires_at=until)
                self._later(lambda: self._store.sessions.extend(session_id, until), exc)
            self._current = renewed
            return renewed

    def release(self, session_id: str) -> Session:
        """End the session and free the lease (releasing an ended session changes nothing).

        On a full disk the lease is freed at once and the end written when the store recovers.
        """
        with self._lock:
            at = _utc(self._clock())
            current = self._current if self._current and self._current.id == session_id else None
            try:
                ended = self._store.sessions.end(session_id, LEASE_RELEASED, at)
            except StorageError as exc:
                if current is None:
                    raise
                ended = replace(current, ended_at=at, end_reason=LEASE_RELEASED)
                self._later(lambda: self._store.sessions.end(session_id, LEASE_RELEASED, at), exc)
            if current is not None:
                self._current = None
            return ended

    def _later(self, write: Callable[[], object], exc: StorageError) -> None:
        _log.warning("the lease change is kept in memory until the store recovers: %s", exc)
        self._behind.append(write)

    def flush(self) -> int:
        """Write the lease changes the store refused before; returns how many still wait."""
        with self._lock:
            while self._behind:
                try:
                    self._behind[0]()
                except StorageError:
                    break
                except Exception as exc:  # e.g. the session ended meanwhile: nothing to write
                    _log.warning("a kept lease change could not be written: %s", exc)
                self._behind.pop(0)
            return len(self._behind)

    def expire_if_due(self, now: float | None = None) -> Session | None:
        """End the active session if its lease has run out; returns it, or None."""
        at = _utc(self._clock() if now is None else now)
        with self._lock:
            current = self._current
            if current is not None and current.lease_expires_at <= at:
                return self._expire(current, at)
        return None

    def _expire(self, session: Session, at: datetime | None = None) -> Session:
        when = at or _utc(self._clock())
        try:
            ended = self._store.sessions.end(session.id, LEASE_EXPIRED, when)
        except StorageError as exc:
            # The lease ran out whatever the disk says: make the instrument safe now.
            ended = replace(session, ended_at=when, end_reason=LEASE_EXPIRED)
            self._later(lambda: self._store.sessions.end(session.id, LEASE_EXPIRED, when), exc)
        if self._current is not None and self._current.id == session.id:
            self._current = None
        if self.on_expire is not None:
            self.on_expire(ended)
        return ended

    def remaining_s(self, session: Session) -> float:
        """Seconds until ``session``'s lease expires (negative once overdue)."""
        return (session.lease_expires_at - _utc(self._clock())).total_seconds()


def _matches(session: Session, secret: str | None) -> bool:
    if secret is None or session.secret_sha256 is None:
        return False
    return hmac.compare_digest(secret_digest(secret), session.secret_sha256)
