"""Autofocus by a working-distance sweep, for a driver without an autofocus of its own.

A coarse sweep of small frames around the current WD, each scored by a sharpness measure (the
variance of the Laplacian of a lightly smoothed frame), then finer sweeps around the vertex of a
parabola fitted to the frames near the best, fitted again after each. Only the driver's public
commands are used, so every frame and the final WD are checked and read back as any other
command's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from semphony.server.drivers.errors import Cancelled
from semphony.server.drivers.types import OpticsSettings, Progress, ScanRequest

if TYPE_CHECKING:
    from semphony.server.drivers.base import Driver

__all__ = ["FocusResult", "sharpness", "sweep_focus"]

_SIZE = 128  # small frames: focus shows at any size, and they cost little instrument time
_COARSE_STEPS = 13
_REFINE_ROUNDS = 2
_REFINE_STEPS = 5


@dataclass(frozen=True)
class FocusResult:
    """Where focus was found, how sharp it is there, what it cost, and how it was found."""

    working_distance_mm: float
    sharpness: float
    start_sharpness: float
    instrument_s: float
    frames: int
    method: str  # "sweep" (this module) or "instrument" (the instrument's own autofocus)


def sharpness(pixels: NDArray[np.generic]) -> float:
    """Variance of the Laplacian of the frame smoothed at 1 px (counts²).

    Not over the frame's variance: the frames of one sweep share gain and offset, and a frame
    blurred beyond recognition keeps only its shot noise, whose ratio to its own variance is
    higher than any real image's (measured: a sweep so scored ran 250-420 µm off focus on the
    periodic specimen). The noise adds the same to every frame, so the peak stays at focus.
    """
    image = np.asarray(pixels, dtype=np.float64)
    return float(np.var(ndimage.gaussian_laplace(image, 1.0)))


def sweep_focus(
    driver: Driver,
    *,
    fov_um: float,
    span_mm: float,
    progress: Progress,
    cancel: threading.Event,
) -> FocusResult:
    """Sweep the WD over ±`span_mm` around the current one at `fov_um`, refine, and set it."""
    lo_limit, hi_limit = driver.device_info().limits.working_distance_mm
    start = driver.state()
    clock0 = start.clock_s
    total = 1 + _COARSE_STEPS + _REFINE_ROUNDS * _REFINE_STEPS
    scores: dict[float, float] = {}

    def key(wd: float) -> float:
        return round(min(hi_limit, max(lo_limit, wd)), 6)

    def score(wd: float) -> float:
        wd = key(wd)
        if wd not in scores:
            if cancel.is_set():
                raise Cancelled(f"autofocus cancelled after {len(scores)} frames")
            request = ScanRequest(fov_um=fov_um, resolution=(_SIZE, _SIZE), working_distance_mm=wd)
            scores[wd] = sharpness(driver.acquire(request, cancel=cancel).pixels)
            progress(min(len(scores), total), total)
        return scores[wd]

    first = score(start.working_distance_mm)
    step = 2 * span_mm / (_COARSE_STEPS - 1)
    best = key(
        _smoothed_best(
            [start.working_distance_mm - span_mm + k * step for k in range(_COARSE_STEPS)], score
        )
    )
    found = _fitted_peak(scores, best, 2 * step)
    for _ in range(_REFINE_ROUNDS):
        step /= (_REFINE_STEPS - 1) / 2
        for k in range(_REFINE_STEPS):
            score(found + (k - (_REFINE_STEPS - 1) / 2) * step)
        found = _fitted_peak(scores, found, 2 * step)
    found = min(hi_limit, max(lo_limit, found))
    nearest = min(scores, key=lambda wd: abs(wd - found))  # its sharpness is the one reported
    after = driver.set_optics(OpticsSettings(working_distance_mm=found))
    progress(total, total)
    return FocusResult(
        working_distance_mm=after.working_distance_mm,
        sharpness=scores[nearest],
        start_sharpness=first,
        instrument_s=after.clock_s - clock0,
        frames=len(scores),
        method="sweep",
    )


def _smoothed_best(wds: list[float], score: Callable[[float], float]) -> float:
    """The WD of `wds` (evenly spaced) whose score, smoothed over its neighbours (1-2-1), is the
    highest: one frame's noise does not pick it (measured on the sparse specimen, where a sweep's
    scores vary by under a tenth: raw maxima sent the WD 140-310 µm off focus)."""
    values = np.array([score(wd) for wd in wds])
    padded = np.concatenate([values[:1], values, values[-1:]])
    smooth = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4
    return wds[int(np.argmax(smooth))]


def _fitted_peak(scores: dict[float, float], centre: float, half_width: float) -> float:
    """The vertex of the parabola fitted (least squares) to every score within `half_width` of
    `centre`: many frames average the noise one frame's score carries; `centre` when they do not
    make a peak there."""
    near = [(wd, value) for wd, value in scores.items() if abs(wd - centre) <= half_width + 1e-9]
    if len(near) < 3:
        return centre
    wds = np.array([wd for wd, _ in near]) - centre
    values = np.array([value for _, value in near])
    a, b, _ = np.polyfit(wds, values, 2)
    if a >= 0:
        return centre
    vertex = -b / (2 * a)
    return centre + float(vertex) if abs(vertex) <= half_width else centre
