"""`/v1/sim/*` on a driver that is not the simulator: a 404 problem that says so."""

from __future__ import annotations

from fastapi import APIRouter, Request

from semphony.server.api._json import StrictJsonRoute
from semphony.server.errors import ProblemError

router = APIRouter(include_in_schema=False, route_class=StrictJsonRoute)


@router.api_route("/v1/sim/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def simulator_unavailable(request: Request, rest: str) -> None:
    """Refuse every simulator control: this server's driver has none."""
    driver = request.app.state.settings.driver
    raise ProblemError(
        404,
        f"the {driver!r} driver is not the simulator: /v1/sim/{rest} is not available",
        reason="simulator.unavailable",
    )
