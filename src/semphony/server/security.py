"""Who may do what: bearer-token roles, and the one control lease.

``Authenticator.authenticate`` turns an ``Authorization: Bearer <token>`` header into a
``Principal`` (role + fingerprint). It compares the presented token with every configured token in
constant time (sha256 of both, ``hmac.compare_digest``, no early exit), so neither which token
matched nor how much of it matched leaks through timing. A principal carries the token's
fingerprint (first 8 hex of its sha256, for audit logs), never the token.

``LeaseManager`` keeps the single control lease on top of the ``Store``: one active session at a
time, renewed by heartbeat, ended by release or expiry. Its clock is injectable.

Errors (each carries a machine-readable ``reason`` and an HTTP ``status``)::

    AuthError                  401/403 family
     ├── AuthMissingError      no (bearer) credentials          401 auth.missing
     ├── AuthInvalidError      credentials match no token       401 auth.invalid
     └── AuthForbiddenError    a viewer tried to control        403 auth.forbidden
    LeaseError                 409 family
     ├── LeaseHeldError        another session holds the lease  409 lease.held (names the holder)
     ├── LeaseRequiredError    this session does not hold it    409 lease.required
     └── LeaseExpiredError     this session's lease ran out     409 lease.expired
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from pydantic import SecretStr

from semphony.server.settings import Role, ServerSettings
from semphony.server.store import RecordNotFoundError, Session, Store

__all__ = [
    "LEASE_EXPIRED",
    "LEASE_RELEASED",
    "AuthError",
    "AuthForbiddenError",
    "AuthInvalidError",
    "AuthMissingError",
    "Authenticator",
    "LeaseError",
    "LeaseExpiredError",
    "LeaseHeldError",
    "LeaseManager",
    "LeaseRequiredError",
    "Principal",
    "fingerprint",
    "require_operator",
]

LEASE_EXPIRED = "lease.expired"
LEASE_RELEASED = "released"
_BEARER = "bearer"


def fingerprint(token: str | SecretStr) -> str:
    """First 8 hex digits of the token's sha256: enough to tell tokens apart in a log, no more."""
    raw = token.get_secret_value() if isinstance(token, SecretStr) else token
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its role and its token's fingerprint (never the token)."""

    role: Role
    fingerprint: str

    @property
    def is_operator(self) -> bool:
        """True when this caller may control the instrument."""
        return self.role == "operator"


# --------------------------------------------------------------------------------------- errors


class AuthError(Exception):
    """Authentication or authorisation failed."""

    reason: ClassVar[str] = "auth.error"
    status: ClassVar[int] = 401

    @property
    def headers(self) -> dict[str, str]:
        """Response headers RFC 6750 asks for on a 401."""
        if self.status == 401:
            return {"WWW-Authenticate": 'Bearer realm="semphony"'}
        return {}


class AuthMissingError(AuthError):
    """The request carries no bearer token."""

    reason: ClassVar[str] = "auth.missing"
    status: ClassVar[int] = 401


class AuthInvalidError(AuthError):
    """The bearer token matches no configured token (or the header is malformed)."""

    reason: ClassVar[str] = "auth.invalid"
    status: ClassVar[int] = 401


class AuthForbiddenError(AuthError):
    """The caller is authenticated but its role may not do this (a viewer controlling)."""

    reason: ClassVar[str] = "auth.forbidden"
    status: ClassVar[int] = 403


class LeaseError(Exception):
    """The control lease does not allow this."""

    reason: ClassVar[str] = "lease.error"
    status: ClassVar[int] = 409


class LeaseHeldError(LeaseError):
    """Another session holds the control lease; ``holder`` says who."""

    reason: ClassVar[str] = "lease.held"

    def __init__(self, session: Session) -> None:
        super().__init__(
            f"the control lease is held by {session.holder!r} (session {session.id}) until "
            f"{session.lease_expires_at.isoformat()}; wait for it to be released or to expire"
        )
        self.holder = session.holder
        self.session_id = session.id
        self.expires_at = session.lease_expires_at


class LeaseRequiredError(LeaseError):
    """The session named does not hold the control lease (it was released, or never held it)."""

    reason: ClassVar[str] = "lease.required"


class LeaseExpiredError(LeaseError):
    """The session's lease ran out before it was renewed; start a new session."""

    reason: ClassVar[str] = "lease.expired"


# --------------------------------------------------------------------------------- authentication


