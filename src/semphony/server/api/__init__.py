"""The HTTP routes, one router per resource, assembled into `api_router`.

The simulator's own routes live with the simulator (`drivers.sim.router`) and are mounted by the
app only for that driver; with any other driver `/v1/sim/*` answers 404 `simulator.unavailable`.
"""

from __future__ import annotations

from fastapi import APIRouter

from semphony.server.api import (
    artifacts,
    calibration,
    commands,
    operations,
    rois,
    runs,
    sessions,
    system,
)
from semphony.server.api._unavailable import router as simulator_unavailable

__all__ = ["api_router", "simulator_unavailable"]

_MODULES = (system, runs, sessions, commands, calibration, operations, artifacts, rois)

api_router = APIRouter()
for _module in _MODULES:
    api_router.include_router(_module.router)
