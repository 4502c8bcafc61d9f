"""Strict JSON (RFC 8259) for every request body: checked before any recursion, parsed once.

`parse(body)` is how the server reads a body, in the routes (`StrictJsonRoute`) and in the
idempotency key's canonical form alike:

- UTF-8 only (RFC 8259 §8.1): a byte order mark, NUL bytes (UTF-16 or UTF-32) or invalid UTF-8 is a
  400 `request.malformed` that says so; so is a document that is not JSON.
- Nesting deeper than `MAX_DEPTH` is refused from the raw bytes, before the recursive parser runs.
- What JSON cannot carry, or pydantic might never see (an ignored member), is parsed to a marker
  and refused as a 422 naming each member: `NaN`/`Infinity` tokens, numbers beyond a double
  (`1e309`), integers longer than `MAX_INTEGER_DIGITS`, and members named twice in one object.

`StrictJsonRoute` is the route class of every router: a request with a body must say it is JSON
(`application/json`, `application/*+json`, charset UTF-8 if any, no content coding) or gets 415
`unsupported_media_type`; the body is then parsed here and FastAPI reads the result from
`request.json()`. Doing it in the route (not a middleware) keeps 404/405 first and lets every
refusal go through the app's exception handlers.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from semphony.server.api._capacity import blocking
from semphony.server.errors import ProblemError

__all__ = [
    "MAX_DEPTH",
    "MAX_INTEGER_DIGITS",
    "StrictJsonError",
    "StrictJsonRoute",
    "check_media_type",
    "parse",
]

MAX_DEPTH = 32
# DBL_MAX has 309 digits: a longer integer is neither a double nor any bounded integer, and
# Python refuses to read one of over 4300 digits at all.
MAX_INTEGER_DIGITS = 309
_MAX_ERRORS = 20
# A large body is parsed in the request's pool, so that it does not hold the event loop (a 1 MiB
# adversarial body takes a few hundred ms).
_PARSE_INLINE_BYTES = 64 * 1024

# A JSON string, escapes included; an unterminated one runs to the end. Possessive, no backtracking.
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class StrictJsonError(Exception):
    """A body that is not strict JSON: 400 when it cannot be read, 422 naming its members."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


class _Marker:
    """A value JSON cannot carry here, kept in place so that its location can be named."""

    def __init__(self, rule: str, message: str, token: str) -> None:
        self.rule = rule
        self.message = message
        self.token = token


class _Members(dict[str, Any]):
    """An object that named some members more than once (the last value is kept)."""

    duplicates: tuple[str, ...] = ()


def parse(body: bytes) -> Any:
    """The JSON document of `body`; raises `StrictJsonError` for anything RFC 8259 or we refuse."""
    text = _decode(body)
    _check_depth(body)
    found: list[object] = []

    def constant(token: str) -> _Marker:
        found.append(token)
        return _Marker("finite_number", f"{token} is not a JSON number; numbers are finite", token)

    def number(token: str) -> float | _Marker:
        value = float(token)
        if math.isfinite(value):
            return value
        found.append(token)
        return _Marker(
            "finite_number",
            f"{_short(token)} is beyond the range of a double (±1.8e308); numbers are finite",
            token,
        )

    def integer(token: str) -> int | _Marker:
        digits = len(token.lstrip("-"))
        if digits <= MAX_INTEGER_DIGITS:
            return int(token)
        found.append(token)
        return _Marker(
            "integer_too_long",
            f"an integer of {digits} digits is too long; at most {MAX_INTEGER_DIGITS}",
            _short(token),
        )

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        seen: set[str] = set()
        duplicates: dict[str, None] = {}
        for name, _ in pairs:
            if name in seen:
                duplicates[name] = None
            seen.add(name)
        marked = _Members(obj)
        marked.duplicates = tuple(duplicates)
        found.append(marked)
        return marked

    try:
        document = json.loads(
            text,
            parse_constant=constant,
            parse_float=number,
            parse_int=integer,
            object_pairs_hook=members,
        )
    except json.JSONDecodeError as exc:
        raise StrictJsonError(
            400,
            f"the request body is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})",
        ) from exc
    if found:
        raise StrictJsonError(422, "the body holds values JSON cannot carry", _locate(document))
    return document


