"""A remount changes the specimen's height and tilt: the image defocuses until the WD follows."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import ndimage

from semphony.server.drivers import RangeError, ScanRequest
from semphony.server.drivers.sim import SimDriver
from semphony.server.drivers.sim.controls import RANDOM_HEIGHT_UM, RANDOM_TILT_DEG

FOV_UM = 40.0
SIZE = 256


def ready(seed: int = 3) -> SimDriver:
    driver = SimDriver(seed=seed)
    driver.open()
    driver.pump()
    driver.set_beam(True)
    return driver


def sharpness(pixels: NDArray[np.generic]) -> float:
    image = pixels.astype(np.float64)
    return float(np.var(ndimage.gaussian_laplace(image, 1.0)) / np.var(image))


def frame(driver: SimDriver, wd_mm: float | None = None) -> NDArray[np.generic]:
    request = ScanRequest(
        fov_um=FOV_UM, resolution=(SIZE, SIZE), dwell_time_us=8.0, working_distance_mm=wd_mm
    )
    return driver.acquire(request).pixels


def test_a_higher_surface_defocuses_the_image_until_the_wd_follows_it() -> None:
    driver = ready()
    sharp = sharpness(frame(driver))
    truth = driver.reload(shift_x_um=0.0, shift_y_um=0.0, rotation_deg=0.0, height_um=100.0)
    assert truth["placement"]["height_um"] == 100.0
    assert abs(truth["placement"]["tilt_x_deg"]) <= RANDOM_TILT_DEG
    blurred = sharpness(frame(driver))
    assert blurred < 0.5 * sharp
    # At the stage origin the tilt adds nothing: the surface is 0.1 mm nearer the pole piece.
    focus = truth["surface"]["in_focus_wd_mm"]
    assert focus == pytest.approx(driver.state().working_distance_mm - 0.1)
    assert sharpness(frame(driver, focus)) == pytest.approx(sharp, rel=0.1)


def test_a_random_remount_draws_its_height_within_100_um_and_is_not_cumulative() -> None:
    driver = ready()
    heights = [driver.reload()["placement"]["height_um"] for _ in range(8)]
    assert all(abs(h) <= RANDOM_HEIGHT_UM for h in heights)
    assert len(set(heights)) == len(heights)
    assert driver.truth()["placement"]["height_um"] == heights[-1]


def test_a_height_outside_the_range_is_refused_naming_the_field() -> None:
    driver = ready()
    with pytest.raises(RangeError, match="height_um"):
        driver.reload(height_um=5000.0)
    assert driver.truth()["placement"]["reloads"] == 0


def test_a_snapshot_keeps_the_height() -> None:
    driver = ready()
    driver.reload(height_um=-42.0)
    copy = SimDriver(seed=3)
    copy.open()
    copy.restore(driver.snapshot())
    assert copy.truth()["placement"]["height_um"] == -42.0
