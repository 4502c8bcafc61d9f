"""The one place the emulator touches the simulator: `SimDriver`'s public methods, nothing else.

The physics is shared, not copied: the emulator holds a `SimDriver` at realtime 0 (its virtual
clock only counts) and adds SharkSEM's timing and state machine on top. Should the driver
interface shift, this adapter is what changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers import (
    DetectorSettings,
    DeviceInfo,
    InstrumentStateSnapshot,
    OpticsSettings,
    ScanRequest,
    StagePose,
    StageTarget,
)
from semphony.server.drivers.sim import SimDriver

__all__ = ["Physics"]


class Physics:
    """The simulated SEM behind the emulator (call with the emulator's lock held)."""

    def __init__(self, seed: int, specimen_kind: str) -> None:
        self._sim = SimDriver(seed=seed, specimen_kind=specimen_kind, realtime=0.0)
        self._sim.open()
        self.info: DeviceInfo = self._sim.device_info()

    def close(self) -> None:
        """Release the simulator."""
        self._sim.close()

    def state(self) -> InstrumentStateSnapshot:
        return self._sim.state()

    def clock_s(self) -> float:
        """The simulator's instrument clock: differences are how long something took."""
        return self._sim.state().clock_s

    def pump(self) -> None:
        self._sim.pump()

    def vent(self) -> None:
        self._sim.vent()

    def set_beam(self, on: bool) -> None:
        self._sim.set_beam(on)

    def move_stage(self, pose: StagePose) -> StagePose:
        """An absolute move to a pose inside the limits; returns the readback."""
        target = StageTarget(pose.x_mm, pose.y_mm, pose.z_mm, pose.r_deg, pose.t_deg)
        return self._sim.move_stage(target)

    def set_optics(self, settings: OpticsSettings) -> None:
        self._sim.set_optics(settings)

    def acquire(self, request: ScanRequest) -> NDArray[Any]:
        """One frame's pixels (uint8 or uint16, rows top to bottom)."""
        return np.asarray(self._sim.acquire(request).pixels)

    def response(self) -> tuple[float, float, float]:
        """The detector's gain, offset and gamma."""
        d = self._sim.state().detector
        return d.gain, d.offset, d.gamma

    def set_response(
        self, gain: float | None = None, offset: float | None = None, gamma: float | None = None
    ) -> tuple[float, float, float]:
        """Set the detector's gain, offset and gamma (None: unchanged); returns all three."""
        if gain is not None or offset is not None:
            self._sim.set_detector(DetectorSettings(gain=gain, offset=offset))
        if gamma is not None:
            self._sim.set_gamma(gamma)
        return self.response()

    def reload(
        self, shift_x_um: float | None, shift_y_um: float | None, rotation_deg: float | None
    ) -> dict[str, Any]:
        """Remount the specimen; returns the ground truth."""
        return self._sim.reload(shift_x_um, shift_y_um, rotation_deg)

    def truth(self, x_mm: float | None, y_mm: float | None) -> dict[str, Any]:
        return self._sim.truth(x_mm, y_mm)