def _decode(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        raise StrictJsonError(
            400, "the request body starts with a byte order mark: send UTF-8 without one"
        )
    if b"\x00" in body:
        # JSON text never holds a raw NUL; UTF-16 and UTF-32 text holds many.
        raise StrictJsonError(
            400,
            "the request body is not UTF-8 (it holds NUL bytes: UTF-16 or UTF-32?): "
            "JSON on the wire is UTF-8 (RFC 8259 §8.1)",
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrictJsonError(
            400, f"the request body is not valid UTF-8 (byte {exc.start}): send UTF-8"
        ) from exc


def _check_depth(body: bytes) -> None:
    # Fewer openers than the limit cannot nest past it: the common case costs two counts.
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS).translate(_STEPS)
    depth = np.cumsum(np.frombuffer(brackets, dtype=np.int8), dtype=np.int64)
    if depth.size and int(depth.max()) > MAX_DEPTH:
        raise StrictJsonError(
            400,
            f"the request body nests arrays and objects {int(depth.max())} levels deep; "
            f"at most {MAX_DEPTH}",
        )


def _locate(document: Any) -> list[dict[str, Any]]:
    """Every marker in `document` with its location, in document order (the first few)."""
    errors: list[dict[str, Any]] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [(("body",), document)]
    while stack and len(errors) < _MAX_ERRORS:
        loc, node = stack.pop()
        if isinstance(node, _Marker):
            errors.append({"type": node.rule, "loc": loc, "msg": node.message, "input": node.token})
        elif isinstance(node, dict):
            for name in getattr(node, "duplicates", ()):
                errors.append(
                    {
                        "type": "duplicate_member",
                        "loc": (*loc, name),
                        "msg": f"the member {name!r} appears more than once in this object",
                        "input": name,
                    }
                )
            stack.extend(((*loc, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*loc, i), v) for i, v in reversed(list(enumerate(node))))
    return errors[:_MAX_ERRORS]


def _short(token: str) -> str:
    return token if len(token) <= 24 else f"{token[:10]}…{token[-6:]}"


# ------------------------------------------------------------------------------- media types


def check_media_type(content_type: str | None, content_encoding: str | None) -> None:
    """Refuse (415) a body that does not say it is uncompressed UTF-8 JSON."""
    if content_encoding is not None and content_encoding.strip().lower() not in ("", "identity"):
        raise _unsupported(
            f"Content-Encoding {content_encoding.strip()!r} is not supported: "
            "send the body uncompressed"
        )
    if content_type is None or not content_type.strip():
        raise _unsupported("the request body has no Content-Type: send application/json")
    media_type, _, params = content_type.partition(";")
    main, _, sub = media_type.strip().lower().partition("/")
    if main != "application" or not (sub == "json" or sub.endswith("+json")):
        raise _unsupported(
            f"Content-Type {media_type.strip()!r} is not supported: send application/json"
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise _unsupported(f"charset={charset} is not supported: JSON bodies are UTF-8")


def _unsupported(detail: str) -> ProblemError:
    return ProblemError(415, detail, reason="unsupported_media_type")


# ------------------------------------------------------------------------------------- route


class _ParsedRequest(Request):
    """The request with its body read and parsed strictly; FastAPI reads `json()` from here."""

    def __init__(self, request: Request, body: bytes, document: Any) -> None:
        super().__init__(request.scope, request.receive)
        self._raw = body
        self._document = document

    async def body(self) -> bytes:
        return self._raw

    async def json(self) -> Any:
        return self._document


class StrictJsonRoute(APIRoute):
    """An API route whose request body, if any, must be strict JSON (415, 400 or 422 if not)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            try:
                body = await request.body()
            except ClientDisconnect as exc:
                # Nobody will read the answer; this keeps a gone client out of the error log.
                raise ProblemError(
                    400, "the client disconnected before its body ended", reason="request.malformed"
                ) from exc
            document = None
            if body:
                headers = request.headers
                check_media_type(headers.get("content-type"), headers.get("content-encoding"))
                try:
                    if len(body) <= _PARSE_INLINE_BYTES:
                        document = parse(body)
                    else:
                        document = await blocking(request, parse, body)
                except StrictJsonError as exc:
                    if exc.status == 422:
                        raise RequestValidationError(exc.errors, body=body) from exc
                    raise ProblemError(exc.status, exc.detail, reason="request.malformed") from exc
            return await handler(_ParsedRequest(request, body, document))

        return strict_handler
