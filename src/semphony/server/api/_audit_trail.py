"""Every request that tries to change something is audited, refused ones included.

Services audit the commands they act on (with what they learn while acting). This middleware,
outside every other layer, records what no service did: requests refused before a service ran
(401, 403, 409 idempotency, 413, 415, 422 validation) and the writes a service does not audit
itself (creating a run). A refused request's parameters are recorded as sent when they are JSON.
Refusals of unauthenticated callers are only counted (per source and minute). Replays of an
idempotent request did not act again, and are not recorded again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semphony.server.api._capacity import Capacity, classify, run_in
from semphony.server.errors import AuthError
from semphony.server.security import Authenticator
from semphony.server.services.audit import REQUEST_AUDITED, Actor, Auditor, Facts

__all__ = ["AuditTrailMiddleware", "action_of"]

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEEP_BODY = 16 * 1024  # the first bytes of a refused body, for its recorded parameters

_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("POST", "/v1/runs", "run.create"),
    ("POST", "/v1/runs/{id}/sessions", "session.start"),
    ("POST", "/v1/sessions/{id}/heartbeat", "session.heartbeat"),
    ("DELETE", "/v1/sessions/{id}", "session.end"),
    ("POST", "/v1/sessions/{id}/chamber/pump", "chamber.pump"),
    ("POST", "/v1/sessions/{id}/chamber/vent", "chamber.vent"),
    ("POST", "/v1/sessions/{id}/beam", "beam.set"),
    ("POST", "/v1/sessions/{id}/stop", "session.stop"),
    ("POST", "/v1/sessions/{id}/stage/move", "stage.move"),
    ("POST", "/v1/sessions/{id}/optics", "optics.set"),
    ("POST", "/v1/sessions/{id}/detector", "detector.set"),
    ("POST", "/v1/sessions/{id}/detector/auto-signal", "detector.auto_signal"),
    ("POST", "/v1/sessions/{id}/acquisitions", "acquisition.start"),
    ("POST", "/v1/sessions/{id}/autofocus", "optics.autofocus"),
    ("POST", "/v1/sessions/{id}/calibration", "stage.calibrate"),
    ("DELETE", "/v1/operations/{id}", "operation.cancel"),
    ("POST", "/v1/rois", "roi.save"),
    ("POST", "/v1/sim/reload", "sim.reload"),
    ("POST", "/v1/sim/faults", "sim.fault"),
    ("DELETE", "/v1/sim/faults", "sim.clear_faults"),
    ("POST", "/v1/sim/detector", "sim.detector"),
)
_PATTERNS = tuple(
    (method, re.compile("^" + path.replace("{id}", "([^/]+)") + "$"), action)
    for method, path, action in _ACTIONS
)


def action_of(method: str, path: str) -> tuple[str, str | None]:
    """The audit action of a request, and the id its path names (None when it names none)."""
    for wanted, pattern, action in _PATTERNS:
        match = pattern.match(path)
        if method == wanted and match:
            return action, match.group(1) if pattern.groups else None
    return "request", None


class AuditTrailMiddleware:
    """Record the requests that tried to change something and that no service recorded."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        auditor: Callable[[], Auditor | None],
        capacity: Callable[[], Capacity | None],
        authenticator: Authenticator,
    ) -> None:
        self._app = app
        self._auditor = auditor
        self._capacity = capacity
        self._authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self._app(scope, receive, send)
            return
        marks: list[int] = []
        body = bytearray()
        answer: dict[str, Any] = {"status": 0, "replayed": False, "problem": bytearray()}

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < _KEEP_BODY:
                body.extend(message.get("body", b"")[: _KEEP_BODY - len(body)])
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = int(message["status"])
                headers = Headers(raw=list(message.get("headers", [])))
                answer["replayed"] = headers.get("idempotent-replayed") == "true"
                answer["is_problem"] = headers.get("content-type", "").startswith(
                    "application/problem+json"
                )
            elif message["type"] == "http.response.body" and answer.get("is_problem"):
                answer["problem"].extend(message.get("body", b"")[:_KEEP_BODY])
            await send(message)

        token = REQUEST_AUDITED.set(marks)
        try:
            await self._app(scope, reading, sending)
        finally:
            REQUEST_AUDITED.reset(token)
            if not marks and answer["status"] and not answer["replayed"]:
                await self._record(scope, answer, bytes(body))

    async def _record(self, scope: Scope, answer: dict[str, Any], body: bytes) -> None:
        auditor, capacity = self._auditor(), self._capacity()
        if auditor is None or capacity is None:
            return  # the server is starting or stopping: the log says what the client sees
        method, path = str(scope["method"]), str(scope.get("path", ""))
        status: int = answer["status"]
        problem = _loads(bytes(answer["problem"]))
        reason = problem.get("reason") if isinstance(problem, dict) else None
        client = scope.get("client")
        source = str(client[0]) if client else "unknown"
        headers = Headers(scope=scope)
        try:
            principal = self._authenticator.authenticate(headers.get("authorization"))
        except AuthError:
            if status == 401:
                auditor.refuse_anonymous(source, path, reason if isinstance(reason, str) else None)
                return
            principal = None
        action, named = action_of(method, path)
        state = scope.get("state") or {}
        facts = Facts(session_id=None, run_id=None, operation_id=None)
        if path.startswith("/v1/sessions/"):
            facts["session_id"] = named
        elif path.startswith("/v1/runs/"):
            facts["run_id"] = named
        elif path.startswith("/v1/operations/"):
            facts["operation_id"] = named
        params = _loads(body)
        entry_params = params if isinstance(params, dict) else {}
        if body and not isinstance(params, dict):
            entry_params = {"body": "not a JSON object", "bytes": len(body)}
        outcome = "refused" if status < 500 else "failed"
        if status < 300:
            outcome = "accepted" if status == 202 else "succeeded"
        actor = (
            Actor(
                principal=principal,
                method=method,
                path=path,
                request_id=state.get("request_id"),
                source=source,
            )
            if principal is not None
            else None
        )

        origin = {
            "method": method,
            "path": path,
            "request_id": state.get("request_id"),
            "source": source,
        }

        def write() -> None:
            auditor.record(
                actor,
                action,
                entry_params,
                outcome=outcome,  # type: ignore[arg-type]
                status_code=status,
                reason=reason if isinstance(reason, str) else None,
                facts=facts,
                clock_s=auditor.clock_s(),
                origin=origin,
            )

        await run_in(capacity, classify(method, path), write)


def _loads(raw: bytes) -> Any:
    """The JSON in `raw`, leniently (a refused body may hold NaN); None when it is not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None
