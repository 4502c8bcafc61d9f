"""The measured axes find_roi uses: read from /v1/device, applied to image offsets and angles."""

from __future__ import annotations

from typing import Any

import pytest

from semphony.roi._axes import Axes, axes_from_device
from semphony.roi._plan import Frame

MIRRORED = ((1.0, 0.0), (0.0, 1.0))
TURNED = ((0.0, -1.0), (-1.0, 0.0))


def test_without_a_calibration_the_default_convention_holds() -> None:
    axes = axes_from_device({"calibration": None})
    assert axes == Axes()
    assert axes.rotation_sense == 1.0
    assert axes.describe() is None
    assert Frame(raster=axes.raster).raster_um((2.0, 3.0), 0.5) == (1.0, -1.5)


def test_a_published_matrix_maps_image_offsets() -> None:
    axes = axes_from_device({"calibration": {"matrix": [list(r) for r in TURNED]}})
    assert axes.raster == TURNED
    frame = Frame(raster=axes.raster)
    assert frame.raster_um((2.0, 3.0), 0.5) == (-1.5, -1.0)
    assert frame.image_to_stage_um((2.0, 3.0), 0.5) == pytest.approx((-1.5, -1.0))
    assert axes.rotation_sense == 1.0  # a turn keeps the sense of rotation


def test_a_mirrored_image_turns_the_other_way() -> None:
    assert Axes(raster=MIRRORED).rotation_sense == -1.0
    assert Axes(raster=((1.0, 0.0), (0.0, -1.0))).rotation_sense == 1.0


@pytest.mark.parametrize(
    "calibration",
    [
        {"matrix": [[1.0, 0.0]]},
        {"matrix": [[1.0, 0.0], [0.0]]},
        {"matrix": [[1.0, 2.0], [0.5, 1.0]]},  # singular
        {"matrix": [[float("nan"), 0.0], [0.0, 1.0]]},
        "not a calibration",
    ],
)
def test_a_malformed_calibration_is_the_default(calibration: Any) -> None:
    assert axes_from_device({"calibration": calibration}) == Axes()
