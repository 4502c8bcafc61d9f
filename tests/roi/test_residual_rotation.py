"""The small residual angle fitted to tile offsets, and the multi-candidate angle search."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from skimage.transform import rotate

from semphony.roi._synthetic import degrade, field, specimen
from semphony.roi.registration import register, register_rotation, residual_rotation_deg

Array = NDArray[np.float64]
SHAPE = (256, 256)
CENTRE = (512.0, 512.0)


@pytest.fixture(scope="module")
def texture() -> Array:
    return specimen(1024, seed=3)


def _turned(source: Array, angle_deg: float, *, seed: int, dose: float | None) -> Array:
    moved = field(
        source, centre_xy=(CENTRE[0] + 3.3, CENTRE[1] - 2.4), shape=SHAPE, rotation_deg=angle_deg
    )
    return degrade(moved, rng=np.random.default_rng(seed), dose=dose)


@pytest.mark.parametrize("angle_deg", [-0.2, -0.05, 0.0, 0.1, 0.25])
@pytest.mark.parametrize("dose", [None, 30.0])
def test_a_small_residual_angle_is_measured_with_its_sign(
    texture: Array, angle_deg: float, dose: float | None
) -> None:
    reference = field(texture, centre_xy=CENTRE, shape=SHAPE)
    moving = _turned(texture, angle_deg, seed=1, dose=dose)
    plain = register(reference, moving)

    fit = residual_rotation_deg(reference, moving, offset_px=plain.offset_px)

    assert fit is not None
    measured_deg, error_deg = fit
    assert measured_deg == pytest.approx(angle_deg, abs=0.01 + 0.15 * abs(angle_deg))
    assert 0.0 < error_deg < 0.05


def test_the_residual_angle_has_the_sense_of_skimage_rotate(texture: Array) -> None:
    reference = field(texture, centre_xy=CENTRE, shape=SHAPE)
    moving = rotate(reference, 0.3, order=3, mode="reflect", preserve_range=True)  # type: ignore[no-untyped-call]

    fit = residual_rotation_deg(reference, moving)

    assert fit is not None
    assert fit[0] == pytest.approx(0.3, abs=0.05)


def test_a_blank_image_gives_no_residual_angle(texture: Array) -> None:
    reference = field(texture, centre_xy=CENTRE, shape=SHAPE)

    assert residual_rotation_deg(reference, np.zeros(SHAPE)) is None


def test_images_of_different_shapes_get_no_residual_angle() -> None:
    with pytest.raises(ValueError, match="shape"):
        residual_rotation_deg(np.zeros((64, 64)), np.zeros((64, 80)))


@pytest.mark.parametrize("candidates", [0, -1, 2.5, True])
def test_a_bad_candidate_count_is_refused(candidates: object) -> None:
    with pytest.raises(ValueError, match="candidates"):
        register_rotation(np.zeros((64, 64)), np.zeros((64, 64)), candidates=candidates)  # type: ignore[arg-type]


def test_more_candidates_keep_a_first_angle_that_passes(texture: Array) -> None:
    reference = field(texture, centre_xy=CENTRE, shape=SHAPE)
    moving = _turned(texture, -7.0, seed=3, dose=30.0)

    one = register_rotation(reference, moving)
    three = register_rotation(reference, moving, candidates=3)

    assert one.passed
    assert three == one


def test_the_angle_candidates_are_the_highest_local_maxima_highest_first() -> None:
    from semphony.roi.registration import _peaks

    scores = np.array([1.0, 5.0, 2.0, 4.0, 3.0, 0.0, 6.0])

    assert _peaks(scores, 3) == [6, 1, 3]  # 3.0 at index 4 only shoulders the peak at index 3
    assert _peaks(scores, 1) == [6]
