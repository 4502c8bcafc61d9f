"""What the sync and async clients share and that does no I/O.

Options (base URL, token, timeouts, retries), default headers, the retry decision, backoff with
jitter that honours `Retry-After`, the API-version check and the `semphony` logger. The request
loops that send and sleep live in `_transport.py`; nothing here touches the network.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import math
import os
import random
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from semphony._exceptions import IncompatibleServerError, SemphonyError

__all__ = [
    "API_MAJOR_VERSION",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT_S",
    "ClientOptions",
    "check_api_version",
    "check_token",
    "default_headers",
    "logger",
    "parse_retry_after",
    "resolve_options",
    "retry_delay_s",
    "setup_logging",
    "should_retry_status",
    "token_from_file",
]

API_MAJOR_VERSION = 2
"""The major API version this client speaks (all paths live under `/v1`)."""

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_POLL_WAIT_S = 10.0
"""How long one long-poll of an operation asks the server to wait; the read timeout of that
request is this plus the client's timeout, so a long-poll never times out on its own wait."""

INITIAL_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 8.0
MAX_RETRY_AFTER_S = 60.0
"""A `Retry-After` longer than this is not waited for: the error is raised instead, because a
script that silently sleeps for minutes looks hung."""

# 501 means "never": retrying cannot help.
_NOT_RETRIED_5XX = frozenset({501})

logger = logging.getLogger("semphony")


