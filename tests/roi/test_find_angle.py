"""The angle a search carries: finer levels' shares of it, and the final image's own check."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from semphony.client import Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.roi import _find
from semphony.roi._angle import ACCEPT_ANGLE_DEG, REFINE_MAX_DEG, AngleEstimate
from semphony.roi._find import find_roi
from semphony.roi._save import save_roi

SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": 1500.0}


def test_a_tight_fit_is_taken_up_nearly_whole_and_a_loose_one_in_part() -> None:
    tight, loose = AngleEstimate(), AngleEstimate()
    assert tight.take_up(0.3, 0.005) == pytest.approx(0.3, rel=0.02)
    share = loose.take_up(0.3, 0.1)
    assert share is not None
    assert 0.1 < share < 0.2  # equal uncertainties: about half
    assert loose.variance < 0.1**2  # and the estimate is surer than before


def test_a_residual_beyond_what_a_finer_level_takes_up_is_left_alone() -> None:
    estimate = AngleEstimate()
    before = estimate.variance
    assert estimate.take_up(REFINE_MAX_DEG * 1.5, 0.01) is None
    assert estimate.variance == before


def _wrong_l0_angle(monkeypatch: pytest.MonkeyPatch, off_deg: float) -> None:
    """L0 latches an angle `off_deg` off and no finer level takes a residual up on the way."""
    register = _find._Finder._register

    def biased(self: Any, reference: Any, image: Any, **kwargs: Any) -> Any:
        reg = register(self, reference, image, **kwargs)
        if kwargs.get("search_rotation") and not kwargs.get("screen"):
            return dataclasses.replace(reg, rotation_deg=reg.rotation_deg + off_deg)
        return reg

    monkeypatch.setattr(_find._Finder, "_register", biased)
    monkeypatch.setattr(AngleEstimate, "take_up", lambda self, measured, error: None)


@pytest.mark.parametrize("checked", [True, False])
def test_an_accepted_match_is_upright_within_the_final_check(
    monkeypatch: pytest.MonkeyPatch, checked: bool
) -> None:
    _wrong_l0_angle(monkeypatch, 0.6)
    if not checked:  # without the final check the wrong angle is accepted as it is
        monkeypatch.setattr(_find, "ACCEPT_ANGLE_DEG", 90.0)
    with (
        Semphony.local(seed=7, specimen_kind="texture") as client,
        client.runs.create(name="angle").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        session.stage.move_to(x=0.3, y=-0.2)
        save_roi(
            session,
            RoiSpec(name="angle-site", **SPEC),
            AcquisitionConfig(resolution=(256, 256)),
            overwrite=True,
        )
        truth = client.simulator.reload(shift_x_um=150.0, shift_y_um=-80.0, rotation_deg=2.0)
        result = find_roi(session, "angle-site")
    assert result.found, result.metrics["reason"]
    error_deg = abs(result.metrics["rotation_deg"] - truth.rotation_deg)
    verified = [h for h in result.level_history if h["phase"] == "verify"]
    if checked:
        assert error_deg <= 0.2
        assert abs(verified[0]["angle_left_deg"]) > ACCEPT_ANGLE_DEG  # measured, turned,
        assert abs(verified[-1]["angle_left_deg"]) <= ACCEPT_ANGLE_DEG  # and verified again
    else:
        assert error_deg > 0.4


def test_the_focus_checks_image_is_the_first_image_of_its_level() -> None:
    with (
        Semphony.local(seed=3, specimen_kind="texture") as client,
        client.runs.create(name="reuse").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        save_roi(
            session,
            RoiSpec(name="reuse-site", **SPEC),
            AcquisitionConfig(resolution=(256, 256)),
            overwrite=True,
        )
        client.simulator.reload(shift_x_um=40.0, shift_y_um=30.0, rotation_deg=0.0)
        before = len(session.run.operations(kind="acquisition"))
        result = find_roi(session, "reuse-site")
        scans = len(session.run.operations(kind="acquisition")) - before
    assert result.found, result.metrics["reason"]
    assert result.metrics["autofocus"] is None
    assert result.metrics["focus_check_acquisitions"] == 2  # at L0 and at the ROI
    # Every scan is an image a level registered: the two focus checks cost none of their own.
    assert scans == result.metrics["acquisitions"] == len(result.level_history)
