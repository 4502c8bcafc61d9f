"""Real photographs and micrographs as specimens: the images scikit-image ships in its package.

The list was fixed before any run and includes bland images (the moon's maria, the retina's
smooth fundus, the near-empty Hubble deep field, a page of text on flat paper). Each image is a
specimen at ``PIXEL_UM`` per source pixel; a case's ROI spans 25 to 50 source pixels, its L0 is
``L0_SIDE_FRACTION`` of the image's shorter side (so L0, offset by up to 0.45 of itself, stays on
the image), rotations are up to 10° and offsets up to 0.45 of the L0 FOV.

Findability is fixed before the run too: the RMS of the detail finer than ``DETAIL_SIGMA_PX``
source pixels (the image scaled to [0, 1], minus its Gaussian blur) over the ROI's and the L0's
source patch, the smaller of the two. A case is findable when it reaches ``FINDABLE_DETAIL``: its
target is ≥ 95 % found; a case below must be refused or found right.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from benchmarks._reloc_cases import REAL, Case

__all__ = ["FINDABLE_DETAIL", "IMAGES", "PIXEL_UM", "image_path", "load", "real_cases"]

# File names in skimage.data's package folder (no download): name → file.
IMAGES = {
    "camera": "camera.png",
    "moon": "moon.png",  # bland: smooth maria
    "coins": "coins.png",
    "brick": "brick.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "cell": "cell.png",
    "retina": "retina.jpg",  # bland: a smooth fundus, dark outside the disc
    "hubble_deep_field": "hubble_deep_field.jpg",  # bland: a few faint galaxies on black
    "immunohistochemistry": "ihc.png",
    "page": "page.png",  # bland: text on flat paper, small
    "rocket": "rocket.jpg",
}
PIXEL_UM = 1.0
L0_SIDE_FRACTION = 0.4
ROI_SPAN_PX = (25.0, 50.0)
MIN_LEVEL_RATIO = 2.5  # L0 must be this much larger than the ROI for a coarse-to-fine search
DETAIL_SIGMA_PX = 4.0
FINDABLE_DETAIL = 0.03  # fixed before the first run; see the module docstring
_OFFSETS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.45)


def image_path(name: str) -> str:
    import skimage.data

    return str(Path(skimage.data.data_dir) / IMAGES[name])


def load(name: str) -> NDArray[np.float64]:
    """The image as the simulator reads it: grey (colour channels averaged), float."""
    from skimage import io

    pixels = np.asarray(io.imread(image_path(name)), dtype=np.float64)
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=-1)
    return pixels


def _detail(image: NDArray[np.float64], centre_px: tuple[float, float], side_px: float) -> float:
    """RMS of the fine detail in the square patch of `side_px` about `centre_px` (row, col)."""
    half = max(1, round(side_px / 2))
    r, c = round(centre_px[0]), round(centre_px[1])
    rows, cols = image.shape
    patch = image[max(0, r - half) : min(rows, r + half), max(0, c - half) : min(cols, c + half)]
    if patch.size < 4:
        return 0.0
    return float(np.sqrt(np.mean(patch**2)))


def findability(
    image: NDArray[np.float64], start_mm: tuple[float, float], roi_um: float, l0_um: float
) -> float:
    """The smaller fine-detail RMS of the ROI's and the L0's source patch (image in [0, 1])."""
    lo, hi = float(image.min()), float(image.max())
    unit = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    detail = unit - ndimage.gaussian_filter(unit, DETAIL_SIGMA_PX)
    rows, cols = image.shape
    # The simulator centres the image on the stage origin with row 0 at the top (+y up).
    col = start_mm[0] * 1000.0 / PIXEL_UM + cols / 2 - 0.5
    row = rows / 2 - start_mm[1] * 1000.0 / PIXEL_UM - 0.5
    return min(
        _detail(detail, (row, col), roi_um / PIXEL_UM),
        _detail(detail, (row, col), l0_um / PIXEL_UM),
    )


def real_cases(count: int, first_index: int, seed: int = 2027) -> list[Case]:
    """`count` cases spread evenly over `IMAGES`, seeded."""
    rng = np.random.default_rng(seed)
    names = list(IMAGES)
    cases = []
    for i in range(count):
        name = names[i % len(names)]
        image = load(name)
        side_px = min(image.shape)
        l0_um = L0_SIDE_FRACTION * side_px * PIXEL_UM
        span = float(rng.uniform(*ROI_SPAN_PX))
        roi_um = min(span * PIXEL_UM, l0_um / MIN_LEVEL_RATIO)
        levels: tuple[float, ...] = (roi_um, l0_um)
        if l0_um / roi_um > 6:
            levels = (roi_um, round(math.sqrt(roi_um * l0_um), 3), l0_um)
        # The saved centre keeps L0 and its remounted copy (≤ 0.45 L0 away) on the image.
        reach_um = max(0.0, 0.5 * side_px * PIXEL_UM - 0.5 * l0_um - 0.45 * l0_um) * 0.8
        x_um, y_um = rng.uniform(-reach_um, reach_um, 2)
        start = (float(x_um) / 1000.0, float(y_um) / 1000.0)
        cases.append(
            Case(
                index=first_index + i,
                regime=REAL,
                specimen=f"image:{name}",
                resolution=256,
                offset=float(rng.choice(_OFFSETS)),
                rotation_deg=float(rng.uniform(-10.0, 10.0)),
                noise="moderate",
                change="none",
                absent=False,
                seed=int(rng.integers(1 << 30)),
                levels_um=levels,
                start_mm=start,
                findability=round(findability(image, start, roi_um, l0_um), 5),
            )
        )
    return cases
