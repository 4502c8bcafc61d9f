"""GET /v1/health, /v1/device, /v1/state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.deps import PrincipalDep, ServicesDep
from semphony.server.schemas import Health, InstrumentState

router = APIRouter(tags=["system"], route_class=StrictJsonRoute)


@router.get("/v1/health", operation_id="get_health")
async def get_health(services: ServicesDep) -> Health:
    """Liveness, API version and driver; no token needed; answered from memory."""
    return services.system.health()


@router.get("/v1/device", operation_id="get_device")
async def get_device(request: Request, services: ServicesDep, _: PrincipalDep) -> dict[str, Any]:
    """What the instrument is and can do."""
    return await blocking(request, services.system.device)


@router.get("/v1/state", operation_id="get_state")
async def get_state(request: Request, services: ServicesDep, _: PrincipalDep) -> InstrumentState:
    """The instrument's current state."""
    return await blocking(request, services.system.state)
