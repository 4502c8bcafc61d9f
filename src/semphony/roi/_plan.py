"""Axis conventions and move planning for ROI relocation: image offsets to stage and beam shift.

The conventions are those `GET /v1/device` publishes and the simulator implements:

- an image offset ``(dx, dy)`` in pixels (x right, y down, as `registration` reports it) is the
  raster offset ``q = (dx·p, −dy·p)`` µm with y pointing up (image rows run along stage −y), or
  ``q = M·(dx·p, dy·p)`` where the instrument's axes were measured (`semphony calibrate`, the
  matrix ``M`` of `semphony.roi._axes`);
- the scan rotation ρ turns the raster counter-clockwise, so raster offset ``q`` lands at the
  column offset ``d = R(ρ)·q + b``, ``b`` being the beam shift;
- tilt t about stage x foreshortens y: ``d' = (d_x, d_y / cos t)``;
- the stage rotation r turns the specimen counter-clockwise about the optical axis, so the point
  seen at column offset ``d'`` lies at stage position ``S + R(−r)·d'``, S the stage's x/y.

So a feature that appears at image offset ``q`` is brought under the beam by the stage move
``R(−r)·T·R(ρ)·q`` or by the beam shift change ``R(ρ)·q``; and an image that shows the reference
turned counter-clockwise by α is made upright by raising the scan rotation by α or by lowering
the stage rotation by α.

Moves are planned as relative steps that each respect the session's relative limits, and every
x/y move ends with an approach in +x and +y (an axis that must go back overshoots and returns), so
the stage's backlash always lands the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Frame",
    "Matrix",
    "Step",
    "grid_offsets",
    "plan_rotation",
    "plan_xy",
    "rotate",
]


Matrix = tuple[tuple[float, float], tuple[float, float]]


def rotate(x: float, y: float, angle_deg: float) -> tuple[float, float]:
    """The vector ``(x, y)`` turned counter-clockwise by ``angle_deg`` (y pointing up)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return c * x - s * y, s * x + c * y


@dataclass(frozen=True)
class Frame:
    """How the image's axes sit on the stage's: stage rotation, scan rotation and tilt (degrees)."""

    r_deg: float = 0.0
    scan_rotation_deg: float = 0.0
    t_deg: float = 0.0
    raster: Matrix | None = None  # the calibrated image-to-raster matrix; None: diag(1, −1)

    def raster_um(self, offset_px: tuple[float, float], pixel_um: float) -> tuple[float, float]:
        """An image offset in pixels (y down) as a raster offset in µm (y up)."""
        x, y = offset_px[0] * pixel_um, offset_px[1] * pixel_um
        if self.raster is None:
            return x, -y
        (a, b), (c, d) = self.raster
        return a * x + b * y, c * x + d * y

    def column_to_stage_um(self, dx_um: float, dy_um: float) -> tuple[float, float]:
        """A column offset (beam-shift axes, µm) as the stage offset that reaches the same point."""
        foreshortened = dy_um / math.cos(math.radians(self.t_deg))
        return rotate(dx_um, foreshortened, -self.r_deg)

    def stage_to_column_um(self, dx_um: float, dy_um: float) -> tuple[float, float]:
        """A stage offset (µm) as the column offset (beam-shift axes) reaching the same point."""
        x, y = rotate(dx_um, dy_um, self.r_deg)
        return x, y * math.cos(math.radians(self.t_deg))

    def image_to_column_um(
        self, offset_px: tuple[float, float], pixel_um: float
    ) -> tuple[float, float]:
        """The beam-shift change (µm) that centres what appears at ``offset_px`` from the centre."""
        qx, qy = self.raster_um(offset_px, pixel_um)
        return rotate(qx, qy, self.scan_rotation_deg)

    def image_to_stage_um(
        self, offset_px: tuple[float, float], pixel_um: float
    ) -> tuple[float, float]:
        """The stage move (µm) that centres what appears at ``offset_px`` from the image centre."""
        return self.column_to_stage_um(*self.image_to_column_um(offset_px, pixel_um))


_NEGLIGIBLE_MM = 1e-9


@dataclass(frozen=True)
class Step:
    """One relative stage move: x and y in mm."""

    dx_mm: float
    dy_mm: float


def _split(dx: float, dy: float, max_x: float | None, max_y: float | None) -> list[Step]:
    """A straight move cut into equal steps, each within the per-axis maxima."""
    parts = 1
    for delta, limit in ((dx, max_x), (dy, max_y)):
        if limit is None or delta == 0.0:
            continue
        if limit <= 0.0:
            raise ValueError(
                f"a stage move of {delta:g} mm is needed, but the relative limit allows "
                f"{limit:g} mm per move"
            )
        # A hair under the limit so the rounding of a sum of steps never exceeds it.
        parts = max(parts, math.ceil(abs(delta) / (limit * (1.0 - 1e-9))))
    return [Step(dx / parts, dy / parts) for _ in range(parts)]


def plan_xy(
    dx_mm: float,
    dy_mm: float,
    *,
    max_x_mm: float | None = None,
    max_y_mm: float | None = None,
    approach_mm: float = 0.0,
) -> list[Step]:
    """Relative steps that travel ``(dx_mm, dy_mm)`` within the per-move limits.

    With ``approach_mm > 0`` every moved axis arrives travelling in the + direction: an axis that
    must go back overshoots by ``approach_mm`` and comes back. The steps sum to the move; an axis
    moved by less than a picometre is not moved.
    """
    for name, value in (("dx_mm", dx_mm), ("dy_mm", dy_mm), ("approach_mm", approach_mm)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if approach_mm < 0:
        raise ValueError(f"approach_mm must be >= 0, got {approach_mm!r}")
    # Below a picometre a move is no move (a subnormal share of a split step would vanish).
    dx_mm = 0.0 if abs(dx_mm) < _NEGLIGIBLE_MM else dx_mm
    dy_mm = 0.0 if abs(dy_mm) < _NEGLIGIBLE_MM else dy_mm
    over_x = approach_mm if dx_mm < 0 else 0.0
    over_y = approach_mm if dy_mm < 0 else 0.0
    steps = _split(dx_mm - over_x, dy_mm - over_y, max_x_mm, max_y_mm)
    if over_x or over_y:
        steps += _split(over_x, over_y, max_x_mm, max_y_mm)
    return [s for s in steps if s.dx_mm != 0.0 or s.dy_mm != 0.0]


def plan_rotation(delta_deg: float, max_step_deg: float | None) -> list[float]:
    """A rotation cut into equal steps of at most ``max_step_deg`` degrees."""
    if delta_deg == 0.0:
        return []
    if max_step_deg is None:
        return [delta_deg]
    if max_step_deg <= 0.0:
        raise ValueError(
            f"a rotation of {delta_deg:g} deg is needed, but the relative limit allows "
            f"{max_step_deg:g} deg per move"
        )
    parts = max(1, math.ceil(abs(delta_deg) / (max_step_deg * (1.0 - 1e-9))))
    return [delta_deg / parts] * parts


def grid_offsets(ring: int) -> list[tuple[int, int]]:
    """The cells of one square ring around the centre (ring 1: the 8 neighbours), nearest first."""
    if ring < 1:
        raise ValueError(f"ring must be >= 1, got {ring}")
    cells = [
        (i, j)
        for i in range(-ring, ring + 1)
        for j in range(-ring, ring + 1)
        if max(abs(i), abs(j)) == ring
    ]
    return sorted(cells, key=lambda c: (math.hypot(*c), c))
