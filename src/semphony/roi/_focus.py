"""Is an image after a remount out of focus? Two measures and the refocus rules.

- `sharpness`, for the first L0 image (not yet registered): the variance of the Laplacian over
  the image's variance. Shot noise inflates it, so it only catches a defocus gross enough to
  blur the coarsest level (`needs_refocus`).
- `blur_excess_px2`, for an image registered on its reference: how much more blurred it is
  (σ² in pixels²), read from the cross-spectrum of the aligned overlap. The noise of the image
  does not correlate with the reference, so it does not count; measured on the simulator: in
  focus 0.1-0.9 px² at any noise, a one-pixel defocus blur 1.0-1.8 px² (σ² = 1.05).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["BLUR_REFOCUS_PX2", "REFOCUS_RATIO", "blur_excess_px2", "needs_refocus", "sharpness"]

# Refocus when the first L0 image is clearly less sharp than its reference: noise alone moves the
# measure by a few per cent between two frames of one field, a defocus of a pixel's blur halves it.
REFOCUS_RATIO = 0.7
BLUR_REFOCUS_PX2 = 1.0
"""Refocus when the finest level's image is blurred by a σ of a pixel more than its reference:
the depth of field is where the defocus blur stays under one pixel."""

# Two bands of spatial frequency (cycles per pixel): the low one holds signal at any defocus that
# still registers, the high one loses it first. Beyond 0.5 (the corners of the spectrum) a
# sampled reference holds only its own noise, which is subtracted from its power.
_LOW_BAND = (0.02, 0.06)
_HIGH_BAND = (0.1, 0.2)
_NOISE_FLOOR_FROM = 0.5
_MIN_OVERLAP_PX = 32
_VANISHED = 1e-3  # the high band's transfer under this: blurred beyond measure
# The low band of two views of one field correlates far above this; unrelated fields, about 0.
_MIN_COHERENCE = 0.2


def sharpness(image: NDArray[np.generic]) -> float:
    """Variance of the Laplacian of the image smoothed at 1 px, over the image's variance (so
    gain and offset do not count, and shot noise counts little)."""
    pixels = np.asarray(image, dtype=np.float64)
    spread = float(pixels.var())
    return float(ndimage.gaussian_laplace(pixels, 1.0).var() / spread) if spread > 0 else 0.0


def needs_refocus(image: NDArray[np.generic], reference: NDArray[np.generic]) -> bool:
    """True when `image` is clearly less sharp than `reference` (the same field, the same size)."""
    return sharpness(image) < REFOCUS_RATIO * sharpness(reference)


def blur_excess_px2(
    reference: NDArray[np.generic], image: NDArray[np.generic], offset_px: tuple[float, float]
) -> float | None:
    """σ² (px²) of the Gaussian blur `image` shows beyond `reference`'s, where `image` shows the
    reference's content moved by `offset_px` (a `Registration`'s); `math.inf` when its fine
    detail is gone, None when the overlap is too small or holds too little signal to tell.

    With Gaussian blurs the transfer between the two falls as exp(−2π²·Δσ²·f²): the ratio of the
    cross-spectrum to the reference's power, in a high band over a low one, gives Δσ².
    """
    ref = np.asarray(reference, dtype=np.float64)
    img = np.asarray(image, dtype=np.float64)
    rows, cols = ref.shape
    ix, iy = round(offset_px[0]), round(offset_px[1])
    fx, fy = offset_px[0] - ix, offset_px[1] - iy
    r0, r1 = max(0, -iy), min(rows, rows - iy)
    c0, c1 = max(0, -ix), min(cols, cols - ix)
    if min(r1 - r0, c1 - c0) < _MIN_OVERLAP_PX:
        return None
    a = ref[r0:r1, c0:c1]
    b = img[r0 + iy : r1 + iy, c0 + ix : c1 + ix]
    weights = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    spec_a = np.fft.fft2((a - a.mean()) * weights)
    spec_b = np.fft.fft2((b - b.mean()) * weights)
    ky = np.fft.fftfreq(a.shape[0])[:, None]
    kx = np.fft.fftfreq(a.shape[1])[None, :]
    # The integer part of the offset is cropped away; the fraction is a phase ramp, undone here.
    cross = np.real(spec_b * np.conj(spec_a) * np.exp(2j * np.pi * (kx * fx + ky * fy)))
    power = np.abs(spec_a) ** 2
    freq = np.hypot(kx, ky)
    noise = float(np.median(power[freq > _NOISE_FLOOR_FROM]))
    low_band = (freq >= _LOW_BAND[0]) & (freq < _LOW_BAND[1])
    coherence = abs(float(cross[low_band].sum())) / math.sqrt(
        float(power[low_band].sum()) * float((np.abs(spec_b[low_band]) ** 2).sum()) or math.inf
    )
    if coherence < _MIN_COHERENCE:
        return None  # the coarse detail does not correlate: not the same field
    transfer: list[float] = []
    mean_f2: list[float] = []
    for low, high in (_LOW_BAND, _HIGH_BAND):
        band = (freq >= low) & (freq < high)
        signal = float(power[band].sum()) - noise * int(band.sum())
        if signal <= 0.0:
            return None
        transfer.append(float(cross[band].sum()) / signal)
        mean_f2.append(float(np.average(freq[band] ** 2, weights=power[band])))
    ratio = transfer[1] / transfer[0]  # a contrast inversion (SE against BSE) flips both
    if ratio <= _VANISHED:
        return math.inf
    return -math.log(ratio) / (2.0 * math.pi**2 * (mean_f2[1] - mean_f2[0]))
