"""`blur_excess_px2`: the blur an image shows beyond its reference's, whatever its noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from semphony.roi._focus import blur_excess_px2

SIDE = 256


def _specimen(seed: int) -> np.ndarray:
    """A texture with detail down to the pixel (white noise smoothed a little, plus blobs)."""
    rng = np.random.default_rng(seed)
    fine = ndimage.gaussian_filter(rng.standard_normal((SIDE + 64, SIDE + 64)), 0.7)
    coarse = ndimage.gaussian_filter(rng.standard_normal((SIDE + 64, SIDE + 64)), 6.0) * 8.0
    return np.asarray(100.0 + 20.0 * (fine + coarse), dtype=np.float64)


def _view(
    specimen: np.ndarray, dx: int, dy: int, sigma: float, noise: float, seed: int
) -> np.ndarray:
    """The field moved by (dx, dy) px, blurred by `sigma` px, with white noise of sd `noise`."""
    field = specimen[32 + dy : 32 + dy + SIDE, 32 + dx : 32 + dx + SIDE]
    blurred = ndimage.gaussian_filter(field, sigma) if sigma > 0 else field
    return blurred + np.random.default_rng(seed).normal(0.0, noise, blurred.shape)


@pytest.mark.parametrize("noise", [1.0, 8.0])
@pytest.mark.parametrize("sigma", [0.0, 1.0, 2.0])
def test_the_blur_beyond_the_reference_is_measured_at_any_noise(sigma: float, noise: float) -> None:
    specimen = _specimen(3)
    reference = _view(specimen, 0, 0, 0.0, 1.0, 1)
    # The field moved by (−5, +3) px: reference pixel p shows at image pixel p + (5, −3).
    image = _view(specimen, -5, 3, sigma, noise, 2)
    excess = blur_excess_px2(reference, image, (5.0, -3.0))
    assert excess is not None
    if sigma <= 1.0:
        assert excess == pytest.approx(sigma**2, abs=0.5)
    else:  # the high band empties as the blur grows: the figure falls short, far over the rule
        assert 2.5 < excess < 5.0


def test_an_unrelated_field_or_a_featureless_one_is_not_judged() -> None:
    reference = _view(_specimen(3), 0, 0, 0.0, 1.0, 1)
    assert blur_excess_px2(reference, _view(_specimen(4), 0, 0, 0.0, 1.0, 2), (0.0, 0.0)) is None
    flat = np.full((SIDE, SIDE), 50.0)
    assert blur_excess_px2(flat, flat, (0.0, 0.0)) is None
    assert blur_excess_px2(reference, reference, (SIDE - 8.0, 0.0)) is None  # no overlap left


def test_an_image_whose_detail_is_gone_is_infinitely_blurred() -> None:
    specimen = _specimen(3)
    reference = _view(specimen, 0, 0, 0.0, 1.0, 1)
    excess = blur_excess_px2(reference, _view(specimen, 0, 0, 12.0, 0.0, 2), (0.0, 0.0))
    assert excess is not None
    assert math.isinf(excess) or excess > 4.0


def test_a_contrast_inversion_is_judged_like_the_same_contrast() -> None:
    specimen = _specimen(3)
    reference = _view(specimen, 0, 0, 0.0, 1.0, 1)
    inverted = 400.0 - _view(specimen, 0, 0, 1.0, 1.0, 2)
    excess = blur_excess_px2(reference, inverted, (0.0, 0.0))
    assert excess == pytest.approx(1.0, abs=0.5)
