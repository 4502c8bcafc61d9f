"""FastAPI dependencies as `Annotated` aliases: the service, the caller's principal and role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from semphony.server.artifacts import ArtifactStore
from semphony.server.drivers.base import Driver
from semphony.server.problems import ProblemError
from semphony.server.security import Principal, require_operator
from semphony.server.service import Actor, ControlService
from semphony.server.store import Store

__all__ = [
    "ActorDep",
    "ArtifactsDep",
    "DriverDep",
    "OperatorDep",
    "PrincipalDep",
    "ServiceDep",
    "StoreDep",
]


def get_service(request: Request) -> ControlService:
    """The application's service (created by the lifespan)."""
    service = getattr(request.app.state, "service", None)
    if not isinstance(service, ControlService):
        raise ProblemError(503, "the server is starting or stopping", reason="device.unavailable")
    return service


ServiceDep = Annotated[ControlService, Depends(get_service)]


def get_store(service: ServiceDep) -> Store:
    return service.store


def get_driver(service: ServiceDep) -> Driver:
    return service.driver


def get_artifacts(service: ServiceDep) -> ArtifactStore:
    return service.artifacts


StoreDep = Annotated[Store, Depends(get_store)]
DriverDep = Annotated[Driver, Depends(get_driver)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]


def get_principal(request: Request, service: ServiceDep) -> Principal:
    """The caller, from its bearer token: 401 when missing or unknown."""
    return service.authenticator.authenticate(request.headers.get("authorization"))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_operator(principal: PrincipalDep) -> Principal:
    """The caller, if it may control the instrument: 403 for a viewer."""
    require_operator(principal)
    return principal


OperatorDep = Annotated[Principal, Depends(get_operator)]


def get_actor(request: Request, principal: OperatorDep) -> Actor:
    """The operator sending this command, as the audit log records it."""
    request_id = getattr(request.state, "request_id", None)
    return Actor(
        principal=principal,
        method=request.method,
        path=request.url.path,
        request_id=request_id if isinstance(request_id, str) else None,
    )


ActorDep = Annotated[Actor, Depends(get_actor)]
