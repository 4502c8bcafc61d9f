"""Health, the device description and the instrument state."""

from __future__ import annotations

from typing import Any

from semphony.server import mapping, schemas
from semphony.server.drivers.types import DriverHealth
from semphony.server.services._context import API_VERSION, ServiceContext, server_version
from semphony.server.services.calibration import CalibrationService

__all__ = ["SystemService"]


class SystemService:
    """`GET /v1/health`, `/v1/device`, `/v1/state`."""

    def __init__(
        self, ctx: ServiceContext, *, simulator: bool, calibration: CalibrationService
    ) -> None:
        self._ctx = ctx
        self._simulator = simulator
        self._calibration = calibration
        self._server_version = server_version()
        self._health = DriverHealth(ok=True, detail="not checked yet")

    def health(self) -> schemas.Health:
        """Liveness: answered from memory (the watchdog refreshes the driver's health)."""
        return schemas.Health(
            status="ok" if self._health.ok else "degraded",
            api_version=API_VERSION,
            server_version=self._server_version,
            driver=self._ctx.settings.driver,
        )

    def check_driver(self) -> DriverHealth:
        """Ask the driver whether its instrument answers (blocking; the watchdog calls it)."""
        self._health = self._ctx.driver.health()
        return self._health

    def device(self) -> dict[str, Any]:
        """The device description in the contract's `DeviceInfo` shape, with the stored axis
        calibration (None until `semphony calibrate` measured one)."""
        info = self._ctx.driver.device_info()
        extra: dict[str, Any] = {"calibration": self._calibration.current()}
        if self._simulator and "simulator" not in info.capabilities:
            extra["capabilities"] = [*info.capabilities, "simulator"]
        return mapping.device_document(
            info, api_version=API_VERSION, server_version=self._server_version, extra=extra
        )

    def state(self) -> schemas.InstrumentState:
        """The instrument's state, the lease holder and the running operation."""
        ctx = self._ctx
        snap = ctx.driver.state()
        return mapping.state_model(snap, ctx.leases.current(), ctx.runner.active_operation_id)
