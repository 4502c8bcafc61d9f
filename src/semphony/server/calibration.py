"""Axis calibration: how image x/y map to stage x/y, measured with known stage moves.

An instrument's image may be mirrored, turned or scaled against its stage, and the protocol does
not say how (Tescan's does not). So we measure it: a reference frame at the start pose, then a
frame after each of the moves ±x and ±y by a fraction of the field, each registered against the
reference (scikit-image's cross-correlation of band-passed, windowed frames, DESIGN.md's pitfall),
and the 2×2 matrix fitted by least squares.

The matrix ``M`` maps an image offset (pixels × pixel size in µm, x right, y down) to the column
offset in stage axes (µm) at zero scan rotation, stage rotation and tilt — the raster convention
`semphony.roi._plan.Frame` assumes to be ``diag(1, −1)``. A frame taken after the stage moved by
``s`` shows the reference's centre at offset ``o`` with ``M·o = −s``; the scan rotation ρ, stage
rotation r and tilt t at measuring time are factored out (``M = R(−ρ)·F(t)·R(r)·M_measured``,
``F(t)`` the tilt's foreshortening), so the matrix holds wherever they are later. The start pose is
restored at the end, and tried after a failure too (a cancel stops the stage where it is).
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skimage.filters import difference_of_gaussians, window
from skimage.registration import phase_cross_correlation

from semphony.server.drivers import Driver, Progress, ScanRequest, StagePose, StageTarget
from semphony.server.drivers.errors import Cancelled

__all__ = [
    "POOR_FIT_FRACTION",
    "AxisCalibration",
    "calibrate_axes",
    "decompose",
    "move_targets",
    "register",
]

# A fit whose residual exceeds this fraction of a move did not measure the axes (too little
# texture under the beam, a move that did not happen): it is refused, not stored.
POOR_FIT_FRACTION = 0.1

_MOVES = ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))


@dataclass(frozen=True)
class AxisCalibration:
    """A measured image-to-stage matrix, how well it fits, and how it was measured."""

    matrix: tuple[tuple[float, float], tuple[float, float]]
    residual_um: float
    fov_um: float
    step_um: float
    resolution: int
    moves: list[dict[str, float]] = field(default_factory=list)

    @property
    def poor(self) -> bool:
        """True when the fit is too poor to trust (`POOR_FIT_FRACTION`, or a singular matrix)."""
        (a, b), (c, d) = self.matrix
        singular = abs(a * d - b * c) < 1e-6
        return singular or not self.residual_um <= POOR_FIT_FRACTION * self.step_um

    def document(self, instrument: str) -> dict[str, Any]:
        """The JSON document stored and published (`AxisCalibration` in the contract)."""
        return {
            "instrument": instrument,
            "matrix": [list(row) for row in self.matrix],
            **decompose(self.matrix),
            "residual_um": self.residual_um,
            "fov_um": self.fov_um,
            "step_um": self.step_um,
            "resolution": self.resolution,
            "moves": self.moves,
        }


def decompose(matrix: tuple[tuple[float, float], tuple[float, float]]) -> dict[str, Any]:
    """Scale, mirroring and rotation of `matrix` against the default ``diag(1, −1)``."""
    m = np.asarray(matrix, dtype=np.float64)
    k = m @ np.diag([1.0, -1.0])  # the identity for the default convention
    det = float(np.linalg.det(k))
    mirrored = det < 0
    rot = k @ np.diag([1.0, -1.0]) if mirrored else k
    return {
        "scale": math.sqrt(abs(det)),
        "mirrored_y": mirrored,
        "rotation_deg": math.degrees(math.atan2(rot[1, 0], rot[0, 0])),
    }


def register(reference: NDArray[Any], moved: NDArray[Any]) -> tuple[float, float]:
    """Where the reference's centre appears in `moved`: (dx, dy) in pixels, x right, y down."""
    prepared = [_prepare(image) for image in (reference, moved)]
    shift, _, _ = phase_cross_correlation(  # type: ignore[no-untyped-call]
        prepared[0], prepared[1], upsample_factor=20, normalization=None
    )
    # `shift` registers `moved` onto `reference`; the content itself moved the other way.
    return -float(shift[1]), -float(shift[0])


