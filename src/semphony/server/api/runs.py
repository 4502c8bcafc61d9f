"""Runs and their audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from semphony.server.api._params import RunId
from semphony.server.deps import ActorDep, PrincipalDep, ServiceDep
from semphony.server.schemas import AuditList, Run, RunCreate, RunList

router = APIRouter(tags=["runs"])


@router.post("/v1/runs", operation_id="create_run", status_code=201)
def create_run(service: ServiceDep, actor: ActorDep, body: RunCreate) -> Run:
    """Create a run."""
    return service.create_run(actor, body)


@router.get("/v1/runs", operation_id="list_runs")
def list_runs(service: ServiceDep, _: PrincipalDep) -> RunList:
    """List runs, newest first."""
    return service.list_runs()


@router.get("/v1/runs/{run_id}", operation_id="get_run")
def get_run(service: ServiceDep, _: PrincipalDep, run_id: RunId) -> Run:
    """Get a run."""
    return service.get_run(run_id)


@router.get("/v1/runs/{run_id}/audit", operation_id="list_run_audit")
def list_run_audit(
    service: ServiceDep,
    _: PrincipalDep,
    run_id: RunId,
    after_id: Annotated[int, Query(ge=0)] = 0,
) -> AuditList:
    """The run's audit log, oldest first."""
    return service.list_audit(run_id, after_id)
