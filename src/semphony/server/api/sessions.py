"""Sessions: the exclusive control lease."""

from __future__ import annotations

from fastapi import APIRouter

from semphony.server.api._params import NotNullBody, RunId, SessionId
from semphony.server.deps import ActorDep, ServiceDep
from semphony.server.schemas import Session, SessionStart

router = APIRouter(tags=["sessions"])


@router.post("/v1/runs/{run_id}/sessions", operation_id="start_session", status_code=201)
def start_session(
    service: ServiceDep,
    actor: ActorDep,
    run_id: RunId,
    _: NotNullBody,
    body: SessionStart | None = None,
) -> Session:
    """Start a session and take the control lease (409 `lease.held` naming the holder)."""
    return service.start_session(actor, run_id, body)


@router.post("/v1/sessions/{session_id}/heartbeat", operation_id="heartbeat_session")
def heartbeat_session(service: ServiceDep, actor: ActorDep, session_id: SessionId) -> Session:
    """Renew the session's lease."""
    return service.heartbeat(actor, session_id)


@router.delete("/v1/sessions/{session_id}", operation_id="end_session")
def end_session(service: ServiceDep, actor: ActorDep, session_id: SessionId) -> Session:
    """End the session and release the lease."""
    return service.end_session(actor, session_id)
