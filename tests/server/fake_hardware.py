"""A driver that is not the simulator: the simulator's physics behind a plain `Driver`.

It is not `Persistent` and offers no simulator controls, as hardware would not, so the tests can
see what the server does for any driver other than `sim`.
"""

from __future__ import annotations

import threading

from semphony.server.drivers import (
    DetectorSettings,
    DeviceInfo,
    Driver,
    InstrumentStateSnapshot,
    OpticsSettings,
    Progress,
    ScanData,
    ScanPlan,
    StagePlan,
    VacuumPlan,
)
from semphony.server.drivers.sim import SimDriver


class FakeHardware(Driver):
    """Forwards every hook to an inner simulator."""

    def __init__(self, seed: int = 7) -> None:
        super().__init__()
        self.inner = SimDriver(seed=seed)

    def _do_address(self) -> str:
        return "fake-hardware:0"

    def _do_device_info(self) -> DeviceInfo:
        info = self.inner._do_device_info()
        caps = tuple(c for c in info.capabilities if c != "simulator")
        return type(info)(**{**info.__dict__, "driver": "fake", "capabilities": caps})

    def _do_state(self) -> InstrumentStateSnapshot:
        return self.inner._do_state()

    def _do_set_beam(self, on: bool) -> None:
        self.inner._do_set_beam(on)

    def _do_pump(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        self.inner._do_pump(plan, progress, cancel)

    def _do_vent(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        self.inner._do_vent(plan, progress, cancel)

    def _do_move_stage(self, plan: StagePlan, progress: Progress, cancel: threading.Event) -> None:
        self.inner._do_move_stage(plan, progress, cancel)

    def _do_set_optics(self, settings: OpticsSettings) -> None:
        self.inner._do_set_optics(settings)

    def _do_set_detector(self, settings: DetectorSettings) -> None:
        self.inner._do_set_detector(settings)

    def _do_acquire(self, plan: ScanPlan, progress: Progress, cancel: threading.Event) -> ScanData:
        return self.inner._do_acquire(plan, progress, cancel)

    def _do_stop_motion(self) -> None:
        self.inner._do_stop_motion()
