"""GET /v1/health, /v1/device, /v1/state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from semphony.server.deps import PrincipalDep, ServiceDep
from semphony.server.schemas import Health, InstrumentState

router = APIRouter(tags=["system"])


@router.get("/v1/health", operation_id="get_health")
def get_health(service: ServiceDep) -> Health:
    """Liveness, API version and driver; no token needed."""
    return service.health()


@router.get("/v1/device", operation_id="get_device")
def get_device(service: ServiceDep, _: PrincipalDep) -> dict[str, Any]:
    """What the instrument is and can do."""
    return service.device()


@router.get("/v1/state", operation_id="get_state")
def get_state(service: ServiceDep, _: PrincipalDep) -> InstrumentState:
    """The instrument's current state."""
    return service.state()
