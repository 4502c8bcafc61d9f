"""The image-to-stage axis calibration: measure it (operation), read the stored one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import SessionId
from semphony.server.deps import ActorDep, PrincipalDep, ServicesDep
from semphony.server.schemas import CalibrationRequest, Operation

router = APIRouter(tags=["stage"], route_class=StrictJsonRoute)


@router.post(
    "/v1/sessions/{session_id}/calibration",
    operation_id="calibrate_axes",
    status_code=202,
)
async def calibrate_axes(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: CalibrationRequest,
) -> Operation:
    """Measure how image x/y map to stage x/y with known stage moves (operation)."""
    return await blocking(request, services.calibration.start, actor, session_id, body)


@router.get("/v1/calibration", operation_id="get_calibration")
async def get_calibration(
    request: Request, services: ServicesDep, _: PrincipalDep
) -> dict[str, Any]:
    """The instrument's stored axis calibration; 404 `calibration.missing` when there is none."""
    return await blocking(request, services.calibration.get)
