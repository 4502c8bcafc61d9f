"""Sessions: the exclusive control lease."""

from __future__ import annotations

from fastapi import APIRouter, Request

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import NotNullBody, RunId, SessionId
from semphony.server.deps import ActorDep, ServicesDep
from semphony.server.schemas import Session, SessionStart

router = APIRouter(tags=["sessions"], route_class=StrictJsonRoute)


@router.post("/v1/runs/{run_id}/sessions", operation_id="start_session", status_code=201)
async def start_session(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    run_id: RunId,
    _: NotNullBody,
    body: SessionStart | None = None,
) -> Session:
    """Start a session and take the control lease (409 `lease.held` naming the holder)."""
    return await blocking(request, services.sessions.start, actor, run_id, body)


@router.post("/v1/sessions/{session_id}/heartbeat", operation_id="heartbeat_session")
async def heartbeat_session(
    request: Request, services: ServicesDep, actor: ActorDep, session_id: SessionId
) -> Session:
    """Renew the session's lease."""
    return await blocking(request, services.sessions.heartbeat, actor, session_id)


@router.delete("/v1/sessions/{session_id}", operation_id="end_session")
async def end_session(
    request: Request, services: ServicesDep, actor: ActorDep, session_id: SessionId
) -> Session:
    """End the session and release the lease."""
    return await blocking(request, services.sessions.end, actor, session_id)
