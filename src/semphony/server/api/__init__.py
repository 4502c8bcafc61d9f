"""The HTTP routes, one router per resource, assembled into `api_router`."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.routing import APIRoute

from semphony.server.api import artifacts, commands, operations, rois, runs, sessions, sim, system

__all__ = ["ROUTE_METHODS", "api_router"]

_MODULES = (system, runs, sessions, commands, operations, artifacts, rois, sim)

api_router = APIRouter()
for _module in _MODULES:
    api_router.include_router(_module.router)

ROUTE_METHODS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (route.path_regex, frozenset(route.methods or ()))
    for module in _MODULES
    for route in module.router.routes
    if isinstance(route, APIRoute)
)
"""Each path pattern with the methods it serves, for the `Allow` header of a 405."""
