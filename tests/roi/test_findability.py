"""Findability: a distinctive reference stands far above its neighbours, a bland one does not."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import ndimage

from semphony._records import RoiLevelRecord
from semphony.roi import FINDABILITY_THRESHOLD, LowFindabilityWarning
from semphony.roi._findability import bland_levels, findability, refusal_note, warn_if_bland

Array = NDArray[np.float64]


def _overview(kind: str) -> Array:
    """A 384 px coarser level (150 µm) whose centre third is the 50 µm reference's field."""
    rng = np.random.default_rng(3)
    if kind == "texture":
        return np.asarray(ndimage.gaussian_filter(rng.normal(size=(384, 384)), 3), np.float64)
    y, x = np.mgrid[0:384, 0:384]
    return np.asarray(
        np.sin(x / 3.0) + np.sin(y / 5.0) + rng.normal(size=x.shape) * 0.1, np.float64
    )


def _figure(kind: str) -> float:
    coarser = _overview(kind)
    reference = np.asarray(np.kron(coarser[128:256, 128:256], np.ones((2, 2))), np.float64)
    return findability(reference, fov_um=50.0, coarser=coarser, coarser_fov_um=150.0)


def test_a_textured_reference_is_findable() -> None:
    assert _figure("texture") > 2 * FINDABILITY_THRESHOLD


def test_a_repeating_reference_is_no_more_distinct_than_its_neighbours() -> None:
    assert _figure("periodic") < FINDABILITY_THRESHOLD


def test_a_flat_frame_has_no_findability() -> None:
    assert findability(np.full((256, 256), 0.5)) < FINDABILITY_THRESHOLD


def test_a_bland_level_warns_naming_the_level_and_figure() -> None:
    with pytest.warns(LowFindabilityWarning, match=r"level l1 has findability 1\.20"):
        warning = warn_if_bland("l1", 1.2)
    assert warning is not None
    assert (warning.level, warning.figure) == ("l1", 1.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_if_bland("l1", FINDABILITY_THRESHOLD) is None


def test_the_refusal_note_names_only_the_bland_levels() -> None:
    def level(name: str, figure: float | None) -> RoiLevelRecord:
        return RoiLevelRecord(name, 50.0, "img", "c", findability=figure)  # type: ignore[arg-type]

    levels = [level("roi", 1.5), level("l2", 40.0), level("l0", None)]
    assert [lv.level for lv in bland_levels(levels)] == ["roi"]
    assert "low findability (roi 1.50" in refusal_note(levels)
    assert refusal_note(levels[1:]) == ""


def test_findability_survives_the_wire_form() -> None:
    level = RoiLevelRecord("l1", 300.0, "img", "c", findability=7.25)
    assert RoiLevelRecord.from_dict(level.to_dict()).findability == 7.25
