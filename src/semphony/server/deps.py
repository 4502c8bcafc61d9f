"""FastAPI dependencies as `Annotated` aliases: the services, the caller's principal and role.

All are `async` and do no I/O (token comparison is a few hashes), so resolving them never takes a
worker thread from the pools the routes use.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError

from semphony.server.errors import ProblemError
from semphony.server.security import Authenticator, Principal, require_operator
from semphony.server.services import Actor, Services

__all__ = ["LEASE_SECRET_HEADER", "ActorDep", "OperatorDep", "PrincipalDep", "ServicesDep"]

LEASE_SECRET_HEADER = "lease-secret"
_SECRET = re.compile(r"[!-~]{1,255}")


async def get_services(request: Request) -> Services:
    """The application's services (created by the lifespan)."""
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, Services):
        raise ProblemError(503, "the server is starting or stopping", reason="device.unavailable")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(request: Request) -> Principal:
    """The caller, from its bearer token: 401 when missing or unknown."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.authenticate(request.headers.get("authorization"))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_operator(principal: PrincipalDep) -> Principal:
    """The caller, if it may control the instrument: 403 for a viewer."""
    require_operator(principal)
    return principal


OperatorDep = Annotated[Principal, Depends(get_operator)]


async def get_actor(request: Request, principal: OperatorDep) -> Actor:
    """The operator sending this command, as the audit log records it."""
    request_id = getattr(request.state, "request_id", None)
    secret = request.headers.get(LEASE_SECRET_HEADER)
    if secret is not None and not _SECRET.fullmatch(secret):
        raise RequestValidationError(
            [
                {
                    "type": "string_pattern_mismatch",
                    "loc": ("header", "Lease-Secret"),
                    "msg": "the lease secret must be 1 to 255 visible ASCII characters",
                }
            ]
        )
    return Actor(
        principal=principal,
        method=request.method,
        path=request.url.path,
        request_id=request_id if isinstance(request_id, str) else None,
        lease_secret=secret,
        source=request.client.host if request.client is not None else None,
    )


ActorDep = Annotated[Actor, Depends(get_actor)]
