"""Who is calling: bearer tokens to roles, compared in constant time.

``Authenticator.authenticate`` turns an ``Authorization: Bearer <token>`` header into a
``Principal`` (role + fingerprint). It compares the presented token with every configured token in
constant time (sha256 of both, ``hmac.compare_digest``, no early exit), so neither which token
matched nor how much of it matched leaks through timing. A principal carries the token's
fingerprint (first 8 hex of its sha256, for audit logs), never the token. Its errors are the auth
family of `semphony.server.errors`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from pydantic import SecretStr

from semphony.server.errors import AuthForbiddenError, AuthInvalidError, AuthMissingError
from semphony.server.settings import Role, ServerSettings

__all__ = ["Authenticator", "Principal", "fingerprint", "require_operator"]

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
