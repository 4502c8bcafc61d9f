"""The control server's FastAPI application: `create_app(settings, driver=None)`.

The lifespan opens the driver and the store (in worker threads: nothing blocking on the event
loop), restores a persistent driver's snapshot, marks operations interrupted by a previous process
as failed, and runs the watchdog (lease expiry, driver health); on shutdown it stops the running
operation, saves the driver's state and closes both.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semphony.server import schemas
from semphony.server.api import api_router, simulator_unavailable
from semphony.server.api._audit_trail import AuditTrailMiddleware
from semphony.server.api._capacity import Capacity, blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import refuse_null_body
from semphony.server.api.idempotency import IdempotencyMiddleware
from semphony.server.artifacts import ArtifactStore
from semphony.server.deps import get_actor, get_principal
from semphony.server.drivers import registry
from semphony.server.drivers.base import Driver
from semphony.server.errors import AuthError, ProblemError
from semphony.server.problems import BodyLimitMiddleware, install_problem_handlers
from semphony.server.security import Authenticator
from semphony.server.services import Services
from semphony.server.services.audit import Auditor
from semphony.server.settings import ServerSettings, provision_local_token
from semphony.server.store import Store
from semphony.server.timeouts import BodyReadTimeoutMiddleware

__all__ = ["create_app", "open_store"]

_log = logging.getLogger("semphony.server")
_WATCHDOG_INTERVAL_S = 0.2
_HEALTH_EVERY_S = 5.0


class _RequestIdMiddleware:
    """Give every request an id (in `request.state.request_id` and the `X-Request-Id` header)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, with_header)


def _watchdog(services: Services, stop: threading.Event) -> None:
    # A lease not renewed in time must make the instrument safe even if no request arrives; the
    # driver's health is refreshed here too, so GET /v1/health never waits for the device.
    next_health = 0.0
    ticks = 0.0
    while not stop.wait(_WATCHDOG_INTERVAL_S):
        ticks += _WATCHDOG_INTERVAL_S
        try:
            services.expire_leases()
            services.flush()
            if ticks >= next_health:
                next_health = ticks + _HEALTH_EVERY_S
                services.heartbeat()
                services.system.check_driver()
        except Exception as exc:
            _log.error("watchdog", exc_info=exc)


def _mount_simulator(app: FastAPI, driver: Driver) -> None:
    from semphony.server.drivers.sim import SimDriver

    if not isinstance(driver, SimDriver):
        app.include_router(simulator_unavailable)
        return
    from semphony.server.drivers.sim.router import RouterHooks, SimulatorControls, simulator_router

    async def controls() -> SimulatorControls:
        services = app.state.services
        if not isinstance(services, Services) or services.simulator is None:
            raise ProblemError(
                503, "the server is starting or stopping", reason="device.unavailable"
            )
        return services.simulator

    app.include_router(
        simulator_router(
            RouterHooks(
                controls=controls,
                operator=get_actor,
                viewer=get_principal,
                not_null_body=refuse_null_body,
                blocking=blocking,
                state_model=schemas.InstrumentState,
                route_class=StrictJsonRoute,
            )
        )
    )


def _route_methods(routes: Sequence[BaseRoute]) -> Iterator[tuple[re.Pattern[str], frozenset[str]]]:
    """Each path pattern with the methods it serves (for the `Allow` header of a 405), through
    included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path_regex, frozenset(route.methods or ())
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _route_methods(nested.routes)


def open_store(settings: ServerSettings) -> Store:
    """The store `settings` name: PostgreSQL at ``database_url``, else SQLite in the data dir."""
    url = settings.database_url
    return Store(
        settings.data_dir,
        database_url=None if url is None else url.get_secret_value(),
        idempotency_ttl_s=settings.idempotency_ttl_s,
        instrument=settings.instrument,
    )


def create_app(settings: ServerSettings, driver: Driver | None = None) -> FastAPI:
    """The control server for `settings`, driving `driver` (built from the settings if None).

    The driver is opened by the lifespan unless it is open already (`semphony serve` opens it
    first, so that an unreachable instrument is one line and exit 1).
    """
    settings = provision_local_token(settings)
    device = driver if driver is not None else registry.create(settings.driver, settings)
    authenticator = Authenticator.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.capacity = Capacity.create()
        await anyio.to_thread.run_sync(device.open)
        try:
            store = await anyio.to_thread.run_sync(lambda: open_store(settings))
        except BaseException:
            await anyio.to_thread.run_sync(device.close)
            raise
        try:
            services = Services.build(
                settings=settings,
                store=store,
                artifacts=ArtifactStore(settings.data_dir),
                driver=device,
            )
            services.ctx.watch.bind(asyncio.get_running_loop())
            await anyio.to_thread.run_sync(services.start)
        except BaseException:
            await anyio.to_thread.run_sync(device.close)
            await anyio.to_thread.run_sync(store.close)
            raise
        stop = threading.Event()
        watchdog = threading.Thread(
            target=_watchdog, args=(services, stop), name="semphony-watchdog", daemon=True
        )
        watchdog.start()
        app.state.services = services
        try:
            yield
        finally:
            app.state.services = None
            stop.set()
            await anyio.to_thread.run_sync(lambda: watchdog.join(timeout=5))
            await anyio.to_thread.run_sync(services.close)
            await anyio.to_thread.run_sync(lambda: services.ctx.auditor.flush(everything=True))
            await anyio.to_thread.run_sync(device.close)
            await anyio.to_thread.run_sync(store.close)

    app = FastAPI(
        title="semphony control server",
        version="1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # its Location would come from the client's Host header
    )
    app.state.services = None
    app.state.capacity = None
    app.state.settings = settings
    app.state.authenticator = authenticator
    install_problem_handlers(app)
    app.include_router(api_router)
    _mount_simulator(app, device)
    app.state.route_methods = tuple(_route_methods(app.router.routes))

    def current_store() -> Store | None:
        services = app.state.services
        return services.ctx.store if isinstance(services, Services) else None

    def current_capacity() -> Capacity | None:
        capacity = app.state.capacity
        return capacity if isinstance(capacity, Capacity) else None

    def principal_of(headers: Headers) -> str | None:
        try:
            principal = authenticator.authenticate(headers.get("authorization"))
        except AuthError:
            return None
        return f"{principal.role}:{principal.fingerprint}"

    def current_auditor() -> Auditor | None:
        services = app.state.services
        return services.ctx.auditor if isinstance(services, Services) else None

    # Added innermost first. Outermost the request id (every answer, every problem carries it),
    # then the audit trail (it sees every refusal), then the body's deadline and limit (no layer
    # inside waits for a late body or reads a large one), then idempotency.
    app.add_middleware(
        IdempotencyMiddleware,
        store=current_store,
        capacity=current_capacity,
        principal_of=principal_of,
    )
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(BodyReadTimeoutMiddleware, timeout_s=settings.body_timeout_s)
    app.add_middleware(
        AuditTrailMiddleware,
        auditor=current_auditor,
        capacity=current_capacity,
        authenticator=authenticator,
    )
    app.add_middleware(_RequestIdMiddleware)
    return app
