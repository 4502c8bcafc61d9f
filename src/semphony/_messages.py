"""How the SDK's errors put a problem into words: each sentence once, in the caller's terms, and
never a credential (URLs lose their query string and user info; anything that looks like a bearer
token or a `token=` pair is redacted)."""

from __future__ import annotations

import http
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "device_code_of",
    "operation_message",
    "place_of",
    "problem_detail",
    "problem_message",
    "redact",
    "safe_url",
    "status_phrase",
    "text_of",
]

# Credentials that a server, a proxy or a URL might echo back; never let them into a message.
# A scheme followed by a word of 8+ token characters ("Bearer abc…"), and `name=value` or JSON
# `"name": "value"` pairs; short words are spared so "missing bearer token" stays readable.
_SECRET_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)\b(token|access_token|api_key|apikey|password|secret)"
        r"(\s*=\s*|\"\s*:\s*\"?)[^\s&,;\"']+"
    ),
)


def redact(text: str) -> str:
    """Text with anything that looks like a credential replaced by `***`."""
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} ***", text)
    return _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def safe_url(url: str | None) -> str | None:
    """The URL without user info, query string or fragment (where tokens hide)."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return redact(url.split("?", 1)[0])
    netloc = f"{host}{port}"
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


def place_of(method: str | None, url: str | None) -> str:
    """`POST /v1/...`, or whichever part is known, for messages."""
    path: str | None = None
    if url is not None:
        safe = safe_url(url) or ""
        parts = urlsplit(safe)
        path = parts.path or safe
    return " ".join(p for p in (method.upper() if method else None, path) if p)


def text_of(problem: Mapping[str, Any] | None, key: str) -> str | None:
    """A non-empty string field of the problem document, else None."""
    if problem is None:
        return None
    value = problem.get(key)
    if value is None or value == "":
        return None
    return str(value)


def status_phrase(status_code: int) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def _field(name: object) -> str:
    """A problem's field path in the caller's terms: `body.fov_um` is the argument `fov_um`."""
    text = str(name)
    for prefix in ("body.", "query.", "path."):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def device_code_of(problem: Mapping[str, Any] | None) -> int | None:
    """The problem's device code as the integer the device returned, None if it has none."""
    value = problem.get("device_code") if problem is not None else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def problem_detail(problem: Mapping[str, Any] | None, request_id: str | None = None) -> str:
    """What went wrong, each sentence once: the detail, what the field errors and the device add
    to it, who holds the lease; then the device code and the reason in parentheses."""
    del request_id  # kept on the error (`request_id`), not in the sentence
    parts: list[str] = []

    def add(text: str | None) -> None:
        if text and not any(text in part for part in parts):
            parts.append(text)

    add(text_of(problem, "detail") or text_of(problem, "title"))
    errors = problem.get("errors") if problem is not None else None
    for error in errors if isinstance(errors, list) else ():
        if isinstance(error, Mapping):
            message = str(error.get("message") or error.get("rule") or "invalid")
            if not any(message in part for part in parts):
                add(f"{_field(error.get('field', '?'))}: {message}")
    add(text_of(problem, "device_message"))
    holder = text_of(problem, "lease_holder")
    if holder is not None:
        add(f"held by {holder}")
    tags = []
    code = device_code_of(problem)
    if code is not None:
        tags.append(f"device code {code}")
    reason = text_of(problem, "reason")
    if reason is not None:
        tags.append(f"reason {reason}")
    text = "; ".join(parts)
    return f"{text} ({', '.join(tags)})" if tags and text else text or ", ".join(tags)


def problem_message(
    status_code: int | None,
    problem: Mapping[str, Any] | None,
    method: str | None,
    url: str | None,
    request_id: str | None,
) -> str:
    """The problem in words; only a problem that says nothing falls back to the HTTP status."""
    detail = problem_detail(problem, request_id)
    if text_of(problem, "detail") or text_of(problem, "title"):
        return detail
    head = f"{status_code} {status_phrase(status_code)}" if status_code is not None else "Error"
    where = place_of(method, url)
    if where:
        head += f" on {where}"
    return f"{head}: {detail}" if detail else head


def operation_message(
    operation_id: str, kind: str | None, outcome: str, problem: Mapping[str, Any] | None
) -> str:
    """`the acquisition failed: ScScanXY failed (device code 12, reason device.error)`."""
    what = f"the {kind}" if kind else f"operation {operation_id}"
    detail = problem_detail(problem, None)
    return f"{what} {outcome}" + (f": {detail}" if detail else "")
