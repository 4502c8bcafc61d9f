"""Simulator-only controls; 404 `simulator.unavailable` with another driver."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from semphony.server.api._params import NotNullBody
from semphony.server.deps import ActorDep, PrincipalDep, ServiceDep
from semphony.server.schemas import InstrumentState, SimDetector, SimFault, SimReload

router = APIRouter(tags=["simulator"])


@router.post("/v1/sim/reload", operation_id="sim_reload")
def sim_reload(
    service: ServiceDep, actor: ActorDep, _: NotNullBody, body: SimReload | None = None
) -> dict[str, Any]:
    """Remount the specimen; answers the new ground truth."""
    return service.sim_reload(actor, body)


@router.get("/v1/sim/truth", operation_id="sim_truth")
def sim_truth(
    service: ServiceDep,
    _: PrincipalDep,
    x_mm: Annotated[float | None, Query(ge=-1000, le=1000, allow_inf_nan=False)] = None,
    y_mm: Annotated[float | None, Query(ge=-1000, le=1000, allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """The specimen's placement, and where a load-time point lies now."""
    return service.sim_truth(x_mm, y_mm)


@router.post("/v1/sim/faults", operation_id="sim_inject_fault")
def sim_inject_fault(service: ServiceDep, actor: ActorDep, body: SimFault) -> dict[str, Any]:
    """Arm a fault; answers the armed faults."""
    return service.sim_inject_fault(actor, body)


@router.delete("/v1/sim/faults", operation_id="sim_clear_faults")
def sim_clear_faults(service: ServiceDep, actor: ActorDep) -> dict[str, Any]:
    """Disarm every fault."""
    return service.sim_clear_faults(actor)


@router.post("/v1/sim/detector", operation_id="sim_set_detector")
def sim_set_detector(service: ServiceDep, actor: ActorDep, body: SimDetector) -> InstrumentState:
    """Change the simulated detector's gain, offset and gamma."""
    return service.sim_set_detector(actor, body)
