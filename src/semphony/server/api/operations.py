"""Operations: status, long-poll, cancel, and a run's list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from semphony.server.api._params import OperationId, RunId
from semphony.server.deps import ActorDep, PrincipalDep, ServiceDep
from semphony.server.operations import MAX_WAIT_S
from semphony.server.schemas import Operation, OperationList

router = APIRouter(tags=["operations"])


@router.get("/v1/operations/{operation_id}", operation_id="get_operation")
def get_operation(
    service: ServiceDep,
    _: PrincipalDep,
    operation_id: OperationId,
    wait_s: Annotated[float, Query(ge=0, le=MAX_WAIT_S, allow_inf_nan=False)] = 0.0,
) -> Operation:
    """The operation; with `wait_s` held until it is terminal or the time is up."""
    return service.get_operation(operation_id, wait_s)


@router.delete("/v1/operations/{operation_id}", operation_id="cancel_operation")
def cancel_operation(service: ServiceDep, actor: ActorDep, operation_id: OperationId) -> Operation:
    """Cancel an operation: the scan or move stops on the hardware."""
    return service.cancel_operation(actor, operation_id)


@router.get("/v1/runs/{run_id}/operations", operation_id="list_run_operations")
def list_run_operations(
    service: ServiceDep,
    _: PrincipalDep,
    run_id: RunId,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=64)] = None,
) -> OperationList:
    """The run's operations, oldest first, optionally filtered."""
    return service.list_operations(run_id, kind, status)