def setup_logging() -> None:
    """Route the `semphony` logger to stderr when `SEMPHONY_LOG` is `debug` or `info`."""
    level = os.environ.get("SEMPHONY_LOG", "").strip().lower()
    if level not in ("debug", "info"):
        return
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
    if not any(getattr(h, "_semphony", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        handler._semphony = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def _sdk_version() -> str:
    try:
        return metadata.version("semphony")
    except metadata.PackageNotFoundError:  # running from a source tree without metadata
        return "0"


@dataclass(frozen=True)
class ClientOptions:
    """Everything a client was configured with; `replace` makes the variant `with_options` needs."""

    base_url: str
    token: str = dataclasses.field(repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    poll_wait_s: float = DEFAULT_POLL_WAIT_S
    local_artifacts: Path | None = None
    """The artifact folder of a server on this machine (`Semphony.local()`): downloads of its
    images are hard links to the stored file, so each image is kept once."""

    def __post_init__(self) -> None:
        for name in ("timeout_s", "connect_timeout_s", "poll_wait_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if isinstance(self.max_retries, bool) or self.max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")

    def replace(self, **changes: Any) -> ClientOptions:
        """A copy with `changes` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def long_poll_read_timeout_s(self, wait_s: float) -> float:
        """The read timeout of a long-poll that asks the server to wait `wait_s`."""
        return wait_s + self.timeout_s


def token_from_file(text: str, *, role: str = "operator", name: str | None = None) -> str | None:
    """The token of one line of a token file, None if no line matches.

    Lines are `role token` or `role name token` (`#` starts a comment). The line of `name` is
    taken when a name is asked for, else the first line of `role`; a file holding a single bare
    token (one field) is that token.
    """
    lines = [line.split() for line in text.splitlines()]
    lines = [parts for parts in lines if parts and not parts[0].startswith("#")]
    if len(lines) == 1 and len(lines[0]) == 1:
        return lines[0][0]
    for parts in lines:
        if name is not None:
            if len(parts) == 3 and parts[1] == name:
                return parts[2]
        elif len(parts) in (2, 3) and parts[0] == role:
            return parts[-1]
    return None


def _token_of_file(path: str, env: Mapping[str, str]) -> str:
    role = env.get("SEMPHONY_TOKEN_ROLE") or "operator"
    name = env.get("SEMPHONY_TOKEN_USER") or None
    try:
        text = open(path, encoding="utf-8").read()  # noqa: SIM115 (closed at once)
    except OSError as exc:
        raise SemphonyError(
            f"SEMPHONY_TOKEN_FILE={path}: cannot read it ({exc.strerror or exc})"
        ) from exc
    token = token_from_file(text, role=role, name=name)
    if token is None:
        wanted = f"user {name!r}" if name is not None else f"role {role!r}"
        raise SemphonyError(
            f"SEMPHONY_TOKEN_FILE={path} has no line for {wanted} (lines are `role token` or "
            "`role name token`; SEMPHONY_TOKEN_ROLE or SEMPHONY_TOKEN_USER picks another)"
        )
    return token


def check_token(token: str) -> str:
    """`token` if it can be one: a line of a token file given as the token is refused."""
    if any(c.isspace() for c in token.strip()):
        words = token.split()
        hint = f" (it looks like a token-file line starting {words[0]!r})" if words else ""
        raise ValueError(
            "the token contains whitespace" + hint + ": pass only the token itself, or point "
            "SEMPHONY_TOKEN_FILE at the token file and let semphony read it"
        )
    return token.strip()


def resolve_options(
    *,
    base_url: str | None,
    token: str | None,
    timeout_s: float | None,
    max_retries: int | None,
    environ: Mapping[str, str] | None = None,
    local_artifacts: Path | None = None,
) -> ClientOptions:
    """Options from the arguments, falling back to the environment.

    The URL: `base_url`, else `SEMPHONY_BASE_URL`. The token: `token`, else `SEMPHONY_TOKEN`,
    else the file `SEMPHONY_TOKEN_FILE` names (`semphony serve` prints that line): its
    `operator` line, or the line of `SEMPHONY_TOKEN_ROLE` (a role) or `SEMPHONY_TOKEN_USER` (a
    name, in `role name token` lines).
    """
    env = os.environ if environ is None else environ
    url = base_url if base_url is not None else env.get("SEMPHONY_BASE_URL")
    if not url:
        raise SemphonyError(
            "base_url is required: pass Semphony(base_url=...), set SEMPHONY_BASE_URL, "
            "or start the simulated server with Semphony.local()"
        )
    if token is not None:
        tok = token
    elif env.get("SEMPHONY_TOKEN"):
        tok = env["SEMPHONY_TOKEN"]
    elif env.get("SEMPHONY_TOKEN_FILE"):
        tok = _token_of_file(env["SEMPHONY_TOKEN_FILE"], env)
    else:
        tok = ""
    tok = check_token(tok)
    return ClientOptions(
        base_url=url.rstrip("/"),
        token=tok,
        timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        local_artifacts=local_artifacts,
    )


def default_headers(options: ClientOptions) -> dict[str, str]:
    """Headers every request carries (the token only in `Authorization`, never logged)."""
    headers = {
        "Accept": "application/json, application/problem+json",
        "User-Agent": f"semphony-python/{_sdk_version()}",
    }
    if options.token:
        headers["Authorization"] = f"Bearer {options.token}"
    return headers


def should_retry_status(status_code: int, problem: Mapping[str, Any] | None) -> bool:
    """429 and 5xx are worth another try; a device's own failure (502 with a code) is not."""
    if status_code == 429:
        return True
    if status_code < 500 or status_code in _NOT_RETRIED_5XX:
        return False
    return not (problem is not None and problem.get("device_code") is not None)


def parse_retry_after(value: str | None, *, now_s: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), None if absent or
    unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now_s is None else now_s)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_delay_s(
    attempt: int,
    *,
    retry_after: str | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """How long to sleep before retry number `attempt` (0-based), or None when the server asked
    for a wait longer than `MAX_RETRY_AFTER_S`.

    Capped exponential backoff with up to 25 % jitter subtracted (so many clients do not retry in
    step); a server's `Retry-After` wins when present.
    """
    asked = parse_retry_after(retry_after)
    if asked is not None:
        return None if asked > MAX_RETRY_AFTER_S else asked
    base = min(MAX_RETRY_DELAY_S, INITIAL_RETRY_DELAY_S * 2.0**attempt)
    jitter = (rng or random).random() * 0.25
    return base * (1.0 - jitter)


def check_api_version(server_api_version: str | None, *, url: str | None = None) -> None:
    """Raise `IncompatibleServerError` unless the server speaks our major API version."""
    client = f"{API_MAJOR_VERSION}.x"
    if server_api_version is None:
        raise IncompatibleServerError(server_api_version=None, client_api_version=client, url=url)
    major_text = server_api_version.strip().lstrip("vV").split(".", 1)[0]
    try:
        major = int(major_text)
    except ValueError:
        major = -1
    if major != API_MAJOR_VERSION:
        raise IncompatibleServerError(
            server_api_version=server_api_version, client_api_version=client, url=url
        )
