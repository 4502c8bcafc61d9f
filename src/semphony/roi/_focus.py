"""Is the first image after a remount out of focus? A sharpness measure and the refocus rule."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["REFOCUS_RATIO", "needs_refocus", "sharpness"]

# Refocus when the first L0 image is clearly less sharp than its reference: noise alone moves the
# measure by a few per cent between two frames of one field, a defocus of a pixel's blur halves it.
REFOCUS_RATIO = 0.7


def sharpness(image: NDArray[np.generic]) -> float:
    """Variance of the Laplacian of the image smoothed at 1 px, over the image's variance (so
    gain and offset do not count, and shot noise counts little)."""
    pixels = np.asarray(image, dtype=np.float64)
    spread = float(pixels.var())
    return float(ndimage.gaussian_laplace(pixels, 1.0).var() / spread) if spread > 0 else 0.0


def needs_refocus(image: NDArray[np.generic], reference: NDArray[np.generic]) -> bool:
    """True when `image` is clearly less sharp than `reference` (the same field, the same size)."""
    return sharpness(image) < REFOCUS_RATIO * sharpness(reference)
