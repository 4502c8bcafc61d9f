"""Runs and their audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import AfterId, InstrumentQuery, RunId
from semphony.server.deps import ActorDep, OperatorDep, PrincipalDep, ServicesDep
from semphony.server.schemas import AuditList, Run, RunCreate, RunList
from semphony.server.services.runs import AuditQuery

router = APIRouter(tags=["runs"], route_class=StrictJsonRoute)


@router.post("/v1/runs", operation_id="create_run", status_code=201)
async def create_run(
    request: Request, services: ServicesDep, actor: ActorDep, body: RunCreate
) -> Run:
    """Create a run."""
    return await blocking(request, services.runs.create, actor, body)


@router.get("/v1/runs", operation_id="list_runs")
async def list_runs(
    request: Request, services: ServicesDep, _: PrincipalDep, instrument: InstrumentQuery = None
) -> RunList:
    """List runs, newest first: every instrument's, or one's."""
    return await blocking(request, services.runs.list, instrument)


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


@router.get("/v1/audit", operation_id="list_audit")
async def list_audit(
    request: Request,
    services: ServicesDep,
    _: OperatorDep,
    after_id: AfterId = 0,
    run_id: Annotated[str | None, Query(max_length=128)] = None,
    session_id: Annotated[str | None, Query(max_length=128)] = None,
    user: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(max_length=32)] = None,
    outside_runs: bool = False,
    instrument: InstrumentQuery = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> AuditList:
    """The whole audit log, oldest first, filtered (operators only)."""
    query = AuditQuery(
        after_id=after_id,
        run_id=run_id,
        session_id=session_id,
        user=user,
        action=action,
        outcome=outcome,
        outside_runs=outside_runs,
        limit=limit,
        instrument=instrument,
    )
    return await blocking(request, services.runs.audit_log, query)
