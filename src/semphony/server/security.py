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
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import SecretStr

from semphony.server.errors import AuthForbiddenError, AuthInvalidError, AuthMissingError
from semphony.server.settings import ServerSettings
from semphony.server.users import Role, User

__all__ = ["Authenticator", "Principal", "fingerprint", "require_operator"]

_BEARER = "bearer"


def fingerprint(token: str | SecretStr) -> str:
    """First 8 hex digits of the token's sha256: enough to tell tokens apart in a log, no more."""
    raw = token.get_secret_value() if isinstance(token, SecretStr) else token
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its user name, role and token fingerprint (never the token)."""

    role: Role
    fingerprint: str
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.role)

    @property
    def is_operator(self) -> bool:
        """True when this caller may control the instrument."""
        return self.role == "operator"


class Authenticator:
    """Maps bearer tokens to users, comparing in constant time over all configured tokens."""

    def __init__(self, users: Iterable[User]) -> None:
        entries: list[tuple[bytes, Principal]] = []
        for user in users:
            raw = user.token.get_secret_value()
            if not raw:
                raise ValueError(f"user {user.name!r}: the token must not be empty")
            principal = Principal(role=user.role, fingerprint=fingerprint(raw), name=user.name)
            entries.append((hashlib.sha256(raw.encode("utf-8")).digest(), principal))
        if not entries:
            raise ValueError("operator_token: at least one token must be configured")
        self._entries: tuple[tuple[bytes, Principal], ...] = tuple(entries)

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> Authenticator:
        """An authenticator for the settings' users (run ``provision_local_token`` first)."""
        return cls(settings.all_users)

    def __repr__(self) -> str:
        users = ", ".join(f"{p.name} ({p.role})" for _, p in self._entries)
        return f"Authenticator(users=[{users}])"

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
        match: Principal | None = None
        # Compare against every token without stopping at a match: the time taken does not
        # depend on which token (if any) matched.
        for digest, principal in self._entries:
            if hmac.compare_digest(presented, digest) and match is None:
                match = principal
        if match is None:
            raise AuthInvalidError(_invalid_detail(token))
        return match


def require_operator(principal: Principal) -> None:
    """Raise ``AuthForbiddenError`` unless the principal may control the instrument."""
    if not principal.is_operator:
        raise AuthForbiddenError(
            f"role {principal.role!r} may only read; controlling the instrument needs the "
            "operator token"
        )


def _invalid_detail(token: str) -> str:
    # A token-file line pasted whole arrives as its last field after the role and name were cut
    # at the first space; the header then holds "operator <token>" and nothing matches: say so.
    if token.split()[0] in ("operator", "viewer") and len(token.split()) > 1:
        return (
            "the bearer token is not valid for this server: it looks like a whole token-file "
            "line (`role name token`); send only the token, or set SEMPHONY_TOKEN_FILE"
        )
    return "the bearer token is not valid for this server"
