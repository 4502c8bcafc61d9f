"""Read timeouts: a request's head, then its body, must arrive in time, or the connection closes.

uvicorn closes an idle keep-alive connection, but not one that has sent part of a request: a client
that sends half a head, or a head and half a body, holds a connection (and a task) for as long as
it likes. Two layers bound that, with the settings' `header_timeout_s` and `body_timeout_s`:

- `read_timeout_protocol(...)`, the HTTP/1.1 protocol `uvicorn.Config(http=...)` is given: one
  timer runs while the connection waits for a request head (from the connection's start, or from
  the end of the previous response), another while it waits for the rest of a body. When the head
  timer runs out the connection is closed, after a 408 problem if part of a head had arrived;
  when the body timer runs out it is closed. It is the backstop for bodies nobody reads (a 404).
- `BodyReadTimeoutMiddleware`: while the app reads a body, the same budget; when it runs out the
  app answers 408 `request.timeout` (a problem with its request id) and closes the connection.
  The protocol's body timer runs `_BACKSTOP_GRACE_S` longer, so this answer comes first.

Both use only asyncio timers and the transport, nothing platform-specific (Tescan PCs run Windows).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Literal

import anyio
import h11
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from semphony.server.problems import problem_body, send_problem

__all__ = ["BodyReadTimeoutMiddleware", "read_timeout_protocol"]

_BACKSTOP_GRACE_S = 1.0
_Waiting = Literal["head", "body"] | None


class _ReadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's head and body."""

    header_timeout_s = 10.0
    body_timeout_s = 10.0
    _waiting: _Waiting = None
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch(self) -> None:
        # h11 says what the connection waits for: a head (IDLE), a body (SEND_BODY), or nothing
        # from the client (the request is complete and the app is answering it).
        state = self.conn.their_state
        waiting: _Waiting = None
        if state is h11.IDLE:
            waiting = "head"
        elif state is h11.SEND_BODY:
            waiting = "body"
        if waiting == self._waiting or self.transport.is_closing():
            return
        self._disarm()
        self._waiting = waiting
        if waiting == "head":
            self._deadline = self.loop.call_later(self.header_timeout_s, self._head_timed_out)
        elif waiting == "body":
            delay = self.body_timeout_s + _BACKSTOP_GRACE_S
            self._deadline = self.loop.call_later(delay, self._body_timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting = None

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:
            # Part of a head arrived: say why the connection closes. h11 cannot answer a request
            # it has not read, so the response is written as bytes.
            self.transport.write(_timeout_response("head", self.header_timeout_s))
        self.transport.close()

    def _body_timed_out(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and self.conn.their_state is h11.SEND_BODY:
            self.transport.close()


def read_timeout_protocol(*, header_timeout_s: float, body_timeout_s: float) -> type[H11Protocol]:
    """The uvicorn HTTP protocol class (`uvicorn.Config(http=...)`) with these read timeouts."""

    class ReadTimeoutProtocol(_ReadTimeoutProtocol):
        pass

    ReadTimeoutProtocol.header_timeout_s = header_timeout_s
    ReadTimeoutProtocol.body_timeout_s = body_timeout_s
    return ReadTimeoutProtocol


def _timeout_response(part: str, timeout_s: float) -> bytes:
    request_id = uuid.uuid4().hex
    body = json.dumps(
        problem_body(
            408,
            f"the request {part} did not arrive within {timeout_s:g} s",
            reason="request.timeout",
            request_id=request_id,
        ),
        separators=(",", ":"),
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class _BodyTimedOut(StarletteHTTPException):
    """Raised while reading a body past its deadline; FastAPI re-raises HTTP errors unchanged."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            408,
            f"the request body did not arrive within {timeout_s:g} s",
            headers={"Connection": "close"},
        )


class BodyReadTimeoutMiddleware:
    """Answer 408 `request.timeout` (and close) when a body is not complete within `timeout_s`."""

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self._app = app
        self._timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        deadline = anyio.current_time() + self._timeout_s
        complete = False
        started = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:
                # The body is in: what is left to wait for is a disconnect, which has no deadline.
                return await receive()
            with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    complete = True
                return message
            raise _BodyTimedOut(self._timeout_s)

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, timed_receive, tracking_send)
        except _BodyTimedOut:
            # Raised where no exception handler runs (a middleware reading the body).
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"the request body did not arrive within {self._timeout_s:g} s"
        await send_problem(scope, send, 408, detail, "request.timeout", close=True)
