"""The driver interface's value types: what a driver is told, what it answers, what it can do.

All are frozen dataclasses in the driver's own units (mm and degrees for the stage, µm for the
field of view and beam shift, kV, nA, µs of dwell); a driver converts to its wire's units at its
edge, and the server's mapping module converts these to and from the wire schemas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "STAGE_AXES",
    "VACUUM_STATES",
    "CancelToken",
    "DetectorInfo",
    "DetectorSettings",
    "DetectorState",
    "DeviceInfo",
    "DriverHealth",
    "Frame",
    "InstrumentStateSnapshot",
    "Limits",
    "OpticsSettings",
    "Progress",
    "ScanData",
    "ScanPlan",
    "ScanRequest",
    "StagePlan",
    "StagePose",
    "StageTarget",
    "VacuumPlan",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` during a long command (lines for scans, steps otherwise)."""

VACUUM_STATES = ("vented", "pumping", "pumped", "venting", "error")


class CancelToken(Protocol):
    """What a long command watches: a `threading.Event` is one.

    `wait(timeout)` is how a driver sleeps between steps, so a cancel wakes it at once.
    """

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class StagePose:
    """Stage position: x, y, z in mm; rotation r and tilt t in degrees."""

    x_mm: float
    y_mm: float
    z_mm: float
    r_deg: float
    t_deg: float

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagePose:
        return cls(**{f.name: float(data[f.name]) for f in dataclasses.fields(cls)})


STAGE_AXES = ("x_mm", "y_mm", "z_mm", "r_deg", "t_deg")


@dataclass(frozen=True)
class StageTarget:
    """A stage move: None leaves an axis where it is; `relative` adds the values to the readback."""

    x_mm: float | None = None
    y_mm: float | None = None
    z_mm: float | None = None
    r_deg: float | None = None
    t_deg: float | None = None
    relative: bool = False


@dataclass(frozen=True)
class OpticsSettings:
    """Optics changes; None leaves a setting unchanged."""

    fov_um: float | None = None
    working_distance_mm: float | None = None
    scan_rotation_deg: float | None = None
    beam_shift_x_um: float | None = None
    beam_shift_y_um: float | None = None
    hv_kv: float | None = None
    beam_current_na: float | None = None


@dataclass(frozen=True)
class DetectorSettings:
    """Detector selection and response; None leaves a setting unchanged.

    `mode` and `channel` must agree; `gain` multiplies the signal, `offset` adds a fraction of full
    scale (what a real detector's contrast and brightness do).
    """

    mode: str | None = None
    channel: int | None = None
    bit_depth: int | None = None
    gain: float | None = None
    offset: float | None = None


@dataclass(frozen=True)
class DetectorState:
    """The active detector and its response (output = clip(gain·signal + offset) ** gamma)."""

    mode: str
    channel: int
    gain: float
    offset: float
    gamma: float
    bit_depth: int


@dataclass(frozen=True)
class InstrumentStateSnapshot:
    """The instrument as the driver sees it (WIRE.md InstrumentState minus lease and operation)."""

    vacuum: str
    beam_on: bool
    hv_kv: float
    beam_current_na: float
    stage: StagePose
    fov_um: float
    working_distance_mm: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    detector: DetectorState
    clock_s: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ScanRequest:
    """An acquisition request as AcquisitionConfig carries it; None means the current or default."""

    fov_um: float | None = None
    resolution: tuple[int, int] | None = None
    dwell_time_us: float | None = None
    scan_speed_index: int | None = None
    mode: str | None = None
    detector_mode: str | None = None
    detector_channel: int | None = None
    working_distance_mm: float | None = None
    bit_depth: int | None = None


