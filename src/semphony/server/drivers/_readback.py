"""Verifying by reading back: the instrument accepted a command, but did it do it?

A real instrument fails quietly (SharkSEM clamps out-of-range values and ignores moves it cannot
make), so after every command with an effect the `Driver` base reads the state back and compares;
a difference is a `DeviceMismatchError` that says what was asked and what is there.
"""

from __future__ import annotations

import math

from semphony.server.drivers.errors import DeviceMismatchError
from semphony.server.drivers.types import (
    STAGE_AXES,
    DetectorSettings,
    InstrumentStateSnapshot,
    OpticsSettings,
    StagePose,
)

__all__ = ["verify_detector", "verify_optics", "verify_stage"]

_OPTICS_FIELDS = (
    "fov_um",
    "working_distance_mm",
    "scan_rotation_deg",
    "beam_shift_x_um",
    "beam_shift_y_um",
    "hv_kv",
    "beam_current_na",
)


def verify_stage(target: StagePose, after: StagePose, tolerance: float) -> None:
    """Refuse a readback further than `tolerance` (mm or degrees) from the target on any axis."""
    off = [
        f"{axis}={getattr(after, axis):.6g} (asked {getattr(target, axis):.6g})"
        for axis in STAGE_AXES
        if abs(getattr(after, axis) - getattr(target, axis)) > tolerance
    ]
    if off:
        raise DeviceMismatchError(
            "the stage did not reach the target: it reads back " + ", ".join(off)
        )


def verify_optics(
    asked: OpticsSettings, after: InstrumentStateSnapshot, relative_tolerance: float
) -> None:
    """Refuse optics that read back otherwise than asked (a column that limited them)."""
    off = []
    for name in _OPTICS_FIELDS:
        want = getattr(asked, name)
        if want is None:
            continue
        got = float(getattr(after, name))
        if not math.isclose(got, want, rel_tol=relative_tolerance, abs_tol=1e-9):
            off.append(f"{name} reads back {got:.6g} after setting {want:.6g}")
    if off:
        raise DeviceMismatchError(
            "the instrument did not apply the optics as asked: "
            + "; ".join(off)
            + " (the column limited it)"
        )


def verify_detector(asked: DetectorSettings, after: InstrumentStateSnapshot) -> None:
    """Refuse a detector that reads back otherwise than asked."""
    got = after.detector
    off = []
    for name, want in (
        ("mode", asked.mode),
        ("channel", asked.channel),
        ("bit_depth", asked.bit_depth),
        ("gain", asked.gain),
        ("offset", asked.offset),
    ):
        if want is None:
            continue
        have = getattr(got, name)
        if name in ("gain", "offset"):
            same = math.isclose(float(have), float(want), abs_tol=1e-9)
        else:
            same = str(have).upper() == str(want).upper()
        if not same:
            off.append(f"{name} is {have!r}, not {want!r}")
    if off:
        raise DeviceMismatchError("the detector did not change as asked: " + "; ".join(off))
