"""Autofocus on the simulator: a WD sweep finds the remounted surface within the depth of field."""

from __future__ import annotations

import threading

import pytest

from semphony.server.drivers import Cancelled
from semphony.server.drivers.sim import SimDriver
from semphony.server.drivers.sim.optics import CONVERGENCE_RAD

FOV_UM = 40.0
PIXEL_UM = FOV_UM / 128  # the sweep's frames


def ready(seed: int) -> SimDriver:
    driver = SimDriver(seed=seed)
    driver.open()
    driver.pump()
    driver.set_beam(True)
    return driver


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_autofocus_finds_the_surface_within_the_depth_of_field(seed: int) -> None:
    driver = ready(seed)
    truth = driver.reload()  # a random remount: height within ±100 µm, a slight tilt
    target = truth["surface"]["in_focus_wd_mm"]
    steps: list[tuple[int, int]] = []
    result = driver.autofocus(fov_um=FOV_UM, progress=lambda d, t: steps.append((d, t)))
    # Depth of field: the WD range where the defocus blur stays under one pixel.
    depth_of_field_mm = PIXEL_UM / CONVERGENCE_RAD / 1000
    assert abs(result.working_distance_mm - target) < depth_of_field_mm
    assert driver.state().working_distance_mm == pytest.approx(result.working_distance_mm)
    assert result.method == "sweep"
    assert result.sharpness >= result.start_sharpness
    assert result.instrument_s > 0
    assert steps[-1][0] == steps[-1][1]


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15, 16])
def test_autofocus_on_the_periodic_specimen_lands_within_a_256_px_rois_depth_of_field(
    seed: int,
) -> None:
    # Scored over each frame's own variance, a frame blurred to shot noise scored highest here:
    # sweeps ran 250-420 µm off. Half the depth of field at 50 µm over 256 px is 39 µm.
    driver = SimDriver(seed=seed, specimen_kind="periodic")
    driver.open()
    driver.pump()
    driver.set_beam(True)
    truth = driver.reload()
    result = driver.autofocus(fov_um=50.0)
    half_depth_mm = 50.0 / 256 / CONVERGENCE_RAD / 1000
    assert abs(result.working_distance_mm - truth["surface"]["in_focus_wd_mm"]) < half_depth_mm


def test_a_cancelled_autofocus_stops_and_says_so() -> None:
    driver = ready(1)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        driver.autofocus(fov_um=FOV_UM, cancel=cancel)
