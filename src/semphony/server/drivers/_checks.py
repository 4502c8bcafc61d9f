"""The checks every driver shares: pure functions of the device's description and its state.

The `Driver` base calls them once per command, with the one state read that command made; a refusal
raises before anything is sent to the instrument.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from semphony.server.drivers.errors import InterlockError, RangeError
from semphony.server.drivers.types import (
    STAGE_AXES,
    DetectorSettings,
    DeviceInfo,
    InstrumentStateSnapshot,
    Limits,
    OpticsSettings,
    ScanPlan,
    ScanRequest,
    StagePose,
    StageTarget,
)

__all__ = [
    "check_beam",
    "check_bit_depth",
    "check_optics",
    "check_vent",
    "finite",
    "plan_scan",
    "resolve_detector",
    "resolve_detector_settings",
    "resolve_move",
    "within",
]

_OPTICS_UNITS = {
    "fov_um": "µm",
    "working_distance_mm": "mm",
    "scan_rotation_deg": "°",
    "hv_kv": "kV",
    "beam_current_na": "nA",
}


def finite(name: str, value: float, reason: str) -> float:
    """`value` as a float, or a `RangeError` naming `name` when it is not a finite number."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise RangeError(reason, name, f"{name}={value!r} must be a finite number")
    return float(value)


def within(name: str, value: float, bounds: tuple[float, float], unit: str, reason: str) -> None:
    """Refuse `value` outside the inclusive `bounds`, naming the value, the limits and the unit."""
    lo, hi = bounds
    if not lo <= value <= hi:
        raise RangeError(
            reason, name, f"{name}={value:g} is outside the allowed range [{lo:g}, {hi:g}] {unit}"
        )


def check_beam(on: bool, state: InstrumentStateSnapshot) -> None:
    """Refuse switching the beam on without vacuum (off is always allowed)."""
    if on and state.vacuum != "pumped":
        raise InterlockError(
            "interlock.vacuum_required", f"the beam needs vacuum; the chamber is {state.vacuum}"
        )


def check_vent(state: InstrumentStateSnapshot) -> None:
    """Refuse venting with the beam on."""
    if state.beam_on:
        raise InterlockError(
            "interlock.beam_must_be_off", "switch the beam off before venting the chamber"
        )


def resolve_move(target: StageTarget, state: InstrumentStateSnapshot, limits: Limits) -> StagePose:
    """The absolute pose `target` asks for (relative moves from this read), or a refusal."""
    current = state.stage
    values: dict[str, float] = {}
    for axis in STAGE_AXES:
        raw = getattr(target, axis)
        now = float(getattr(current, axis))
        if raw is None:
            values[axis] = now
            continue
        value = finite(axis, raw, "range.stage_travel")
        values[axis] = now + value if target.relative else value
    for axis in STAGE_AXES:
        unit = "mm" if axis.endswith("_mm") else "°"
        within(axis, values[axis], getattr(limits, axis), unit, "range.stage_travel")
    z_max = limits.z_max_mm(values["t_deg"])
    if values["z_mm"] > z_max:
        raise RangeError(
            "range.stage_clearance",
            "z_mm",
            f"z_mm={values['z_mm']:g} at t_deg={values['t_deg']:g} is above the pole-piece "
            f"clearance limit z_max({values['t_deg']:g}°)={z_max:g} mm",
        )
    return StagePose(
        x_mm=values["x_mm"],
        y_mm=values["y_mm"],
        z_mm=values["z_mm"],
        r_deg=values["r_deg"],
        t_deg=values["t_deg"],
    )


def check_optics(settings: OpticsSettings, limits: Limits, reason: str = "range.optics") -> None:
    """Refuse optics values outside the device's limits."""
    for name, unit in _OPTICS_UNITS.items():
        raw = getattr(settings, name)
        if raw is not None:
            within(name, finite(name, raw, reason), getattr(limits, name), unit, reason)
    for name in ("beam_shift_x_um", "beam_shift_y_um"):
        raw = getattr(settings, name)
        if raw is not None:
            within(name, finite(name, raw, reason), limits.beam_shift_um, "µm", reason)


def check_bit_depth(bit_depth: int, limits: Limits, reason: str) -> None:
    """Refuse a bit depth the detectors do not offer."""
    if bit_depth not in limits.bit_depths:
        raise RangeError(
            reason, "bit_depth", f"bit_depth={bit_depth!r} is not one of {list(limits.bit_depths)}"
        )


def resolve_detector(
    info: DeviceInfo,
    state: InstrumentStateSnapshot,
    mode: str | None,
    detector_mode: str | None,
    channel: int | None,
    reason: str,
    channel_field: str = "detector_channel",
) -> tuple[str, int]:
    """The detector named by mode and/or channel; the current one when neither is given.

    `channel_field` is what the request calls the channel (refusals name it)."""
    detectors = info.detectors
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
                channel_field,
                f"{channel_field}={channel!r} is not one of {[d.channel for d in detectors]}",
            )
    if by_mode is not None and by_channel is not None and by_mode != by_channel:
        raise RangeError(
            reason,
            channel_field,
            f"{channel_field}={channel} is the {by_channel.mode} detector, not {wanted}",
        )
    chosen = by_mode or by_channel
    if chosen is None:
        return state.detector.mode, state.detector.channel
    return chosen.mode, chosen.channel