class Authenticator:
    """Maps bearer tokens to roles, comparing in constant time over all configured tokens."""

    def __init__(
        self, *, operator_token: SecretStr | None, viewer_token: SecretStr | None = None
    ) -> None:
        entries: list[tuple[bytes, Role, str]] = []
        configured: tuple[tuple[Role, SecretStr | None], ...] = (
            ("operator", operator_token),
            ("viewer", viewer_token),
        )
        for role, token in configured:
            if token is None:
                continue
            raw = token.get_secret_value()
            if not raw:
                raise ValueError(f"{role}_token: must not be empty")
            entries.append((hashlib.sha256(raw.encode("utf-8")).digest(), role, fingerprint(raw)))
        if not entries:
            raise ValueError("operator_token: at least one token must be configured")
        self._entries: tuple[tuple[bytes, Role, str], ...] = tuple(entries)

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> Authenticator:
        """An authenticator for the settings' tokens (run ``provision_local_token`` first)."""
        return cls(operator_token=settings.operator_token, viewer_token=settings.viewer_token)

    def __repr__(self) -> str:
        roles = ", ".join(role for _, role, _ in self._entries)
        return f"Authenticator(roles=[{roles}])"

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an ``Authorization`` header value.

        Raises ``AuthMissingError`` when there is no header or no token in it, and
        ``AuthInvalidError`` for another scheme or an unknown token.
        """
        if authorization is None or not authorization.strip():
            raise AuthMissingError("no credentials: send `Authorization: Bearer <token>`")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != _BEARER:
            raise AuthInvalidError(
                "the Authorization header must use the Bearer scheme: `Bearer <token>`"
            )
        token = token.strip()
        if not token:
            raise AuthMissingError("the Authorization header has no token after `Bearer`")
        presented = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        match: tuple[Role, str] | None = None
        # Compare against every token without stopping at a match: the time taken does not
        # depend on which token (if any) matched.
        for digest, role, fp in self._entries:
            if hmac.compare_digest(presented, digest) and match is None:
                match = (role, fp)
        if match is None:
            raise AuthInvalidError("the bearer token is not valid for this server")
        return Principal(role=match[0], fingerprint=match[1])


def require_operator(principal: Principal) -> None:
    """Raise ``AuthForbiddenError`` unless the principal may control the instrument."""
    if not principal.is_operator:
        raise AuthForbiddenError(
            f"role {principal.role!r} may only read; controlling the instrument needs the "
            "operator token"
        )


# ------------------------------------------------------------------------------------------ lease


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class LeaseManager:
    """The single control lease, kept in the store.

    ``clock`` returns Unix seconds (``time.time`` by default). ``on_expire`` is called with each
    session this manager expires -- whether in ``expire_if_due`` or while ``acquire``/``heartbeat``
    notice an overdue lease -- after the expiry is committed; the server uses it to put the
    instrument in a safe state.
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
        self._on_expire = on_expire
        self._lock = threading.RLock()

    @property
    def lease_s(self) -> float:
        """The default lease duration in seconds."""
        return self._lease_s

    def current(self) -> Session | None:
        """The session holding an unexpired lease now, or None (read-only: expires nothing)."""
        now = _utc(self._clock())
        for session in self._store.active_sessions():
            if session.lease_expires_at > now:
                return session
        return None

    def acquire(
        self, run_id: str, holder: str, *, role: Role = "operator", lease_s: float | None = None
    ) -> Session:
        """Start a session of ``run_id`` holding the lease for ``lease_s`` seconds.

        Raises ``LeaseHeldError`` (naming the holder) while another session's lease is unexpired,
        and ``RecordNotFoundError`` for an unknown run.
        """
        duration = self._lease_s if lease_s is None else float(lease_s)
        if not duration > 0:
            raise ValueError(f"lease_s: must be > 0, got {lease_s}")
        with self._lock:
            self.expire_if_due()
            with self._store.transaction():
                active = self._store.active_sessions()
                if active:
                    raise LeaseHeldError(active[0])
                expires = _utc(self._clock() + duration)
                return self._store.create_session(
                    run_id=run_id, holder=holder, role=role, lease_expires_at=expires
                )

    def require(self, session_id: str) -> Session:
        """The session, if it holds an unexpired lease; else the lease error that says why."""
        with self._lock:
            session = self._store.get_session(session_id)
            if session is None:
                raise RecordNotFoundError("session", session_id)
            if not session.active:
                if session.end_reason == LEASE_EXPIRED:
                    raise LeaseExpiredError(
                        f"session {session_id}'s lease expired at "
                        f"{session.ended_at.isoformat() if session.ended_at else '?'}; "
                        "start a new session"
                    )
                raise LeaseRequiredError(
                    f"session {session_id} ended ({session.end_reason}); start a new session"
                )
            if session.lease_expires_at <= _utc(self._clock()):
                self._expire(session)
                raise LeaseExpiredError(
                    f"session {session_id}'s lease expired at "
                    f"{session.lease_expires_at.isoformat()} without a heartbeat; "
                    "start a new session"
                )
            return session

    def heartbeat(self, session_id: str, *, lease_s: float | None = None) -> Session:
        """Renew the lease of the holding session for another ``lease_s`` seconds."""
        duration = self._lease_s if lease_s is None else float(lease_s)
        if not duration > 0:
            raise ValueError(f"lease_s: must be > 0, got {lease_s}")
        with self._lock:
            self.require(session_id)
            return self._store.extend_session(session_id, _utc(self._clock() + duration))

    def release(self, session_id: str) -> Session:
        """End the session and free the lease (releasing an ended session changes nothing)."""
        with self._lock:
            return self._store.end_session(session_id, LEASE_RELEASED, _utc(self._clock()))

    def expire_if_due(self, now: float | None = None) -> Session | None:
        """End every active session whose lease has run out; returns the one expired, or None."""
        at = _utc(self._clock() if now is None else now)
        expired: Session | None = None
        with self._lock:
            for session in self._store.active_sessions():
                if session.lease_expires_at <= at:
                    expired = self._expire(session, at)
        return expired

    def _expire(self, session: Session, at: datetime | None = None) -> Session:
        ended = self._store.end_session(session.id, LEASE_EXPIRED, at or _utc(self._clock()))
        if self._on_expire is not None:
            self._on_expire(ended)
        return ended

    def remaining_s(self, session: Session) -> float:
        """Seconds until ``session``'s lease expires (negative once overdue)."""
        delta: timedelta = session.lease_expires_at - _utc(self._clock())
        return delta.total_seconds()
