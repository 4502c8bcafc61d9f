"""Operations: status, long-poll, cancel, and a run's list.

A long-poll holds no worker thread: it reads the operation once and then awaits the watch's event,
which the runner sets when the operation ends; every waiter is answered from the same rendered
body, so hundreds of them cost one serialisation.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from semphony.server import mapping
from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import OperationId, RunId
from semphony.server.deps import ActorDep, PrincipalDep, ServicesDep
from semphony.server.operations import MAX_WAIT_S
from semphony.server.schemas import Operation, OperationList
from semphony.server.services import CANCEL_SETTLE_S
from semphony.server.store import Operation as OperationRecord

router = APIRouter(tags=["operations"], route_class=StrictJsonRoute)

_RENDERED: OrderedDict[tuple[str, float], bytes] = OrderedDict()
_RENDERED_KEEP = 256


def _render(record: OperationRecord) -> Response:
    """The operation as JSON; a terminal one is rendered once for all its waiters."""
    key = (record.id, record.updated_at.timestamp())
    body = _RENDERED.get(key) if record.terminal else None
    if body is None:
        body = mapping.operation_model(record).model_dump_json().encode()
        if record.terminal:
            _RENDERED[key] = body
            while len(_RENDERED) > _RENDERED_KEEP:
                _RENDERED.popitem(last=False)
    return Response(content=body, media_type="application/json")


@router.get("/v1/operations/{operation_id}", operation_id="get_operation", response_model=Operation)
async def get_operation(
    request: Request,
    services: ServicesDep,
    _: PrincipalDep,
    operation_id: OperationId,
    wait_s: Annotated[float, Query(ge=0, le=MAX_WAIT_S, allow_inf_nan=False)] = 0.0,
) -> Response:
    """The operation; with `wait_s` held until it is terminal or the time is up."""
    record = services.ctx.watch.recent(operation_id)
    if record is None:
        record = await blocking(request, services.operations.get, operation_id)
    if wait_s > 0 and not record.terminal:
        record = await services.operations.wait(record, wait_s)
    return _render(record)


@router.delete(
    "/v1/operations/{operation_id}", operation_id="cancel_operation", response_model=Operation
)
async def cancel_operation(
    request: Request, services: ServicesDep, actor: ActorDep, operation_id: OperationId
) -> Response:
    """Cancel an operation: the scan or move stops on the hardware; answers the settled state."""
    record = await blocking(request, services.operations.cancel, actor, operation_id)
    if not record.terminal:
        # The device stops within a line or a step; answer how it ended, without a thread.
        record = await services.operations.wait(record, CANCEL_SETTLE_S)
    return _render(record)


@router.get("/v1/runs/{run_id}/operations", operation_id="list_run_operations")
async def list_run_operations(
    request: Request,
    services: ServicesDep,
    _: PrincipalDep,
    run_id: RunId,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=64)] = None,
) -> OperationList:
    """The run's operations, oldest first, optionally filtered."""
    return await blocking(request, services.operations.list, run_id, kind, status)