def plan_scan(info: DeviceInfo, state: InstrumentStateSnapshot, request: ScanRequest) -> ScanPlan:
    """Check every acquisition value and resolve defaults, snapping the dwell to the table."""
    limits = info.limits
    reason = "range.acquisition"
    given = {f.name for f in dataclasses.fields(request) if getattr(request, f.name) is not None}
    honoured = set(info.honoured_fields)
    ignored = tuple(
        f.name for f in dataclasses.fields(request) if f.name in given and f.name not in honoured
    )

    def use(name: str) -> bool:
        return name in given and name in honoured

    fov_um = state.fov_um
    if use("fov_um"):
        fov_um = finite("fov_um", request.fov_um, reason)  # type: ignore[arg-type]
        within("fov_um", fov_um, limits.fov_um, "µm", reason)
    resolution = _resolution(request, info, use("resolution"), reason)
    index = _speed_index(request, info, use("scan_speed_index"), use("dwell_time_us"), reason)
    mode, channel = (state.detector.mode, state.detector.channel)
    if any(use(n) for n in ("mode", "detector_mode", "detector_channel")):
        mode, channel = resolve_detector(
            info,
            state,
            request.mode if use("mode") else None,
            request.detector_mode if use("detector_mode") else None,
            request.detector_channel if use("detector_channel") else None,
            reason,
        )
    wd_mm = state.working_distance_mm
    if use("working_distance_mm"):
        wd_mm = finite("working_distance_mm", request.working_distance_mm, reason)  # type: ignore[arg-type]
        within("working_distance_mm", wd_mm, limits.working_distance_mm, "mm", reason)
    bit_depth = state.detector.bit_depth
    if use("bit_depth"):
        bit_depth = request.bit_depth  # type: ignore[assignment]
        check_bit_depth(bit_depth, limits, reason)
    return ScanPlan(
        fov_um=fov_um,
        resolution=resolution,
        dwell_time_us=info.scan_speeds_us[index],
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


def _resolution(request: ScanRequest, info: DeviceInfo, use: bool, reason: str) -> tuple[int, int]:
    if not use:
        return info.default_resolution
    assert request.resolution is not None
    if len(request.resolution) != 2:
        raise RangeError(reason, "resolution", "resolution must be (width, height)")
    for value in request.resolution:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise RangeError(reason, "resolution", f"resolution={value!r} must be integers")
        within("resolution", int(value), info.limits.resolution, "pixels", reason)
    return int(request.resolution[0]), int(request.resolution[1])


def _speed_index(
    request: ScanRequest, info: DeviceInfo, use_index: bool, use_dwell: bool, reason: str
) -> int:
    speeds = info.scan_speeds_us
    if use_index:
        index = request.scan_speed_index
        if isinstance(index, bool) or index is None or not 0 <= index < len(speeds):
            raise RangeError(
                reason,
                "scan_speed_index",
                f"scan_speed_index={index!r} is outside the speed table [0, {len(speeds) - 1}]",
            )
        return index
    if use_dwell:
        dwell = finite("dwell_time_us", request.dwell_time_us, reason)  # type: ignore[arg-type]
        lo, hi = min(speeds), max(speeds)
        if not lo * (1 - 1e-9) <= dwell <= hi * (1 + 1e-9):
            raise RangeError(
                reason,
                "dwell_time_us",
                f"dwell_time_us={dwell:g} is outside the scan-speed table [{lo:g}, {hi:g}] µs",
            )
        # Nearest step; a tie goes to the shorter dwell (the first in table order).
        return min(range(len(speeds)), key=lambda i: (abs(speeds[i] - dwell), speeds[i]))
    return info.default_scan_speed_index


def resolve_detector_settings(
    info: DeviceInfo, settings: DetectorSettings, state: InstrumentStateSnapshot
) -> DetectorSettings:
    """A detector change with mode and channel resolved, or a refusal naming the field."""
    mode, channel = resolve_detector(
        info, state, settings.mode, None, settings.channel, "range.detector", "channel"
    )
    if settings.bit_depth is not None:
        check_bit_depth(settings.bit_depth, info.limits, "range.detector")
    for name, bounds in (
        ("gain", info.limits.detector_gain),
        ("offset", info.limits.detector_offset),
    ):
        value = getattr(settings, name)
        if value is not None:
            within(name, finite(name, value, "range.detector"), bounds, "", "range.detector")
    return DetectorSettings(mode, channel, settings.bit_depth, settings.gain, settings.offset)
