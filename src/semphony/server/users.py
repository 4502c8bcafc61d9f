"""Named users: who may call the server, in which role, with which token.

A token file has one user a line, ``role name token`` (roles ``operator`` and ``viewer``; blank
lines and lines starting with ``#`` are skipped). The older ``role token`` lines still read, the
user named after the role, with a deprecation warning. Every token is at least
`MIN_TOKEN_LENGTH` visible ASCII characters; names and tokens are unique. ``--token`` and
``--viewer-token`` are the users ``operator`` and ``viewer``. Tokens are `SecretStr`, so no
``repr`` or ``str`` shows them.
"""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

__all__ = [
    "MIN_TOKEN_LENGTH",
    "ROLES",
    "Role",
    "TokenFile",
    "TokenFileError",
    "User",
    "check_name",
    "check_token",
    "merge_users",
    "read_token_file",
    "token_line",
]

_log = logging.getLogger("semphony.server")

Role = Literal["operator", "viewer"]
ROLES: tuple[Role, ...] = ("operator", "viewer")
MIN_TOKEN_LENGTH = 16
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class TokenFileError(ValueError):
    """A token file (or a command-line token) breaks a rule; the message names where."""


@dataclass(frozen=True)
class User:
    """A person (or a script) the server knows: a name, a role and a token."""

    name: str
    role: Role
    token: SecretStr


@dataclass(frozen=True)
class TokenFile:
    """The users read from a token file, and warnings about the file (permissions, old lines)."""

    users: tuple[User, ...]
    warnings: tuple[str, ...] = ()

    def first(self, role: Role) -> User | None:
        """The file's first user of `role`, or None."""
        return next((u for u in self.users if u.role == role), None)


def check_token(token: str, where: str) -> None:
    """Refuse a token that is too short or holds characters a header cannot carry."""
    if not token:
        raise TokenFileError(
            f"{where}: the token is empty; tokens need {MIN_TOKEN_LENGTH}+ characters"
        )
    # Tokens travel in an `Authorization: Bearer` header and the token file splits on whitespace:
    # only visible ASCII survives both.
    bad = [c for c in token if not (0x21 <= ord(c) <= 0x7E)]
    if bad:
        raise TokenFileError(
            f"{where}: the token contains {len(bad)} character(s) outside visible ASCII "
            "(no spaces, control or non-ASCII characters)"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise TokenFileError(
            f"{where}: the token has {len(token)} characters; tokens need at least "
            f"{MIN_TOKEN_LENGTH} (generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )


def check_name(name: str, where: str) -> None:
    """Refuse a user name the audit log could not show plainly."""
    if not _NAME.fullmatch(name):
        raise TokenFileError(
            f"{where}: the user name {name!r} must be 1-64 characters of letters, digits and "
            "_.@- starting with a letter or digit"
        )


def token_line(user: User) -> str:
    """The token-file line of `user` (``role name token``)."""
    return f"{user.role} {user.name} {user.token.get_secret_value()}"


def read_token_file(path: Path) -> TokenFile:
    """Parse a token file; unknown roles, short tokens and repeated names or tokens are refused.

    A file readable by group or others is accepted with a warning (returned and logged).
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TokenFileError(f"token file {path}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise TokenFileError(f"token file {path}: not UTF-8 text") from exc
    warnings: list[str] = []
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(
            f"token file {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"restrict it with: chmod 600 {path}"
        )
    users: list[tuple[User, int]] = []
    old_lines: list[int] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"token file {path}, line {lineno}"
        parts = line.split()
        if len(parts) == 2:
            role_text, token = parts
            name = role_text
            old_lines.append(lineno)
        elif len(parts) == 3:
            role_text, name, token = parts
        else:
            raise TokenFileError(
                f"{where}: expected `role name token` (three fields), found {len(parts)} field(s)"
            )
        if role_text not in ROLES:
            raise TokenFileError(
                f"{where}: unknown role {role_text!r}; roles are {', '.join(ROLES)}"
            )
        check_name(name, where)
        check_token(token, where)
        role: Role = "operator" if role_text == "operator" else "viewer"
        for earlier, earlier_line in users:
            if earlier.name == name:
                raise TokenFileError(
                    f"{where}: the user {name!r} is given again (first on line {earlier_line}); "
                    "give each user once"
                )
            if earlier.token.get_secret_value() == token:
                raise TokenFileError(
                    f"{where}: this token is also line {earlier_line}'s; each user needs a "
                    "token of their own"
                )
        users.append((User(name, role, SecretStr(token)), lineno))
    if old_lines:
        warnings.append(
            f"token file {path}: line(s) {', '.join(map(str, old_lines))} use the old "
            "`role token` form (the user is named after the role); write `role name token`"
        )
    for message in warnings:
        _log.warning("%s", message)
    return TokenFile(users=tuple(u for u, _ in users), warnings=tuple(warnings))


def merge_users(*groups: Iterable[tuple[User, str]]) -> tuple[User, ...]:
    """All users from several sources (each user with where it came from), refusing a name or a
    token given twice."""
    merged: list[tuple[User, str]] = []
    for group in groups:
        for user, source in group:
            for other, other_source in merged:
                if other.name == user.name:
                    raise TokenFileError(
                        f"{source}: the user {user.name!r} is also given by {other_source}; "
                        "give each user once"
                    )
                if other.token.get_secret_value() == user.token.get_secret_value():
                    raise TokenFileError(
                        f"{source}: the token of {user.name!r} equals {other.name!r}'s "
                        f"({other_source}); each user needs a token of their own"
                    )
            merged.append((user, source))
    return tuple(u for u, _ in merged)
