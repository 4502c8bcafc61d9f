"""The simulator-only HTTP routes (`/v1/sim/*`), mounted only when the driver is the simulator.

`simulator_router(hooks)` builds them over what the server hands in (`RouterHooks`: how to find the
simulator service, the operator and viewer dependencies, and how to run blocking work), so this
module depends on nothing above the driver but FastAPI. (No ``from __future__ import annotations``
here: FastAPI reads these signatures, whose dependencies are the factory's arguments.)
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.routing import APIRoute

from semphony.server.drivers.sim.schemas import SimDetector, SimFault, SimReload

__all__ = ["RouterHooks", "SimulatorControls", "simulator_router"]


class SimulatorControls(Protocol):
    """What the routes call (the server's simulator service)."""

    def reload(self, actor: Any, body: SimReload | None) -> dict[str, Any]: ...

    def truth(self, x_mm: float | None, y_mm: float | None) -> dict[str, Any]: ...

    def inject_fault(self, actor: Any, body: SimFault) -> dict[str, Any]: ...

    def clear_faults(self, actor: Any) -> dict[str, Any]: ...

    def set_detector(self, actor: Any, body: SimDetector) -> Any: ...


@dataclass(frozen=True)
class RouterHooks:
    """The server's pieces the routes use."""

    controls: Callable[..., Awaitable[SimulatorControls]]
    operator: Callable[..., Awaitable[Any]]
    viewer: Callable[..., Awaitable[Any]]
    not_null_body: Callable[..., Awaitable[None]]
    blocking: Callable[..., Awaitable[Any]]
    state_model: type[Any]
    route_class: type[APIRoute] = APIRoute


def simulator_router(hooks: RouterHooks) -> APIRouter:
    """The `/v1/sim/*` routes over `hooks`."""
    router = APIRouter(tags=["simulator"], route_class=hooks.route_class)
    Controls = Annotated[SimulatorControls, Depends(hooks.controls)]  # noqa: N806
    Operator = Annotated[Any, Depends(hooks.operator)]  # noqa: N806
    Viewer = Annotated[Any, Depends(hooks.viewer)]  # noqa: N806
    NotNull = Annotated[None, Depends(hooks.not_null_body)]  # noqa: N806
    Coordinate = Annotated[float | None, Query(ge=-1000, le=1000, allow_inf_nan=False)]  # noqa: N806
    run = hooks.blocking

    @router.post("/v1/sim/reload", operation_id="sim_reload")
    async def sim_reload(
        request: Request, sim: Controls, actor: Operator, _: NotNull, body: SimReload | None = None
    ) -> dict[str, Any]:
        """Remount the specimen; answers the new ground truth."""
        result: dict[str, Any] = await run(request, sim.reload, actor, body)
        return result

    @router.get("/v1/sim/truth", operation_id="sim_truth")
    async def sim_truth(
        request: Request,
        sim: Controls,
        _: Viewer,
        x_mm: Coordinate = None,
        y_mm: Coordinate = None,
    ) -> dict[str, Any]:
        """The specimen's placement, and where a load-time point lies now."""
        result: dict[str, Any] = await run(request, sim.truth, x_mm, y_mm)
        return result

    @router.post("/v1/sim/faults", operation_id="sim_inject_fault")
    async def sim_inject_fault(
        request: Request, sim: Controls, actor: Operator, body: SimFault
    ) -> dict[str, Any]:
        """Arm a fault; answers the armed faults."""
        result: dict[str, Any] = await run(request, sim.inject_fault, actor, body)
        return result

    @router.delete("/v1/sim/faults", operation_id="sim_clear_faults")
    async def sim_clear_faults(request: Request, sim: Controls, actor: Operator) -> dict[str, Any]:
        """Disarm every fault."""
        result: dict[str, Any] = await run(request, sim.clear_faults, actor)
        return result

    @router.post(
        "/v1/sim/detector", operation_id="sim_set_detector", response_model=hooks.state_model
    )
    async def sim_set_detector(
        request: Request, sim: Controls, actor: Operator, body: SimDetector
    ) -> Any:
        """Change the simulated detector's gamma (and its gain and offset)."""
        return await run(request, sim.set_detector, actor, body)

    return router