@dataclass(frozen=True)
class ScanPlan:
    """A checked acquisition: the concrete values the device will use, and the fields it ignores."""

    fov_um: float
    resolution: tuple[int, int]
    dwell_time_us: float
    scan_speed_index: int
    mode: str
    detector_channel: int
    working_distance_mm: float
    bit_depth: int
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    ignored_fields: tuple[str, ...] = ()

    @property
    def pixel_size_um(self) -> float:
        """Square pixels: the FOV is the field's width."""
        return self.fov_um / self.resolution[0]

    def applied(self) -> dict[str, Any]:
        """The settings echoed in AcquisitionResult.metadata.applied."""
        return {
            "fov_um": self.fov_um,
            "dwell_time_us": self.dwell_time_us,
            "scan_speed_index": self.scan_speed_index,
            "resolution": [self.resolution[0], self.resolution[1]],
            "mode": self.mode,
            "detector_channel": self.detector_channel,
            "working_distance_mm": self.working_distance_mm,
            "bit_depth": self.bit_depth,
            "pixel_size_um": self.pixel_size_um,
            "scan_rotation_deg": self.scan_rotation_deg,
            "beam_shift_x_um": self.beam_shift_x_um,
            "beam_shift_y_um": self.beam_shift_y_um,
        }


@dataclass(frozen=True)
class ScanData:
    """What a driver's `_do_acquire` returns: the pixels and the instrument-clock interval."""

    pixels: NDArray[np.uint8] | NDArray[np.uint16]
    clock_s_start: float
    clock_s_end: float


@dataclass(frozen=True)
class Frame:
    """An acquired image (rows top to bottom), the applied settings and the state at scan start."""

    pixels: NDArray[np.uint8] | NDArray[np.uint16]
    applied: dict[str, Any]
    ignored_fields: list[str]
    stage: StagePose
    clock_s_start: float
    clock_s_end: float
    state: InstrumentStateSnapshot


@dataclass(frozen=True)
class DetectorInfo:
    """One detector the device offers."""

    channel: int
    mode: str
    name: str


@dataclass(frozen=True)
class Limits:
    """What the device can do. Ranges are inclusive (min, max); `clearance` is the pole-piece rule.

    `clearance` lists (|tilt| in degrees, highest allowed z in mm) points, interpolated linearly.
    """

    x_mm: tuple[float, float]
    y_mm: tuple[float, float]
    z_mm: tuple[float, float]
    r_deg: tuple[float, float]
    t_deg: tuple[float, float]
    clearance: tuple[tuple[float, float], ...]
    fov_um: tuple[float, float]
    working_distance_mm: tuple[float, float]
    scan_rotation_deg: tuple[float, float]
    beam_shift_um: tuple[float, float]
    hv_kv: tuple[float, float]
    beam_current_na: tuple[float, float]
    resolution: tuple[int, int]
    bit_depths: tuple[int, ...]
    detector_gain: tuple[float, float] = (0.01, 100.0)
    detector_offset: tuple[float, float] = (-1.0, 1.0)

    def z_max_mm(self, t_deg: float) -> float:
        """Highest z allowed at tilt `t_deg` (pole-piece clearance)."""
        tilts = [p[0] for p in self.clearance]
        zs = [p[1] for p in self.clearance]
        return min(self.z_mm[1], float(np.interp(abs(t_deg), tilts, zs)))


@dataclass(frozen=True)
class DeviceInfo:
    """What `/v1/device` publishes: identity, capabilities, limits, speed table and conventions."""

    driver: str
    model: str
    serial: str
    capabilities: tuple[str, ...]
    honoured_fields: tuple[str, ...]
    detectors: tuple[DetectorInfo, ...]
    limits: Limits
    scan_speeds_us: tuple[float, ...]
    default_scan_speed_index: int
    default_resolution: tuple[int, int]
    stage_repeatability_um: float
    conventions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["scan_speeds"] = [
            {"index": i, "dwell_time_us": d} for i, d in enumerate(self.scan_speeds_us)
        ]
        return data


@dataclass(frozen=True)
class DriverHealth:
    """Whether the driver reaches its instrument now; `detail` says what was checked or failed."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class VacuumPlan:
    """A checked pump or vent: where the chamber goes, and whether it is there already."""

    kind: str  # "pump" or "vent"
    target: str  # "pumped" or "vented"
    already: bool
    total: int  # progress units (instrument seconds) expected; 0 while unknown


@dataclass(frozen=True)
class StagePlan:
    """A checked stage move: the absolute target and the pose it starts from."""

    target: StagePose
    start: StagePose
    total: int = 20  # progress units (steps)
