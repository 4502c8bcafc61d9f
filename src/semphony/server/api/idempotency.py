"""`Idempotency-Key` on POST: a repeated request gets the first response and does not act twice.

The middleware sits outside the routes: it fingerprints the request (method, path, body), and for a
key it has seen from the same principal either replays the stored response (status, headers, body)
or, when the fingerprint differs, answers 422 `idempotency.mismatch`. Only successful (2xx)
responses are stored: a refused or failed request did not act, so repeating it may act. Its
database work runs in the request's pool (`_capacity`), never on the event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semphony.server.api import _json as strict_json
from semphony.server.api._capacity import Capacity, classify, run_in
from semphony.server.errors import (
    IdempotencyInProgressError,
    IdempotencyMismatchError,
    StorageError,
)
from semphony.server.problems import send_problem
from semphony.server.store import IdempotentRequest, Store, StoredResponse

__all__ = ["IdempotencyMiddleware"]

_log = logging.getLogger("semphony.server")

_HEADER = "idempotency-key"
_KEY_PATTERN = re.compile(r"[!-~]{1,255}")
# Headers that describe one transfer rather than the response itself are not replayed.
_NOT_REPLAYED = frozenset({b"content-length", b"date", b"server", b"connection"})


class IdempotencyMiddleware:
    """Replay the first response of a POST repeated with the same `Idempotency-Key`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: Callable[[], Store | None],
        capacity: Callable[[], Capacity | None],
        principal_of: Callable[[Headers], str | None],
    ) -> None:
        self._app = app
        self._store = store
        self._capacity = capacity
        self._principal_of = principal_of
        self._locks: dict[tuple[str, str], anyio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(_HEADER)
        store = self._store()
        capacity = self._capacity()
        principal = self._principal_of(headers) if key is not None else None
        if key is None or store is None or capacity is None or principal is None:
            # No key, or not authenticated: the route answers as usual (401 for a bad token).
            await self._app(scope, receive, send)
            return
        if not _KEY_PATTERN.fullmatch(key):
            await _problem(
                scope,
                send,
                422,
                "Idempotency-Key: must be 1 to 255 visible ASCII characters",
                "validation.header",
            )
            return
        body = await _read_body(receive)
        pool = classify("POST", str(scope.get("path", "")))
        request = IdempotentRequest(
            principal=principal,
            key=key,
            method="POST",
            path=str(scope.get("path", "")),
            body_sha256=await run_in(capacity, pool, _fingerprint, body),
        )
        # Serialise requests that share a key, so the second waits for the first's answer and
        # replays it instead of being told the first is still in progress.
        async with self._lock(principal, key):
            try:
                stored = await run_in(capacity, pool, store.idempotency.begin, request)
            except IdempotencyMismatchError as exc:
                await _problem(scope, send, 422, str(exc), exc.reason)
                return
            except IdempotencyInProgressError as exc:
                await _problem(scope, send, 409, str(exc), exc.reason)
                return
            except StorageError as exc:
                if pool != "control":
                    await _problem(scope, send, exc.status, str(exc), exc.reason)
                    return
                # The stop button never waits for the disk: act without the key (a repeat of a
                # beam off or a stop is harmless), and say so in the log.
                _log.warning("acting on %s without its Idempotency-Key: %s", scope["path"], exc)
                await self._run(scope, body, send)
                return
            if stored is not None:
                await _replay(stored, send)
                return
            captured = None
            try:
                captured = await self._run(scope, body, send)
            finally:
                try:
                    await run_in(capacity, pool, _settle, store, request, captured)
                except StorageError as exc:
                    # Answered already; without the stored response a retry acts again.
                    _log.error("cannot keep the response to Idempotency-Key %r: %s", key, exc)

    def _lock(self, principal: str, key: str) -> anyio.Lock:
        # All requests run on the server's one event loop, so plain dict access is safe here.
        if len(self._locks) > 10_000:
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault((principal, key), anyio.Lock())

    async def _run(
        self, scope: Scope, body: bytes, send: Send
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        sent = False

        async def replay_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 0
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() not in _NOT_REPLAYED
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self._app(scope, replay_receive, capture)
        return (status, headers, b"".join(chunks)) if status else None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return b"".join(chunks)


def _settle(
    store: Store,
    request: IdempotentRequest,
    captured: tuple[int, list[tuple[str, str]], bytes] | None,
) -> None:
    # Only a 2xx with a JSON body is kept; anything else did not act, so the key is released.
    if captured is not None and 200 <= captured[0] < 300:
        status, headers, raw = captured
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = _NOT_JSON
        if body is not _NOT_JSON:
            store.idempotency.complete(
                request, status_code=status, body=body, headers=dict(headers)
            )
            return
    store.idempotency.abandon(request)


_NOT_JSON = object()


def _fingerprint(body: bytes) -> str:
    return hashlib.sha256(_canonical(body)).hexdigest()


def _canonical(body: bytes) -> bytes:
    # The same JSON document sent with other spacing or key order is the same request. The body
    # is read by the routes' strict parser (depth checked before recursing); one it refuses is
    # hashed as sent, and its refusal (a 4xx) is never stored.
    try:
        parsed: Any = strict_json.parse(body) if body else None
    except strict_json.StrictJsonError:
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()


async def _replay(stored: StoredResponse, send: Send) -> None:
    content = (
        b""
        if stored.body is None
        else json.dumps(stored.body, separators=(",", ":"), ensure_ascii=False).encode()
    )
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers.items()]
    raw.append((b"content-length", str(len(content)).encode()))
    raw.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": raw})
    await send({"type": "http.response.body", "body": content, "more_body": False})


async def _problem(scope: Scope, send: Send, status: int, detail: str, reason: str) -> None:
    await send_problem(scope, send, status, detail, reason)
