"""The sim driver with another instrument's axis convention: images mirrored or turned."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from semphony.server.drivers import ScanRequest
from semphony.server.drivers.axes import AxisConvention, transform
from semphony.server.drivers.sim import SimDriver
from semphony.server.drivers.sim.factory import from_settings
from semphony.server.serve import add_serve_arguments, build_settings


def _ready(driver: SimDriver) -> SimDriver:
    driver.open()
    driver.pump()
    driver.set_beam(True)
    return driver


@pytest.mark.parametrize(("mirror_y", "turn"), [(True, 0), (False, 90), (True, 270), (False, 180)])
def test_an_image_is_the_default_image_mirrored_and_turned(mirror_y: bool, turn: int) -> None:
    plain = _ready(SimDriver(seed=3))
    other = _ready(SimDriver(seed=3, axes=AxisConvention(mirror_y, turn)))
    width, height, fov_um = 96, 64, 120.0
    turned = turn in (90, 270)
    expected_request = (
        ScanRequest(fov_um=fov_um * height / width, resolution=(height, width))
        if turned
        else ScanRequest(fov_um=fov_um, resolution=(width, height))
    )
    expected = transform(plain.acquire(expected_request).pixels, mirror_y, turn)
    image = other.acquire(ScanRequest(fov_um=fov_um, resolution=(width, height))).pixels
    assert image.shape == (height, width)
    assert np.array_equal(image, expected)


def test_the_default_convention_leaves_images_alone() -> None:
    plain = _ready(SimDriver(seed=4))
    same = _ready(SimDriver(seed=4, axes=AxisConvention()))
    request = ScanRequest(fov_um=50.0, resolution=(64, 48))
    assert np.array_equal(plain.acquire(request).pixels, same.acquire(request).pixels)


def test_device_info_names_the_image_axes_of_a_mirrored_simulator() -> None:
    mirrored = SimDriver(axes=AxisConvention(mirror_y=True))
    mirrored.open()
    conventions = mirrored.device_info().conventions
    assert conventions["image_x_axis"] == "+x"
    assert conventions["image_y_axis"] == "+y"
    assert conventions["mirror_y"] == "true"
    plain = SimDriver()
    plain.open()
    default = plain.device_info().conventions
    assert "image_y_axis" not in default
    assert default["image_y"].startswith("stage -y")


def test_a_turn_that_is_not_a_quarter_is_refused() -> None:
    with pytest.raises(ValueError, match="scan_turn_deg=45"):
        AxisConvention(scan_turn_deg=45)


def test_serve_options_reach_the_sim_driver() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    args = parser.parse_args(["--sim-mirror-y", "--sim-scan-turn", "90", "--data-dir", "d"])
    driver = from_settings(build_settings(args))
    assert driver.axes == AxisConvention(mirror_y=True, scan_turn_deg=90)
    with pytest.raises(SystemExit):
        parser.parse_args(["--sim-scan-turn", "45"])


def test_the_instrument_name_and_a_sim_option_for_another_driver(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    args = parser.parse_args(["--instrument", "vega-2", "--data-dir", str(tmp_path)])
    assert build_settings(args).instrument == "vega-2"
    with pytest.raises(ValueError, match="instrument"):
        build_settings(parser.parse_args(["--instrument", "no spaces", "--data-dir", "d"]))
    tescan = parser.parse_args(["--driver", "tescan", "--sim-mirror-y", "--data-dir", "d"])
    with pytest.raises(ValueError, match="only the sim driver"):
        build_settings(tescan)
