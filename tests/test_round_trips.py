"""`to_dict()` / `from_dict()` on the guardrail classes and the state types, round-tripping, as
the documentation page says every configuration class has them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from semphony._state import DetectorState, InstrumentState, StagePose
from semphony._types import DeviceInfo, SimTruth
from semphony.guardrails import (
    ChamberBeamGuardrail,
    ImagingGuardrails,
    StageAbsoluteLimits,
    StageRelativeLimits,
)
from tests.test_guardrails import wire_state

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
ranges = st.tuples(finite, finite).map(lambda p: (min(p), max(p)))
percent = st.floats(min_value=0, max_value=1e4, allow_nan=False)


@given(st.booleans(), st.booleans(), st.booleans())
def test_a_chamber_beam_guardrail_round_trips(vacuum: bool, vent: bool, scan: bool) -> None:
    rule = ChamberBeamGuardrail(
        require_vacuum_for_beam=vacuum,
        require_beam_off_for_vent=vent,
        require_beam_on_for_scan=scan,
    )
    doc = rule.to_dict()
    assert doc == {
        "require_vacuum_for_beam": vacuum,
        "require_beam_off_for_vent": vent,
        "require_beam_on_for_scan": scan,
    }
    assert ChamberBeamGuardrail.from_dict(json.loads(json.dumps(doc))) == rule


@given(st.one_of(st.none(), ranges), st.one_of(st.none(), ranges), st.one_of(st.none(), ranges))
def test_absolute_limits_round_trip_through_json(
    x: tuple[float, float] | None, y: tuple[float, float] | None, r: tuple[float, float] | None
) -> None:
    limits = StageAbsoluteLimits(x=x, y=y, r=r)
    assert StageAbsoluteLimits.from_dict(json.loads(json.dumps(limits.to_dict()))) == limits


@given(st.one_of(st.none(), percent), st.one_of(st.none(), percent))
def test_relative_limits_round_trip(x_pct: float | None, r_max_deg: float | None) -> None:
    limits = StageRelativeLimits(x_pct=x_pct, r_max_deg=r_max_deg)
    assert StageRelativeLimits.from_dict(limits.to_dict()) == limits


def test_imaging_guardrails_round_trip_and_keep_an_off_part_off() -> None:
    seed = ImagingGuardrails(
        chamber_beam=ChamberBeamGuardrail(),
        stage_absolute=StageAbsoluteLimits(x=(-50.0, 50.0), y=(-50.0, 50.0)),
        stage_relative=StageRelativeLimits(x_pct=200, y_pct=200, r_max_deg=5),
    )
    doc = json.loads(json.dumps(seed.to_dict()))
    assert doc["stage_absolute"]["x"] == [-50.0, 50.0]
    assert ImagingGuardrails.from_dict(doc) == seed
    none = ImagingGuardrails.none()
    assert ImagingGuardrails.from_dict(none.to_dict()) == none
    assert ImagingGuardrails.from_dict({}) == ImagingGuardrails()  # the safe default


def test_a_misspelt_guardrail_setting_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="x_pc"):
        StageRelativeLimits.from_dict({"x_pc": 200})
    with pytest.raises(ValueError, match="chamber_bream"):
        ImagingGuardrails.from_dict({"chamber_bream": {}})


def test_guardrails_with_your_own_rule_are_not_written_as_a_dict() -> None:
    class NoTilt:
        def check(self, command: Any, state: Any) -> None:
            return None

    with pytest.raises(ValueError, match="NoTilt"):
        ImagingGuardrails(rules=(NoTilt(),)).to_dict()


def test_the_state_types_round_trip_through_json_keeping_unknown_keys() -> None:
    state = InstrumentState.from_dict(wire_state(future_field={"a": 1}))
    doc = json.loads(json.dumps(state.to_dict()))
    assert doc["future_field"] == {"a": 1}
    assert InstrumentState.from_dict(doc) == state
    pose = StagePose(x_mm=1.0, y_mm=2.0, z_mm=3.0, r_deg=4.0, t_deg=5.0)
    assert StagePose.from_dict(pose.to_dict()) == pose
    detector = state.detector
    assert DetectorState.from_dict(detector.to_dict()) == detector


def test_a_stage_pose_reads_as_units_not_a_repr() -> None:
    pose = StagePose(x_mm=0.01, y_mm=0.0, z_mm=45.0, r_deg=0.0, t_deg=0.0)
    assert str(pose) == "x 0.0100 mm, y 0.0000 mm, z 45.0000 mm, r 0.00°, t 0.00°"


def test_typed_answers_still_read_by_key_for_scripts_written_against_dicts() -> None:
    truth = SimTruth.from_dict(
        {
            "shift_x_um": 1.0,
            "shift_y_um": 2.0,
            "rotation_deg": 3.0,
            "centre_x_mm": 0.0,
            "centre_y_mm": 0.0,
            "specimen_kind": "texture",
            "seed": 7,
            "reloads": 1,
            "stage_true": {"x_mm": 1.0, "y_mm": 2.0, "z_mm": 3.0, "r_deg": 4.0, "t_deg": 5.0},
        }
    )
    assert truth["shift_x_um"] == truth.shift_x_um == 1.0
    assert truth["stage_true"]["r_deg"] == 4.0
    with pytest.raises(KeyError):
        truth["no_such_field"]
    assert issubclass(DeviceInfo, type(truth).__mro__[1])