def _prepare(image: NDArray[Any]) -> NDArray[np.float64]:
    pixels = np.asarray(image, dtype=np.float64)
    band = difference_of_gaussians(pixels, 1.0, max(pixels.shape) / 16)  # type: ignore[no-untyped-call]
    hann = window("hann", pixels.shape)  # type: ignore[no-untyped-call]
    return np.asarray(band * hann, dtype=np.float64)


def move_targets(pose: StagePose, step_um: float) -> list[StageTarget]:
    """The stage targets of the moves: ±x and ±y by `step_um` from `pose`."""
    return [
        StageTarget(x_mm=pose.x_mm + ux * step_um / 1000, y_mm=pose.y_mm + uy * step_um / 1000)
        for ux, uy in _MOVES
    ]


def _rot(deg: float) -> NDArray[np.float64]:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def calibrate_axes(
    driver: Driver,
    *,
    fov_um: float,
    step_fraction: float,
    resolution: int,
    progress: Progress,
    cancel: threading.Event,
) -> AxisCalibration:
    """Measure the matrix with moves of `step_fraction` × `fov_um` (see the module docstring)."""
    start = driver.state()
    pose = start.stage
    request = ScanRequest(fov_um=fov_um, resolution=(resolution, resolution))
    pixel_um = fov_um / resolution
    step_um = step_fraction * fov_um
    total = 1 + len(_MOVES)
    offsets: list[tuple[float, float]] = []
    stage_um: list[tuple[float, float]] = []
    try:
        reference = driver.acquire(request, cancel=cancel)
        progress(1, total)
        for i, target in enumerate(move_targets(pose, step_um), start=2):
            if cancel.is_set():
                raise Cancelled(f"calibration cancelled after {i - 2} of {len(_MOVES)} moves")
            driver.move_stage(target, cancel=cancel)
            frame = driver.acquire(request, cancel=cancel)
            # The readback is what the controller believes; the reference frame's readback too.
            moved = frame.stage
            sx = (moved.x_mm - reference.stage.x_mm) * 1000
            sy = (moved.y_mm - reference.stage.y_mm) * 1000
            dx, dy = register(reference.pixels, frame.pixels)
            offsets.append((dx * pixel_um, dy * pixel_um))
            stage_um.append((sx, sy))
            progress(i, total)
    except BaseException:
        if not cancel.is_set():
            # Put the stage back if it can still move; the first failure is the one to report.
            with contextlib.suppress(Exception):
                driver.move_stage(StageTarget(x_mm=pose.x_mm, y_mm=pose.y_mm))
        raise
    driver.move_stage(StageTarget(x_mm=pose.x_mm, y_mm=pose.y_mm))
    o = np.asarray(offsets)
    s = -np.asarray(stage_um)
    # M·o = −s for every move: solve oᵀ·Mᵀ = −sᵀ in the least-squares sense.
    fitted, *_ = np.linalg.lstsq(o, s, rcond=None)
    measured = fitted.T
    residual = float(np.sqrt(np.mean(np.sum((o @ measured.T - s) ** 2, axis=1))))
    tilt = np.diag([1.0, math.cos(math.radians(pose.t_deg))])
    intrinsic = _rot(-start.scan_rotation_deg) @ tilt @ _rot(pose.r_deg) @ measured
    (a, b), (c, d) = (float(v) for v in intrinsic[0]), (float(v) for v in intrinsic[1])
    return AxisCalibration(
        matrix=((a, b), (c, d)),
        residual_um=residual,
        fov_um=fov_um,
        step_um=step_um,
        resolution=resolution,
        moves=[
            {"stage_dx_um": sx, "stage_dy_um": sy, "image_dx_um": ox, "image_dy_um": oy}
            for (sx, sy), (ox, oy) in zip(stage_um, offsets, strict=True)
        ],
    )
