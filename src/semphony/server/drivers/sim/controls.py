"""The simulator-only commands: remount the specimen, inject faults, the detector's gamma.

Functions over a `SimInstrument`; `SimDriver` calls them with its wire lock held. A real detector's
gain and offset are normal detector commands (`Driver.set_detector`); the gamma of the simulated
detector response is the simulator's own.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from semphony.server.drivers.errors import RangeError
from semphony.server.drivers.sim.model import SimInstrument, rotate

__all__ = ["GAMMA_RANGE", "RELOAD_LIMITS", "armed_faults", "reload", "set_gamma"]

_SIM = "range.sim"
RELOAD_LIMITS = {
    "shift_x_um": 10000.0,
    "shift_y_um": 10000.0,
    "rotation_deg": 180.0,
    "height_um": 1000.0,
}
# A random remount: the surface lands within ±100 µm of its first height, tilted a little.
RANDOM_HEIGHT_UM = 100.0
RANDOM_TILT_DEG = 0.3
GAMMA_RANGE = (0.1, 10.0)


def reload(
    sim: SimInstrument,
    shift_x_um: float | None = None,
    shift_y_um: float | None = None,
    rotation_deg: float | None = None,
    height_um: float | None = None,
) -> None:
    """Remount the specimen: shift (µm) and rotate (degrees, about the holder centre, the stage
    origin) on top of the current placement; None draws a value from the seed (a shift of a few
    hundred µm, a rotation within ±3°).

    The surface's height (µm above where it was at first load) is not cumulative: each remount
    seats the specimen anew, so it is `height_um` or drawn within ±100 µm. The tilt (a fraction
    of a degree about each stage axis) is always drawn: no two mounts are quite level."""
    rng = np.random.default_rng([sim.seed, 31, sim.reloads])
    magnitude = rng.uniform(150.0, 500.0)
    angle = rng.uniform(0.0, 2 * math.pi)
    random_rot = rng.uniform(-3.0, 3.0)
    # Drawn after the older draws, so a seed's shifts and rotations stay what they were.
    random_height = rng.uniform(-RANDOM_HEIGHT_UM, RANDOM_HEIGHT_UM)
    tilt_x, tilt_y = rng.uniform(-RANDOM_TILT_DEG, RANDOM_TILT_DEG, size=2)
    values = {
        "shift_x_um": magnitude * math.cos(angle) if shift_x_um is None else shift_x_um,
        "shift_y_um": magnitude * math.sin(angle) if shift_y_um is None else shift_y_um,
        "rotation_deg": random_rot if rotation_deg is None else rotation_deg,
        "height_um": random_height if height_um is None else height_um,
    }
    for name, value in values.items():
        bound = RELOAD_LIMITS[name]
        if not (math.isfinite(value) and abs(value) <= bound):
            raise RangeError(_SIM, name, f"{name}={value!r} must be within ±{bound:g}")
    p = sim.placement
    dr = values["rotation_deg"]
    sx, sy = rotate(dr, p["shift_x_um"], p["shift_y_um"])
    sim.placement = {
        "shift_x_um": sx + values["shift_x_um"],
        "shift_y_um": sy + values["shift_y_um"],
        "rotation_deg": p["rotation_deg"] + dr,
        "height_um": values["height_um"],
        "tilt_x_deg": float(tilt_x),
        "tilt_y_deg": float(tilt_y),
    }
    sim.reloads += 1


def set_gamma(sim: SimInstrument, gamma: float) -> None:
    """Set the simulated detector response's gamma (output = clip(gain·s + offset) ** gamma)."""
    lo, hi = GAMMA_RANGE
    if not (isinstance(gamma, int | float) and math.isfinite(gamma) and lo <= gamma <= hi):
        raise RangeError(_SIM, "gamma", f"gamma={gamma!r} is outside [{lo:g}, {hi:g}]")
    sim.detector = replace(sim.detector, gamma=float(gamma))


def armed_faults(sim: SimInstrument) -> list[dict[str, Any]]:
    """Every armed fault, with its parameters."""
    return sim.faults.armed()
