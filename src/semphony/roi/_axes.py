"""The instrument's measured axes, as `find_roi` uses them.

`GET /v1/device` publishes the axis calibration `semphony calibrate` stored (``calibration``):
the matrix ``M`` that maps an image offset (pixels × pixel size, x right, y down) to the raster
offset along the stage axes at zero scan rotation, stage rotation and tilt. Without one,
`find_roi` assumes the simulator's convention ``diag(1, −1)``; on an instrument whose image is
mirrored or turned against its stage, moves then go the wrong way and the search fails (it says
so in `FindRoiResult.metrics["axis_calibration"]`).

A mirrored image also turns the other way: a specimen turned counter-clockwise appears turned
clockwise, so an angle measured in the image is negated before the scan (or stage) rotation takes
it up (`Axes.rotation_sense`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from semphony.roi._plan import Matrix

__all__ = ["Axes", "axes_from_device"]


@dataclass(frozen=True)
class Axes:
    """The calibrated matrix (None: the default convention) and the image's rotation sense."""

    raster: Matrix | None = None

    @property
    def rotation_sense(self) -> float:
        """+1 when an image angle is the specimen's, −1 when the image is mirrored."""
        if self.raster is None:
            return 1.0
        (a, b), (c, d) = self.raster
        # The default diag(1, −1) has determinant −1; a mirrored convention flips the sign.
        return 1.0 if a * d - b * c < 0 else -1.0

    def describe(self) -> str | None:
        """What `find_roi` reports: the matrix it used, or None without a calibration."""
        if self.raster is None:
            return None
        return "measured " + str([[round(v, 4) for v in row] for row in self.raster])


def axes_from_device(device: Mapping[str, Any]) -> Axes:
    """The axes a `GET /v1/device` document (as a dict) publishes; a missing or malformed
    calibration is the default convention."""
    calibration = device.get("calibration")
    matrix = calibration.get("matrix") if isinstance(calibration, Mapping) else None
    if not (isinstance(matrix, list | tuple) and len(matrix) == 2):
        return Axes()
    rows: list[tuple[float, float]] = []
    for row in matrix:
        if not (isinstance(row, list | tuple) and len(row) == 2):
            return Axes()
        values = tuple(float(v) for v in row)
        if not all(math.isfinite(v) for v in values):
            return Axes()
        rows.append((values[0], values[1]))
    (a, b), (c, d) = rows
    if abs(a * d - b * c) < 1e-9:  # a singular matrix maps no image offset to a move
        return Axes()
    return Axes(raster=(rows[0], rows[1]))
