"""Runs and their audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import AfterId, RunId
from semphony.server.deps import ActorDep, PrincipalDep, ServicesDep
from semphony.server.schemas import AuditList, Run, RunCreate, RunList

router = APIRouter(tags=["runs"], route_class=StrictJsonRoute)


@router.post("/v1/runs", operation_id="create_run", status_code=201)
async def create_run(
    request: Request, services: ServicesDep, actor: ActorDep, body: RunCreate
) -> Run:
    """Create a run."""
    return await blocking(request, services.runs.create, actor, body)


@router.get("/v1/runs", operation_id="list_runs")
async def list_runs(request: Request, services: ServicesDep, _: PrincipalDep) -> RunList:
    """List runs, newest first."""
    return await blocking(request, services.runs.list)


@router.get("/v1/runs/{run_id}", operation_id="get_run")
async def get_run(request: Request, services: ServicesDep, _: PrincipalDep, run_id: RunId) -> Run:
    """Get a run."""
    return await blocking(request, services.runs.get, run_id)


@router.get("/v1/runs/{run_id}/audit", operation_id="list_run_audit")
async def list_run_audit(
    request: Request,
    services: ServicesDep,
    _: PrincipalDep,
    run_id: RunId,
    after_id: AfterId = 0,
) -> AuditList:
    """The run's audit log, oldest first."""
    return await blocking(request, services.runs.audit, run_id, after_id)
