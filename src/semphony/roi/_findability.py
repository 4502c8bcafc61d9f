"""Findability at save time: how far a level's reference stands above copies of other places.

A level is findable when its match with itself (shifted a few pixels, turned 1° and its finest
detail replaced by fresh noise, as a reload leaves it) stands well above its best match with the
places one field away (crops of the next coarser level). The figure is self-evidence /
max(neighbour evidence, 1), in the registration's evidence units (1 is the unrelated-place null
ceiling, see `semphony.roi._confidence`), so a level without a coarser one is judged against
that ceiling.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.transform import resize, rotate

from semphony._records import RoiLevelRecord
from semphony.roi.registration import register

__all__ = [
    "FINDABILITY_THRESHOLD",
    "LowFindabilityWarning",
    "bland_levels",
    "findability",
    "refusal_note",
    "warn_if_bland",
]

Array = NDArray[np.float64]

FINDABILITY_THRESHOLD = 3.0
"""A level whose findability is below this is too bland to be found reliably (`find_roi`'s gate
sits at evidence 1.5, so a self-match under three times the best neighbour leaves no margin)."""

_SELF_SHIFT_PX = 3.0
_SELF_ROTATION_DEG = 1.0
_MIN_SIDE_PX = 32
_DENOISE_PX = 2.0


class LowFindabilityWarning(UserWarning):
    """A saved level is too bland to be found again; `level` and `figure` say which and how."""

    def __init__(self, level: str, figure: float) -> None:
        self.level = level
        self.figure = figure
        super().__init__(
            f"ROI level {level} has findability {figure:.2f} (below {FINDABILITY_THRESHOLD:g}): "
            "its reference barely stands above its neighbours, so find_roi may refuse it"
        )


def _evidence(reference: Array, moving: Array, rotation_deg: float = 0.0) -> float:
    """The registration's evidence (PSR · agreement over the null ceiling of its size)."""
    try:
        return register(reference, moving, rotation_deg=rotation_deg).evidence
    except ValueError:  # too small or degenerate to register: no evidence either way
        return 0.0


def _neighbours(
    reference: Array, coarser: Array, fov_um: float, coarser_fov_um: float
) -> list[Array]:
    """Crops of `coarser` one field left, right, above and below the reference's field."""
    rows, cols = coarser.shape
    side = fov_um / coarser_fov_um * cols  # the reference's field in coarser pixels
    crops: list[Array] = []
    if side < _MIN_SIDE_PX / 2:
        return crops
    half = side / 2.0
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        cy, cx = rows / 2.0 + dy * side, cols / 2.0 + dx * side
        y0, x0 = math.floor(cy - half), math.floor(cx - half)
        y1, x1 = y0 + math.ceil(side), x0 + math.ceil(side)
        if y0 < 0 or x0 < 0 or y1 > rows or x1 > cols:
            continue
        crop = resize(  # type: ignore[no-untyped-call]
            coarser[y0:y1, x0:x1], reference.shape, preserve_range=True
        )
        crops.append(np.asarray(crop, dtype=np.float64))
    return crops


def findability(
    reference: Array,
    *,
    fov_um: float | None = None,
    coarser: Array | None = None,
    coarser_fov_um: float | None = None,
) -> float:
    """Self-evidence over the best neighbour's (floored at the null ceiling 1)."""
    image = np.asarray(reference, dtype=np.float64)
    moved = rotate(  # type: ignore[no-untyped-call]
        ndimage.shift(image, (_SELF_SHIFT_PX, _SELF_SHIFT_PX), mode="nearest"),
        _SELF_ROTATION_DEG,
        mode="edge",
        preserve_range=True,
    )
    # A fresh acquisition has fresh noise: without it a flat frame matches its own noise. What a
    # blur of _DENOISE_PX removes is taken as noise and replaced by fresh noise of the same spread.
    smooth = ndimage.gaussian_filter(moved, _DENOISE_PX)
    spread = float(np.std(moved - smooth))
    moved = smooth + np.random.default_rng(0).normal(0.0, spread, image.shape)
    own = _evidence(image, moved, _SELF_ROTATION_DEG)
    neighbour = 1.0
    if coarser is not None and fov_um is not None and coarser_fov_um is not None:
        for crop in _neighbours(image, np.asarray(coarser, np.float64), fov_um, coarser_fov_um):
            neighbour = max(neighbour, _evidence(image, crop))
    return own / neighbour


def warn_if_bland(level: str, figure: float) -> LowFindabilityWarning | None:
    """Emit (and return) a `LowFindabilityWarning` when `figure` is below the threshold."""
    if figure >= FINDABILITY_THRESHOLD:
        return None
    warning = LowFindabilityWarning(level, figure)
    warnings.warn(warning, stacklevel=3)
    return warning


def bland_levels(levels: Sequence[RoiLevelRecord]) -> list[RoiLevelRecord]:
    """The saved levels whose findability was below the threshold."""
    return [
        lv for lv in levels if lv.findability is not None and lv.findability < FINDABILITY_THRESHOLD
    ]


def refusal_note(levels: Sequence[RoiLevelRecord]) -> str:
    """What a refusal adds about bland levels ("" when none is)."""
    bland = bland_levels(levels)
    if not bland:
        return ""
    named = ", ".join(f"{lv.level} {lv.findability:.2f}" for lv in bland)
    return (
        f"; the ROI was saved with low findability ({named}, below "
        f"{FINDABILITY_THRESHOLD:g}): too bland to be found reliably"
    )
