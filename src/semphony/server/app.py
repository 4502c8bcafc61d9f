"""The control server's FastAPI application: `create_app(settings, driver=None)`.

The lifespan opens the store and the artifact directory, restores the simulator's snapshot, marks
operations interrupted by a previous process as failed, and runs the lease-expiry watchdog; on
shutdown it stops the running operation, saves the driver's state and closes the store.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semphony.server.api import ROUTE_METHODS, api_router
from semphony.server.api.idempotency import IdempotencyMiddleware
from semphony.server.artifacts import ArtifactError, ArtifactStore
from semphony.server.drivers.base import Driver, DriverError
from semphony.server.problems import (
    BodyLimitMiddleware,
    install_problem_handlers,
    problem_response,
)
from semphony.server.security import AuthError, LeaseError
from semphony.server.service import ControlService, driver_problem
from semphony.server.settings import ServerSettings, provision_local_token
from semphony.server.store import Store, StoreError

__all__ = ["create_app", "make_driver"]

_log = logging.getLogger("semphony.server")
_WATCHDOG_INTERVAL_S = 0.2


def make_driver(settings: ServerSettings) -> Driver:
    """The driver the settings name (only `sim` ships with the server)."""
    if settings.driver != "sim":
        raise ValueError(f"driver: {settings.driver!r} is not available in this server")
    from semphony.server.drivers.sim import SimDriver

    image = None
    if settings.specimen_path is not None:
        image = _read_specimen(settings.specimen_path)
    return SimDriver(
        seed=settings.seed,
        specimen_kind=settings.specimen_kind or "texture",
        specimen_image=image,
        specimen_pixel_um=settings.specimen_pixel_um,
        realtime=settings.realtime,
    )


def _read_specimen(path: Path) -> npt.NDArray[np.float64]:
    """A specimen image as a 2-D grey array (colour channels are averaged)."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        pixels = np.asarray(tifffile.imread(path), dtype=np.float64)
    else:
        from skimage import io

        pixels = np.asarray(io.imread(path), dtype=np.float64)
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=-1) if pixels.shape[-1] in (3, 4) else pixels[0]
    if pixels.ndim != 2:
        raise ValueError(f"specimen_path: {path} is not a 2-D image (shape {pixels.shape})")
    return pixels


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


def _watchdog(service: ControlService, stop: threading.Event) -> None:
    # A lease not renewed in time must make the instrument safe even if no request arrives.
    while not stop.wait(_WATCHDOG_INTERVAL_S):
        try:
            service.expire_leases()
        except Exception as exc:
            _log.error("lease watchdog", exc_info=exc)


def create_app(settings: ServerSettings, driver: Driver | None = None) -> FastAPI:
    """The control server for `settings`, driving `driver` (built from the settings if None)."""
    settings = provision_local_token(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.data_dir, idempotency_ttl_s=settings.idempotency_ttl_s)
        try:
            service = ControlService(
                settings=settings,
                store=store,
                artifacts=ArtifactStore(settings.data_dir),
                driver=driver if driver is not None else make_driver(settings),
            )
            await run_in_threadpool(service.start)
        except BaseException:
            store.close()
            raise
        stop = threading.Event()
        watchdog = threading.Thread(
            target=_watchdog, args=(service, stop), name="semphony-lease-watchdog", daemon=True
        )
        watchdog.start()
        app.state.service = service
        try:
            yield
        finally:
            app.state.service = None
            stop.set()
            watchdog.join(timeout=5)
            await run_in_threadpool(service.close)
            store.close()

    app = FastAPI(
        title="semphony control server",
        version="1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = None
    app.state.route_methods = ROUTE_METHODS
    install_problem_handlers(app, domain_errors=(AuthError, LeaseError, StoreError, ArtifactError))

    async def on_driver_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DriverError)
        problem = driver_problem(exc)
        return problem_response(problem.body(instance=request.url.path))

    app.add_exception_handler(DriverError, on_driver_error)
    app.include_router(api_router)

    def current_store() -> Store | None:
        service = app.state.service
        return service.store if isinstance(service, ControlService) else None

    def principal_of(headers: Headers) -> str | None:
        service = app.state.service
        if not isinstance(service, ControlService):
            return None
        try:
            principal = service.authenticator.authenticate(headers.get("authorization"))
        except AuthError:
            return None
        return f"{principal.role}:{principal.fingerprint}"

    # Added innermost first: the body limit wraps everything, so no layer reads an oversized body.
    app.add_middleware(_RequestIdMiddleware)
    app.add_middleware(IdempotencyMiddleware, store=current_store, principal_of=principal_of)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    return app
