"""RFC 9457 problem details: the one shape of every error the control server answers.

`ProblemError` is raised by services and dependencies; `install_problem_handlers` turns it, and
every error FastAPI, Starlette or pydantic raises, into an `application/problem+json` response.
Nothing answers with a stack trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semphony.server.drivers.errors import DriverError
from semphony.server.errors import ProblemError, ServerError, problem_of, title_of

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "BodyLimitMiddleware",
    "ProblemError",
    "install_problem_handlers",
    "problem_body",
    "problem_response",
    "request_id_of",
    "send_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("semphony.server")


def problem_body(
    status: int,
    detail: str,
    *,
    reason: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    lease_holder: str | None = None,
    device_code: int | None = None,
    device_message: str | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Build a problem document; optional members are left out rather than sent as null."""
    return ProblemError(
        status,
        detail,
        reason=reason,
        title=title,
        lease_holder=lease_holder,
        device_code=device_code,
        device_message=device_message,
        errors=errors,
    ).body(instance=instance, request_id=request_id)


def problem_response(
    body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
) -> Response:
    """A response carrying `body` as `application/problem+json` with its status."""
    return Response(
        content=json.dumps(body, separators=(",", ":")).encode(),
        status_code=int(body["status"]),
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def request_id_of(scope: Scope) -> str | None:
    """The id the request-id middleware gave this request (None outside it)."""
    value = scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def _request_id(request: Request) -> str | None:
    return request_id_of(request.scope)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    body = exc.body(instance=request.url.path, request_id=_request_id(request))
    return problem_response(body, headers=exc.headers)


def _field_name(loc: Sequence[int | str]) -> str:
    # FastAPI's location starts with the request part ("body", "query", "path", "header"), which
    # the contract keeps: `body.resolution.0`, `query.wait_s`.
    return ".".join(str(p) for p in loc) or "body"


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        body = problem_body(
            400,
            "the request body is not valid JSON",
            reason="request.malformed",
            instance=request.url.path,
            request_id=_request_id(request),
        )
        return problem_response(body)
    errors = [
        {
            "field": _field_name(e.get("loc", ())),
            "rule": str(e.get("type", "invalid")),
            "message": str(e.get("msg", "invalid value")),
        }
        for e in raw
    ]
    first_loc = raw[0].get("loc", ("body",)) if raw else ("body",)
    part = str(first_loc[0]) if first_loc else "body"
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    body = problem_body(
        422,
        f"the request is invalid: {summary}" if summary else "the request is invalid",
        reason=f"validation.{part}",
        title="Unprocessable Content",
        instance=request.url.path,
        errors=errors,
        request_id=_request_id(request),
    )
    return problem_response(body)


_HTTP_REASONS = {
    400: "request.bad",
    401: "auth.missing",
    403: "auth.forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request.timeout",
    413: "request.too_large",
    415: "unsupported_media_type",
}


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else title_of(status)
    headers = dict(exc.headers or {})
    path = request.url.path
    if status == 404 and detail == "Not Found":
        detail = f"no resource at {path}"
        # Never a redirect: its Location would come from the Host header the client sent.
        if len(path) > 1 and path.endswith("/") and _allowed_methods(request, path.rstrip("/")):
            detail += f"; paths have no trailing slash: {path.rstrip('/')}"
    elif status == 405:
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {path}"
        allowed = _allowed_methods(request, path)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    body = problem_body(
        status,
        detail,
        reason=_HTTP_REASONS.get(status),
        instance=request.url.path,
        request_id=_request_id(request),
    )
    return problem_response(body, headers=headers)


def _allowed_methods(request: Request, path: str) -> list[str]:
    # Starlette names only the methods of the first route matching the path; a path served by
    # several routes (GET and DELETE of an operation) allows all of theirs. The app publishes its
    # routes' patterns and methods in `state.route_methods`.
    table = getattr(request.app.state, "route_methods", ())
    methods: set[str] = set()
    for pattern, route_methods in table:
        if pattern.match(path):
            methods.update(route_methods)
    return sorted(methods)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # Log the trace on the server; the client gets a request id to quote, never the trace.
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = problem_body(
        500,
        "the server failed to handle this request; the error is in its log",
        reason="server.error",
        instance=request.url.path,
        request_id=_request_id(request),
    )
    return problem_response(body)


async def _on_crash(request: Request, exc: Exception) -> Response:
    # Starlette answers an error no handler took from outside every middleware, the request-id
    # one included: the id goes on the response here.
    response = await _on_unexpected(request, exc)
    request_id = _request_id(request)
    if request_id is not None:
        response.headers["X-Request-Id"] = request_id
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with a problem document (the table in `server.errors`)."""

    async def on_domain(request: Request, exc: Exception) -> Response:
        problem = problem_of(exc)
        if problem is None:
            return await _on_unexpected(request, exc)
        if problem.status >= 500 and not isinstance(exc, ProblemError | DriverError):
            _log.error("server error (%s)", problem.reason, exc_info=exc)
        return await _on_problem(request, problem)

    for family in (ProblemError, ServerError, DriverError):
        app.add_exception_handler(family, on_domain)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_crash)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body past the limit; FastAPI re-raises HTTP errors unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


class BodyLimitMiddleware:
    """Refuse request bodies over `max_body_bytes` with a 413 problem, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self._app = app
        self._max = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self._max:
            await self._refuse(scope, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    raise _BodyTooLarge(self._max)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"the request body is larger than the limit of {self._max} bytes"
        await send_problem(scope, send, 413, detail, "request.too_large", close=True)


async def send_problem(
    scope: Scope, send: Send, status: int, detail: str, reason: str, *, close: bool = False
) -> None:
    """Answer a problem from a middleware, outside the app's handlers (the request id too);
    `close` ends the connection after it (the rest of the request is not read)."""
    body = problem_body(
        status,
        detail,
        reason=reason,
        instance=str(scope.get("path", "")),
        request_id=request_id_of(scope),
    )
    response = problem_response(body, headers={"Connection": "close"} if close else None)
    await response(scope, _drain, send)


async def _drain() -> Message:
    return {"type": "http.disconnect"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
