"""The device-driver interface: value types, the error tree, and the `Driver` template base class.

Error tree (what the server maps each to)::

    DriverError                 any failure raised by a driver
    ├── InterlockError          refused by the instrument's state (HTTP 409): vent with beam on
    ├── RangeError              refused because a value is outside what the device can do (HTTP 422)
    ├── DeviceFault             the device reported a failure (HTTP 502, with its code and message)
    └── Cancelled               the caller (or a safe stop) cancelled a running command

`Driver` follows python-microscope's ``abc.py``: its public methods check interlocks and ranges
once, then call the ``_do_*`` hooks, which are all a concrete driver overrides. A refused command
changes nothing. Long commands (pump, vent, move, acquire) take a ``progress(done, total)``
callable and a ``cancel`` event that is checked between lines or steps.
"""

from __future__ import annotations

import abc
import dataclasses
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CancelToken",
    "Cancelled",
    "DetectorInfo",
    "DetectorSettings",
    "DetectorState",
    "DeviceFault",
    "DeviceInfo",
    "Driver",
    "DriverError",
    "Frame",
    "InstrumentStateSnapshot",
    "InterlockError",
    "Limits",
    "OpticsSettings",
    "Progress",
    "RangeError",
    "ScanData",
    "ScanPlan",
    "ScanRequest",
    "StagePose",
    "StageTarget",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` during a long command (lines for scans, steps otherwise)."""

VACUUM_STATES = ("vented", "pumping", "pumped", "venting", "error")


class CancelToken(Protocol):
    """Anything with ``is_set()``; a `threading.Event` is one."""

    def is_set(self) -> bool: ...


# --------------------------------------------------------------------------------------- errors


class DriverError(Exception):
    """Base of every error a driver raises."""


class InterlockError(DriverError):
    """The instrument's state forbids the command (beam without vacuum, vent with beam on, busy)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class RangeError(DriverError):
    """A value lies outside what the device can do; `field` names it and `detail` gives the rule."""

    def __init__(self, reason: str, field: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.field = field
        self.detail = detail


class DeviceFault(DriverError):  # noqa: N818 (the name the server and SDK share)
    """The device reported a failure (for example a SharkSEM ``ScScanXY`` error code)."""

    def __init__(self, device_code: str, device_message: str) -> None:
        super().__init__(f"device error {device_code}: {device_message}")
        self.device_code = device_code
        self.device_message = device_message


class Cancelled(DriverError):  # noqa: N818 (the name the server and SDK share)
    """A running command was cancelled; the hardware stopped where it had got to."""


# ---------------------------------------------------------------------------------- value types


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
    """Detector selection; None leaves a setting unchanged. `mode` and `channel` must agree."""

    mode: str | None = None
    channel: int | None = None
    bit_depth: int | None = None


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


# ------------------------------------------------------------------------------------ the base


class _EitherSet:
    """Set when the caller's cancel event or the driver's safe-stop event is."""

    def __init__(self, *tokens: CancelToken | None) -> None:
        self._tokens = [t for t in tokens if t is not None]

    def is_set(self) -> bool:
        return any(t.is_set() for t in self._tokens)


def _no_progress(done: int, total: int) -> None:
    """Progress sink used when the caller passes none."""


def _finite(name: str, value: float, reason: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise RangeError(reason, name, f"{name}={value!r} must be a finite number")
    return float(value)


def _within(name: str, value: float, bounds: tuple[float, float], unit: str, reason: str) -> None:
    lo, hi = bounds
    if not lo <= value <= hi:
        raise RangeError(
            reason, name, f"{name}={value:g} is outside the allowed range [{lo:g}, {hi:g}] {unit}"
        )


_OPTICS_UNITS = {
    "fov_um": "µm",
    "working_distance_mm": "mm",
    "scan_rotation_deg": "°",
    "hv_kv": "kV",
    "beam_current_na": "nA",
}


class Driver(abc.ABC):
    """The interface routes and services know: checks happen here once, `_do_*` hooks act.

    Thread-safety: every public method takes the driver's lock for its checks and state changes;
    long commands release it between steps so `state()` can be read from another thread. While a
    long command runs, other commands that change the instrument are refused (`interlock.busy`);
    `safe_stop()` is always accepted.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._busy: str | None = None
        self._stop_event = threading.Event()

    # ---- reads

    def device_info(self) -> DeviceInfo:
        """Identity, capabilities, limits, scan-speed table and axis conventions."""
        return self._do_device_info()

    def state(self) -> InstrumentStateSnapshot:
        """The current instrument state (safe to call while a long command runs)."""
        with self._lock:
            return self._do_state()

    # ---- checks (public so the server can refuse before it creates an operation)

    def check_beam(self, on: bool) -> None:
        """Refuse switching the beam on without vacuum."""
        with self._lock:
            self._check_idle()
            if on and self._do_state().vacuum != "pumped":
                raise InterlockError(
                    "interlock.vacuum_required",
                    f"the beam needs vacuum; the chamber is {self._do_state().vacuum}",
                )

    def check_pump(self) -> None:
        """Refuse pumping while another command runs."""
        with self._lock:
            self._check_idle()

    def check_vent(self) -> None:
        """Refuse venting with the beam on."""
        with self._lock:
            self._check_idle()
            if self._do_state().beam_on:
                raise InterlockError(
                    "interlock.beam_must_be_off", "switch the beam off before venting the chamber"
                )

    def check_move(self, target: StageTarget) -> StagePose:
        """Resolve `target` against the readback and refuse it outside travel or clearance."""
        with self._lock:
            self._check_idle()
            limits = self.device_info().limits
            current = self._do_state().stage
            values: dict[str, float] = {}
            for axis in STAGE_AXES:
                raw = getattr(target, axis)
                now = float(getattr(current, axis))
                if raw is None:
                    values[axis] = now
                    continue
                value = _finite(axis, raw, "range.stage_travel")
                values[axis] = now + value if target.relative else value
            for axis in STAGE_AXES:
                unit = "mm" if axis.endswith("_mm") else "°"
                _within(axis, values[axis], getattr(limits, axis), unit, "range.stage_travel")
            z_max = limits.z_max_mm(values["t_deg"])
            if values["z_mm"] > z_max:
                raise RangeError(
                    "range.stage_clearance",
                    "z_mm",
                    f"z_mm={values['z_mm']:g} at t_deg={values['t_deg']:g} is above the pole-piece "
                    f"clearance limit z_max({values['t_deg']:g}°)={z_max:g} mm",
                )
            return StagePose(**values)

    def check_optics(self, settings: OpticsSettings) -> None:
        """Refuse optics values outside the device's limits."""
        with self._lock:
            self._check_idle()
            self._check_optics_values(settings, "range.optics")

    def check_detector(self, settings: DetectorSettings) -> None:
        """Refuse an unknown detector, a mode/channel mismatch or an unsupported bit depth."""
        with self._lock:
            self._check_idle()
            self._resolve_detector(settings.mode, None, settings.channel, "range.optics")
            if settings.bit_depth is not None:
                self._check_bit_depth(settings.bit_depth, "range.optics")

    def check_acquire(self, request: ScanRequest) -> ScanPlan:
        """Resolve `request` into the values the device will apply, or refuse it."""
        with self._lock:
            self._check_idle()
            plan = self._plan(request)
            if not self._do_state().beam_on:
                raise InterlockError(
                    "interlock.beam_required", "switch the beam on before scanning"
                )
            return plan

    # ---- commands

    def set_beam(self, on: bool) -> InstrumentStateSnapshot:
        """Switch the beam (HV) on or off."""
        with self._lock:
            self.check_beam(on)
            self._do_set_beam(on)
            return self._do_state()

    def set_optics(self, settings: OpticsSettings) -> InstrumentStateSnapshot:
        """Change FOV, working distance, scan rotation, beam shift, HV or beam current."""
        with self._lock:
            self.check_optics(settings)
            self._do_set_optics(settings)
            return self._do_state()

    def set_detector(self, settings: DetectorSettings) -> InstrumentStateSnapshot:
        """Select the detector (mode or channel) and the output bit depth."""
        with self._lock:
            self.check_detector(settings)
            mode, channel = self._resolve_detector(
                settings.mode, None, settings.channel, "range.optics"
            )
            self._do_set_detector(DetectorSettings(mode, channel, settings.bit_depth))
            return self._do_state()

    def pump(self, progress: Progress | None = None, cancel: CancelToken | None = None) -> str:
        """Pump the chamber down; returns the vacuum state (``pumped``). A no-op when pumped."""
        with self._lock:
            self.check_pump()
            if self._do_state().vacuum == "pumped":
                return "pumped"
            stop = self._claim("pump", cancel)
        with self._running():
            self._do_pump(progress or _no_progress, stop)
        return self.state().vacuum

    def vent(self, progress: Progress | None = None, cancel: CancelToken | None = None) -> str:
        """Vent the chamber; returns the vacuum state (``vented``). A no-op when vented."""
        with self._lock:
            self.check_vent()
            if self._do_state().vacuum == "vented":
                return "vented"
            stop = self._claim("vent", cancel)
        with self._running():
            self._do_vent(progress or _no_progress, stop)
        return self.state().vacuum

    def move_stage(
        self,
        target: StageTarget,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> StagePose:
        """Move the stage; returns the readback pose. Cancel leaves it where it got to."""
        with self._lock:
            pose = self.check_move(target)
            stop = self._claim("move", cancel)
        with self._running():
            return self._do_move_stage(pose, progress or _no_progress, stop)

    def acquire(
        self,
        request: ScanRequest,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> Frame:
        """Apply the request's FOV, WD and detector, then scan a frame and echo what was applied."""
        with self._lock:
            plan = self.check_acquire(request)
            stop = self._claim("acquire", cancel)
        with self._running():
            with self._lock:
                self._do_set_optics(
                    OpticsSettings(fov_um=plan.fov_um, working_distance_mm=plan.working_distance_mm)
                )
                self._do_set_detector(
                    DetectorSettings(plan.mode, plan.detector_channel, plan.bit_depth)
                )
                state = self._do_state()
            data = self._do_acquire(plan, progress or _no_progress, stop)
        return Frame(
            pixels=data.pixels,
            applied=plan.applied(),
            ignored_fields=list(plan.ignored_fields),
            stage=state.stage,
            clock_s_start=data.clock_s_start,
            clock_s_end=data.clock_s_end,
            state=state,
        )

    def safe_stop(self) -> None:
        """Stop any scan or stage motion now (used when a lease expires); always accepted."""
        self._stop_event.set()
        with self._lock:
            self._do_safe_stop()

    def stop_motion(self) -> None:
        """Stop a running scan or stage move now; a pump or vent goes on, the beam is untouched."""
        if self._busy in ("acquire", "move"):
            self._stop_event.set()
        with self._lock:
            self._do_safe_stop()

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able dict from which `restore` rebuilds the instrument (persistence)."""
        with self._lock:
            return self._do_snapshot()

    def restore(self, data: dict[str, Any]) -> None:
        """Rebuild the instrument from a `snapshot`; refused while a command runs."""
        with self._lock:
            self._check_idle()
            self._do_restore(data)

    # ---- helpers for the template methods

    def _check_idle(self) -> None:
        if self._busy is not None:
            raise InterlockError("interlock.busy", f"the instrument is busy ({self._busy})")

    def _claim(self, kind: str, cancel: CancelToken | None) -> _EitherSet:
        """Mark the instrument busy with a long command (call with the lock held, after checks)."""
        self._stop_event = threading.Event()
        self._busy = kind
        return _EitherSet(cancel, self._stop_event)

    @contextmanager
    def _running(self) -> Iterator[None]:
        """Release the claim when the long command ends, however it ends."""
        try:
            yield
        finally:
            with self._lock:
                self._busy = None

    def _check_optics_values(self, settings: OpticsSettings, reason: str) -> None:
        limits = self.device_info().limits
        for name, unit in _OPTICS_UNITS.items():
            raw = getattr(settings, name)
            if raw is not None:
                _within(name, _finite(name, raw, reason), getattr(limits, name), unit, reason)
        for name in ("beam_shift_x_um", "beam_shift_y_um"):
            raw = getattr(settings, name)
            if raw is not None:
                _within(name, _finite(name, raw, reason), limits.beam_shift_um, "µm", reason)

    def _check_bit_depth(self, bit_depth: int, reason: str) -> None:
        allowed = self.device_info().limits.bit_depths
        if bit_depth not in allowed:
            raise RangeError(
                reason, "bit_depth", f"bit_depth={bit_depth!r} is not one of {list(allowed)}"
            )

    def _resolve_detector(
        self, mode: str | None, detector_mode: str | None, channel: int | None, reason: str
    ) -> tuple[str, int]:
        """Find the detector named by mode and/or channel; the current one when neither is given."""
        detectors = self.device_info().detectors
        if mode is not None and detector_mode is not None and mode.upper() != detector_mode.upper():
            raise RangeError(
                reason,
                "detector_mode",
                f"detector_mode={detector_mode!r} must agree with mode={mode!r}",
            )
        wanted = mode if mode is not None else detector_mode
        by_mode = None
        if wanted is not None:
            by_mode = next((d for d in detectors if d.mode.upper() == wanted.upper()), None)
            if by_mode is None:
                field_name = "mode" if mode is not None else "detector_mode"
                raise RangeError(
                    reason,
                    field_name,
                    f"{field_name}={wanted!r} is not one of {[d.mode for d in detectors]}",
                )
        by_channel = None
        if channel is not None:
            by_channel = next((d for d in detectors if d.channel == channel), None)
            if by_channel is None:
                raise RangeError(
                    reason,
                    "detector_channel",
                    f"detector_channel={channel!r} is not one of {[d.channel for d in detectors]}",
                )
        if by_mode is not None and by_channel is not None and by_mode != by_channel:
            raise RangeError(
                reason,
                "detector_channel",
                f"detector_channel={channel} is the {by_channel.mode} detector, not {wanted}",
            )
        chosen = by_mode or by_channel
        if chosen is None:
            current = self._do_state().detector
            return current.mode, current.channel
        return chosen.mode, chosen.channel

    def _plan(self, request: ScanRequest) -> ScanPlan:
        """Check every acquisition value and resolve defaults, snapping the dwell to the table."""
        info = self.device_info()
        limits = info.limits
        state = self._do_state()
        reason = "range.acquisition"
        given = {
            f.name for f in dataclasses.fields(request) if getattr(request, f.name) is not None
        }
        honoured = set(info.honoured_fields)
        ignored = tuple(
            f.name
            for f in dataclasses.fields(request)
            if f.name in given and f.name not in honoured
        )

        def use(name: str) -> bool:
            return name in given and name in honoured

        fov_um = state.fov_um
        if use("fov_um"):
            fov_um = _finite("fov_um", request.fov_um, reason)  # type: ignore[arg-type]
            _within("fov_um", fov_um, limits.fov_um, "µm", reason)
        resolution = info.default_resolution
        if use("resolution"):
            assert request.resolution is not None
            if len(request.resolution) != 2:
                raise RangeError(reason, "resolution", "resolution must be (width, height)")
            for value in request.resolution:
                if isinstance(value, bool) or not isinstance(value, int | np.integer):
                    raise RangeError(reason, "resolution", f"resolution={value!r} must be integers")
                _within("resolution", int(value), limits.resolution, "pixels", reason)
            resolution = (int(request.resolution[0]), int(request.resolution[1]))
        speeds = info.scan_speeds_us
        index = info.default_scan_speed_index
        if use("scan_speed_index"):
            index = request.scan_speed_index  # type: ignore[assignment]
            if isinstance(index, bool) or not 0 <= index < len(speeds):
                raise RangeError(
                    reason,
                    "scan_speed_index",
                    f"scan_speed_index={index!r} is outside the speed table [0, {len(speeds) - 1}]",
                )
        elif use("dwell_time_us"):
            dwell = _finite("dwell_time_us", request.dwell_time_us, reason)  # type: ignore[arg-type]
            lo, hi = min(speeds), max(speeds)
            if not lo * (1 - 1e-9) <= dwell <= hi * (1 + 1e-9):
                raise RangeError(
                    reason,
                    "dwell_time_us",
                    f"dwell_time_us={dwell:g} is outside the scan-speed table [{lo:g}, {hi:g}] µs",
                )
            # Nearest step; a tie goes to the shorter dwell (the first in table order).
            index = min(range(len(speeds)), key=lambda i: (abs(speeds[i] - dwell), speeds[i]))
        mode, channel = (
            self._resolve_detector(
                request.mode if use("mode") else None,
                request.detector_mode if use("detector_mode") else None,
                request.detector_channel if use("detector_channel") else None,
                reason,
            )
            if any(use(n) for n in ("mode", "detector_mode", "detector_channel"))
            else (state.detector.mode, state.detector.channel)
        )
        wd_mm = state.working_distance_mm
        if use("working_distance_mm"):
            wd_mm = _finite("working_distance_mm", request.working_distance_mm, reason)  # type: ignore[arg-type]
            _within("working_distance_mm", wd_mm, limits.working_distance_mm, "mm", reason)
        bit_depth = state.detector.bit_depth
        if use("bit_depth"):
            bit_depth = request.bit_depth  # type: ignore[assignment]
            self._check_bit_depth(bit_depth, reason)
        return ScanPlan(
            fov_um=fov_um,
            resolution=resolution,
            dwell_time_us=speeds[index],
            scan_speed_index=index,
            mode=mode,
            detector_channel=channel,
            working_distance_mm=wd_mm,
            bit_depth=bit_depth,
            scan_rotation_deg=state.scan_rotation_deg,
            beam_shift_x_um=state.beam_shift_x_um,
            beam_shift_y_um=state.beam_shift_y_um,
            ignored_fields=ignored,
        )

    # ---- what a driver overrides

    @abc.abstractmethod
    def _do_device_info(self) -> DeviceInfo:
        """Describe the device (called often: cache it)."""

    @abc.abstractmethod
    def _do_state(self) -> InstrumentStateSnapshot:
        """Read the instrument state (called with the lock held)."""

    @abc.abstractmethod
    def _do_set_beam(self, on: bool) -> None:
        """Switch the beam; the interlock is already checked."""

    @abc.abstractmethod
    def _do_pump(self, progress: Progress, cancel: CancelToken) -> None:
        """Pump down to ``pumped``; raise `Cancelled` when `cancel` is set."""

    @abc.abstractmethod
    def _do_vent(self, progress: Progress, cancel: CancelToken) -> None:
        """Vent to ``vented``; raise `Cancelled` when `cancel` is set."""

    @abc.abstractmethod
    def _do_move_stage(
        self, target: StagePose, progress: Progress, cancel: CancelToken
    ) -> StagePose:
        """Move to the checked absolute `target`; return the readback; stop and raise on cancel."""

    @abc.abstractmethod
    def _do_set_optics(self, settings: OpticsSettings) -> None:
        """Apply the checked non-None optics settings."""

    @abc.abstractmethod
    def _do_set_detector(self, settings: DetectorSettings) -> None:
        """Apply a resolved detector (mode and channel given) and an optional bit depth."""

    @abc.abstractmethod
    def _do_acquire(self, plan: ScanPlan, progress: Progress, cancel: CancelToken) -> ScanData:
        """Scan one frame as planned, reporting lines; stop and raise `Cancelled` on cancel."""

    @abc.abstractmethod
    def _do_safe_stop(self) -> None:
        """Stop scan and stage motion at once (long commands also see the stop event)."""

    @abc.abstractmethod
    def _do_snapshot(self) -> dict[str, Any]:
        """Return a JSON-able dict of everything `_do_restore` needs."""

    @abc.abstractmethod
    def _do_restore(self, data: dict[str, Any]) -> None:
        """Rebuild the state from `_do_snapshot`'s dict."""
