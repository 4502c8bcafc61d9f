"""Guardrails: each rule allows and refuses at its bounds, construction refuses bad limits, and
the composition, default and opt-out behave as DESIGN.md settles."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from semphony._exceptions import SemphonyApiError, SemphonyGuardrailException
from semphony._state import (
    AXES,
    AcquireCommand,
    Axis,
    BeamCommand,
    ChamberCommand,
    Command,
    InstrumentState,
    OpticsCommand,
    StageMoveCommand,
    StagePose,
)
from semphony.guardrails import (
    ChamberBeamGuardrail,
    GuardrailViolation,
    ImagingGuardrails,
    StageAbsoluteLimits,
    StageRelativeLimits,
)

VACUUM_STATES = ("vented", "pumping", "pumped", "venting", "error")
AXIS_FIELD = {"x": "x_mm", "y": "y_mm", "z": "z_mm", "r": "r_deg", "t": "t_deg"}
REL_FIELD = {"x": "x_pct", "y": "y_pct", "z": "z_pct", "r": "r_max_deg", "t": "t_max_deg"}


def wire_state(**overrides: Any) -> dict[str, Any]:
    """A `GET /v1/state` body as WIRE.md describes it, with some fields replaced."""
    body: dict[str, Any] = {
        "vacuum": "pumped",
        "beam_on": True,
        "hv_kv": 15.0,
        "beam_current_na": 0.5,
        "stage": {"x_mm": 0.0, "y_mm": 0.0, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0},
        "fov_um": 100.0,
        "working_distance_mm": 10.0,
        "scan_rotation_deg": 0.0,
        "beam_shift_x_um": 0.0,
        "beam_shift_y_um": 0.0,
        "detector": {
            "mode": "SE",
            "channel": 0,
            "gain": 1.0,
            "offset": 0.0,
            "gamma": 1.0,
            "bit_depth": 8,
        },
        "clock_s": 12.5,
        "lease": {"session_id": "s1", "holder": "alice", "expires_at": "2030-01-01T00:00:00Z"},
        "active_operation_id": None,
    }
    body.update(overrides)
    return body


def state(pose: dict[str, float] | None = None, **overrides: Any) -> InstrumentState:
    stage = {"x_mm": 0.0, "y_mm": 0.0, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0} | (pose or {})
    return InstrumentState.from_dict(wire_state(stage=stage, **overrides))


def move(axis: Axis, value: float, *, relative: bool = False) -> StageMoveCommand:
    return StageMoveCommand(**{AXIS_FIELD[axis]: value}, relative=relative)


def refused_type(
    guardrails: ImagingGuardrails, command: Command, st_: InstrumentState
) -> str | None:
    """The guardrail_type that refuses `command`, None if it is allowed (through `check`)."""
    try:
        guardrails.check(command, st_)
    except SemphonyGuardrailException as e:
        return e.guardrail_type
    return None


def near(value: Fraction, bound: Fraction) -> bool:
    """Within a hair of a bound, where float rounding (and the rule's tolerance) decides."""
    return abs(value - bound) <= Fraction(1, 10**6) * max(Fraction(1), abs(bound))


finite = st.floats(min_value=-100.0, max_value=100.0, allow_nan=False, allow_infinity=False)
axes = st.sampled_from(AXES)


# --- the state and command views -------------------------------------------------------------


def test_state_parses_the_wire_shape_and_keeps_unknown_keys() -> None:
    s = InstrumentState.from_dict(wire_state(vacuum="pumped", future_field={"a": 1}))
    assert s.pumped
    assert not s.vented
    assert s.stage == StagePose.from_dict(
        {"x_mm": 0.0, "y_mm": 0.0, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0}
    )
    assert s.detector.mode == "SE"
    assert s.lease_holder == "alice"
    assert not s.busy
    assert s.model_extra == {"future_field": {"a": 1}}


def test_state_accepts_a_vacuum_value_a_newer_server_adds() -> None:
    s = InstrumentState.from_dict(wire_state(vacuum="load_lock"))
    assert s.vacuum == "load_lock"
    assert not s.pumped


def test_state_without_a_lease_or_operation_parses() -> None:
    s = InstrumentState.from_dict(wire_state(lease=None, active_operation_id="op9"))
    assert s.lease_holder is None
    assert s.busy


def test_state_missing_a_field_names_it() -> None:
    body = wire_state()
    del body["fov_um"]
    with pytest.raises(ValidationError) as info:
        InstrumentState.from_dict(body)
    assert info.value.errors()[0]["loc"] == ("fov_um",)


def test_state_is_frozen() -> None:
    s = state()
    with pytest.raises(ValidationError):
        s.beam_on = False  # type: ignore[misc]


@given(
    current=st.tuples(finite, finite, finite, finite, finite),
    values=st.tuples(*(st.none() | finite for _ in AXES)),
    relative=st.booleans(),
)
def test_move_target_and_delta_agree_for_move_to_and_move_by(
    current: tuple[float, ...], values: tuple[float | None, ...], relative: bool
) -> None:
    pose = StagePose(**dict(zip(AXIS_FIELD.values(), current, strict=True)))
    cmd = StageMoveCommand(**dict(zip(AXIS_FIELD.values(), values, strict=True)), relative=relative)
    target = cmd.target(pose)
    delta = cmd.delta(pose)
    assert set(delta) == {a for a, v in zip(AXES, values, strict=True) if v is not None}
    for axis, value, now in zip(AXES, values, current, strict=True):
        if value is None:
            assert target.axis(axis) == now
        elif relative:
            assert delta[axis] == value
            assert target.axis(axis) == now + value
        else:
            assert target.axis(axis) == value
            assert delta[axis] == value - now


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_move_to_a_non_finite_value_is_refused_at_construction(bad: float) -> None:
    with pytest.raises(ValueError, match="x_mm"):
        StageMoveCommand(x_mm=bad)


def test_a_boolean_is_not_a_stage_position() -> None:
    with pytest.raises(TypeError, match="y_mm"):
        StageMoveCommand(y_mm=True)


def test_optics_command_refuses_nan_naming_the_field() -> None:
    with pytest.raises(ValueError, match="fov_um"):
        OpticsCommand(fov_um=math.nan)


def test_chamber_command_refuses_an_unknown_action() -> None:
    with pytest.raises(ValueError, match="action"):
        ChamberCommand("flood")  # type: ignore[arg-type]


# --- chamber and beam ------------------------------------------------------------------------


@pytest.mark.parametrize("vacuum", [v for v in VACUUM_STATES if v != "pumped"])
def test_beam_on_without_vacuum_is_refused(vacuum: str) -> None:
    s = state(vacuum=vacuum, beam_on=False)
    with pytest.raises(SemphonyGuardrailException) as info:
        ImagingGuardrails().check(BeamCommand(on=True), s)
    e = info.value
    assert e.guardrail_type == "chamber_beam.require_vacuum_for_beam"
    assert e.details == {"requested": "beam on", "limit": "pumped", "current": vacuum, "unit": None}
    assert "chamber_beam.require_vacuum_for_beam" in str(e)
    assert vacuum in str(e)


def test_beam_on_with_the_chamber_pumped_is_allowed() -> None:
    ImagingGuardrails().check(BeamCommand(on=True), state(vacuum="pumped", beam_on=False))


def test_vent_with_beam_on_is_refused() -> None:
    assert (
        refused_type(ImagingGuardrails(), ChamberCommand("vent"), state(beam_on=True))
        == "chamber_beam.require_beam_off_for_vent"
    )


def test_vent_with_beam_off_is_allowed() -> None:
    ImagingGuardrails().check(ChamberCommand("vent"), state(beam_on=False))


def test_acquisition_with_beam_off_is_refused() -> None:
    assert (
        refused_type(ImagingGuardrails(), AcquireCommand(config=None), state(beam_on=False))
        == "chamber_beam.require_beam_on_for_scan"
    )


def test_acquisition_with_beam_on_is_allowed() -> None:
    ImagingGuardrails().check(AcquireCommand(config=None), state(beam_on=True))


@dataclass(frozen=True)
class _Flags:
    vacuum_for_beam: bool
    beam_off_for_vent: bool
    beam_on_for_scan: bool


chamber_commands = st.sampled_from(
    [
        BeamCommand(on=True),
        BeamCommand(on=False),
        ChamberCommand("pump"),
        ChamberCommand("vent"),
        AcquireCommand(config=None),
        OpticsCommand(fov_um=50.0),
    ]
)


@given(
    command=chamber_commands,
    vacuum=st.sampled_from(VACUUM_STATES),
    beam_on=st.booleans(),
    flags=st.builds(_Flags, st.booleans(), st.booleans(), st.booleans()),
)
def test_chamber_beam_refuses_exactly_what_its_enabled_rules_forbid(
    command: Command, vacuum: str, beam_on: bool, flags: _Flags
) -> None:
    rule = ChamberBeamGuardrail(
        require_vacuum_for_beam=flags.vacuum_for_beam,
        require_beam_off_for_vent=flags.beam_off_for_vent,
        require_beam_on_for_scan=flags.beam_on_for_scan,
    )
    expected: str | None = None
    if command == BeamCommand(on=True) and flags.vacuum_for_beam and vacuum != "pumped":
        expected = "chamber_beam.require_vacuum_for_beam"
    if command == ChamberCommand("vent") and flags.beam_off_for_vent and beam_on:
        expected = "chamber_beam.require_beam_off_for_vent"
    if isinstance(command, AcquireCommand) and flags.beam_on_for_scan and not beam_on:
        expected = "chamber_beam.require_beam_on_for_scan"
    found = rule.check(command, state(vacuum=vacuum, beam_on=beam_on))
    assert (found.guardrail_type if found else None) == expected


@given(vacuum=st.sampled_from(VACUUM_STATES), beam_on=st.booleans())
def test_pumping_and_beam_off_are_always_allowed(vacuum: str, beam_on: bool) -> None:
    s = state(vacuum=vacuum, beam_on=beam_on)
    ImagingGuardrails().check(ChamberCommand("pump"), s)
    ImagingGuardrails().check(BeamCommand(on=False), s)


# --- absolute stage limits -------------------------------------------------------------------


@pytest.mark.parametrize("axis", AXES)
def test_an_absolute_limit_allows_its_bounds_and_refuses_beyond(axis: Axis) -> None:
    g = ImagingGuardrails(stage_absolute=StageAbsoluteLimits(**{axis: (-5.0, 7.5)}))
    s = state()
    for ok in (-5.0, 7.5, 0.0):
        assert refused_type(g, move(axis, ok), s) is None
    for bad in (-5.001, 7.501, 1e6):
        assert refused_type(g, move(axis, bad), s) == f"stage_absolute.{axis}"


def test_an_absolute_limit_judges_the_target_of_a_move_by() -> None:
    g = ImagingGuardrails(stage_absolute=StageAbsoluteLimits(x=(-50.0, 50.0)))
    s = state({"x_mm": 49.0})
    assert refused_type(g, move("x", 1.0, relative=True), s) is None
    with pytest.raises(SemphonyGuardrailException) as info:
        g.check(move("x", 2.0, relative=True), s)
    d = info.value.details
    assert (d["requested"], d["limit"], d["current"], d["unit"]) == (
        51.0,
        (-50.0, 50.0),
        49.0,
        "mm",
    )
    for text in ("stage_absolute.x", "51 mm", "[-50, 50] mm", "current x 49 mm", "move_by"):
        assert text in str(info.value)


def test_a_stage_outside_one_bound_can_still_move_another_axis() -> None:
    g = ImagingGuardrails(stage_absolute=StageAbsoluteLimits(x=(-1.0, 1.0), y=(-1.0, 1.0)))
    s = state({"y_mm": 3.0})
    assert refused_type(g, move("x", 0.5), s) is None
    assert refused_type(g, move("y", 2.0), s) == "stage_absolute.y"
    assert refused_type(g, move("y", 0.9), s) is None


def test_a_relative_move_from_an_unreadable_position_is_refused_by_absolute_limits() -> None:
    g = ImagingGuardrails(stage_absolute=StageAbsoluteLimits(x=(-1.0, 1.0)))
    assert refused_type(g, move("x", 0.1, relative=True), state({"x_mm": math.nan})) == (
        "stage_absolute.x"
    )


@given(
    axis=axes,
    bounds=st.tuples(finite, finite).map(sorted),
    current=finite,
    value=finite,
    relative=st.booleans(),
)
def test_absolute_limits_refuse_a_move_iff_its_target_is_outside(
    axis: Axis, bounds: list[float], current: float, value: float, relative: bool
) -> None:
    lo, hi = bounds
    target = Fraction(current) + Fraction(value) if relative else Fraction(value)
    assume(not near(target, Fraction(lo)) and not near(target, Fraction(hi)))
    rule = StageAbsoluteLimits(**{axis: (lo, hi)})
    found = rule.check(move(axis, value, relative=relative), state({AXIS_FIELD[axis]: current}))
    outside = not Fraction(lo) <= target <= Fraction(hi)
    assert (found is not None) == outside
    if found is not None:
        assert found.guardrail_type == f"stage_absolute.{axis}"


# --- relative stage limits -------------------------------------------------------------------


def test_a_move_of_exactly_the_percentage_of_the_fov_is_allowed_for_move_to_and_move_by() -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(x_pct=200, y_pct=200))
    s = state({"x_mm": 0.0, "y_mm": 1.0}, fov_um=100.0)  # 200 % of 100 µm = 0.2 mm
    assert refused_type(g, move("x", 0.2), s) is None
    assert refused_type(g, move("x", -0.2, relative=True), s) is None
    assert refused_type(g, move("y", 0.8), s) is None
    assert refused_type(g, move("y", 1.2, relative=False), s) is None


def test_a_move_beyond_the_percentage_of_the_fov_is_refused_for_move_to_and_move_by() -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(x_pct=200))
    s = state({"x_mm": 5.0}, fov_um=100.0)
    assert refused_type(g, move("x", 5.201), s) == "stage_relative.x_pct"
    assert refused_type(g, move("x", 0.201, relative=True), s) == "stage_relative.x_pct"
    with pytest.raises(SemphonyGuardrailException) as info:
        g.check(move("x", 4.5), s)
    d = info.value.details
    assert d["requested"] == pytest.approx(0.5)
    assert d["limit"] == pytest.approx(0.2)
    assert (d["current"], d["unit"], d["limit_pct"], d["fov_um"]) == (5.0, "mm", 200.0, 100.0)
    for text in ("stage_relative.x_pct", "0.5 mm", "200 %", "100 µm", "0.2 mm", "current x 5 mm"):
        assert text in str(info.value)


def test_a_percentage_limit_converts_the_fov_from_micrometres_to_millimetres() -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(z_pct=50))
    s = state({"z_mm": 10.0}, fov_um=1000.0)  # 50 % of 1 mm
    assert refused_type(g, move("z", 0.5, relative=True), s) is None
    assert refused_type(g, move("z", 0.51, relative=True), s) == "stage_relative.z_pct"
    assert g.max_step("z", s) == 0.5


@pytest.mark.parametrize(("axis", "field"), [("r", "r_max_deg"), ("t", "t_max_deg")])
def test_a_degree_limit_allows_its_bound_and_refuses_beyond(axis: Axis, field: str) -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(**{field: 5}))
    s = state({AXIS_FIELD[axis]: 10.0}, fov_um=math.nan)  # degrees do not need the FOV
    assert refused_type(g, move(axis, 15.0), s) is None
    assert refused_type(g, move(axis, -5.0, relative=True), s) is None
    assert refused_type(g, move(axis, 15.5), s) == f"stage_relative.{field}"
    with pytest.raises(SemphonyGuardrailException) as info:
        g.check(move(axis, 6.0, relative=True), s)
    assert info.value.details["unit"] == "deg"
    assert "5 deg" in str(info.value)


def test_a_rotation_across_zero_counts_the_travel_the_command_names() -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(r_max_deg=5))
    s = state({"r_deg": 359.0})
    assert refused_type(g, move("r", 1.0), s) == "stage_relative.r_max_deg"
    assert refused_type(g, move("r", 2.0, relative=True), s) is None


@pytest.mark.parametrize("fov_um", [0.0, -1.0, math.nan, math.inf])
def test_a_percentage_limit_refuses_while_the_fov_is_unknown(fov_um: float) -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(x_pct=200))
    s = state(fov_um=fov_um)
    with pytest.raises(SemphonyGuardrailException) as info:
        g.check(move("x", 0.0001, relative=True), s)
    assert info.value.guardrail_type == "stage_relative.x_pct"
    assert "unknown" in str(info.value)
    with pytest.raises(SemphonyGuardrailException):
        g.max_step("x", s)
    assert refused_type(g, move("y", 3.0), s) is None  # y has no limit


def test_a_move_to_from_an_unreadable_position_is_refused_by_relative_limits() -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(x_pct=200))
    assert refused_type(g, move("x", 0.0), state({"x_mm": math.nan})) == "stage_relative.x_pct"


@given(
    axis=axes,
    limit=st.floats(min_value=0.0, max_value=1000.0),
    fov_um=st.floats(min_value=0.01, max_value=5000.0),
    current=finite,
    value=finite,
    relative=st.booleans(),
)
def test_relative_limits_refuse_a_move_iff_it_travels_farther_than_allowed(
    axis: Axis, limit: float, fov_um: float, current: float, value: float, relative: bool
) -> None:
    travel = abs(Fraction(value) if relative else Fraction(value) - Fraction(current))
    if axis in ("r", "t"):
        allowed = Fraction(limit)
    else:
        allowed = Fraction(limit) / 100 * Fraction(fov_um) / 1000
    assume(not near(travel, allowed))
    rule = StageRelativeLimits(**{REL_FIELD[axis]: limit})
    s = state({AXIS_FIELD[axis]: current}, fov_um=fov_um)
    found = rule.check(move(axis, value, relative=relative), s)
    assert (found is not None) == (travel > allowed)
    if found is not None:
        assert found.guardrail_type == f"stage_relative.{REL_FIELD[axis]}"


@given(
    axis=axes,
    limit=st.floats(min_value=0.001, max_value=1000.0),
    fov_um=st.floats(min_value=0.01, max_value=5000.0),
    current=finite,
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_max_step_is_the_largest_step_a_move_may_take(
    axis: Axis, limit: float, fov_um: float, current: float, sign: float
) -> None:
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(**{REL_FIELD[axis]: limit}))
    s = state({AXIS_FIELD[axis]: current}, fov_um=fov_um)
    step = g.max_step(axis, s)
    assert step is not None
    # a step of exactly max_step is allowed whether sent as move_by or as move_to(current + step)
    assert refused_type(g, move(axis, sign * step, relative=True), s) is None
    assert refused_type(g, move(axis, current + sign * step), s) is None
    beyond = sign * (step * 1.001 + 1e-9)
    assert refused_type(g, move(axis, beyond, relative=True), s) is not None


def test_max_step_is_none_without_a_relative_limit() -> None:
    s = state()
    assert ImagingGuardrails().max_step("x", s) is None
    g = ImagingGuardrails(stage_relative=StageRelativeLimits(x_pct=100))
    assert g.max_step("y", s) is None
    assert g.max_step("x", s) == pytest.approx(0.1)


# --- construction-time validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (StageAbsoluteLimits, {"x": (5.0, 1.0)}, "x"),
        (StageAbsoluteLimits, {"y": (math.nan, 1.0)}, "y"),
        (StageAbsoluteLimits, {"z": (0.0, math.inf)}, "z"),
        (StageAbsoluteLimits, {"r": (True, 5.0)}, "r"),
        (StageAbsoluteLimits, {"t": ("0", 5.0)}, "t"),
        (StageAbsoluteLimits, {"x": (1.0, 2.0, 3.0)}, "x"),
        (StageAbsoluteLimits, {"xx": (1.0, 2.0)}, "xx"),
        (StageRelativeLimits, {"x_pct": -1}, "x_pct"),
        (StageRelativeLimits, {"y_pct": math.nan}, "y_pct"),
        (StageRelativeLimits, {"z_pct": math.inf}, "z_pct"),
        (StageRelativeLimits, {"r_max_deg": -0.5}, "r_max_deg"),
        (StageRelativeLimits, {"t_max_deg": False}, "t_max_deg"),
        (StageRelativeLimits, {"x_pc": 200}, "x_pc"),
        (ChamberBeamGuardrail, {"require_vacuum_for_beam": 1}, "require_vacuum_for_beam"),
        (ChamberBeamGuardrail, {"require_beam_off_for_vent": "no"}, "require_beam_off_for_vent"),
        (ImagingGuardrails, {"rules": (object(),)}, "rules"),
        (ImagingGuardrails, {"stage_limits": None}, "stage_limits"),
    ],
)
def test_a_bad_guardrail_setting_is_refused_naming_the_field(
    cls: type[Any], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        cls(**kwargs)
    assert info.value.errors()[0]["loc"][0] == field
    assert field in str(info.value)


def test_the_seed_example_constructs_and_keeps_its_values() -> None:
    guardrails = ImagingGuardrails(
        chamber_beam=ChamberBeamGuardrail(
            require_vacuum_for_beam=True,
            require_beam_off_for_vent=True,
            require_beam_on_for_scan=True,
        ),
        stage_absolute=StageAbsoluteLimits(
            x=(-50.0, 50.0),
            y=(-50.0, 50.0),
        ),
        stage_relative=StageRelativeLimits(
            x_pct=200,  # max 200% of FOV per move
            y_pct=200,
            r_max_deg=5,
        ),
    )
    assert guardrails.stage_absolute is not None
    assert guardrails.stage_absolute.limits("x") == (-50.0, 50.0)
    assert guardrails.stage_absolute.limits("z") is None
    assert guardrails.stage_relative is not None
    assert guardrails.stage_relative.x_pct == 200.0


def test_a_pinned_axis_and_integer_limits_are_accepted() -> None:
    limits = StageAbsoluteLimits(t=(0, 0), x=[-1, 1])
    assert limits.t == (0.0, 0.0)
    assert limits.x == (-1.0, 1.0)
    assert StageRelativeLimits(x_pct=0).x_pct == 0.0


def test_chamber_beam_rules_all_default_to_on() -> None:
    rule = ChamberBeamGuardrail()
    assert rule.require_vacuum_for_beam
    assert rule.require_beam_off_for_vent
    assert rule.require_beam_on_for_scan


# --- composition, default and opt-out --------------------------------------------------------

any_command = st.one_of(
    chamber_commands,
    st.builds(
        StageMoveCommand,
        x_mm=st.none() | finite,
        y_mm=st.none() | finite,
        z_mm=st.none() | finite,
        r_deg=st.none() | finite,
        t_deg=st.none() | finite,
        relative=st.booleans(),
    ),
)


@given(
    command=any_command,
    vacuum=st.sampled_from(VACUUM_STATES),
    beam_on=st.booleans(),
    fov_um=st.floats(allow_nan=True),
)
def test_none_allows_every_command(
    command: Command, vacuum: str, beam_on: bool, fov_um: float
) -> None:
    ImagingGuardrails.none().check(command, state(vacuum=vacuum, beam_on=beam_on, fov_um=fov_um))
    assert ImagingGuardrails.none().all_rules == ()


@given(
    target=st.tuples(*(finite for _ in AXES)),
    relative=st.booleans(),
    fov_um=st.floats(allow_nan=True),
)
def test_the_default_allows_any_stage_move(
    target: tuple[float, ...], relative: bool, fov_um: float
) -> None:
    cmd = StageMoveCommand(**dict(zip(AXIS_FIELD.values(), target, strict=True)), relative=relative)
    ImagingGuardrails().check(cmd, state(fov_um=fov_um))


def test_the_default_enforces_chamber_and_beam_rules() -> None:
    default = ImagingGuardrails()
    assert isinstance(default.chamber_beam, ChamberBeamGuardrail)
    assert refused_type(default, BeamCommand(on=True), state(vacuum="vented", beam_on=False))
    assert refused_type(default, ChamberCommand("vent"), state(beam_on=True))
    assert refused_type(default, AcquireCommand(config=None), state(beam_on=False))


def test_dropping_chamber_beam_turns_only_those_rules_off() -> None:
    g = ImagingGuardrails(chamber_beam=None, stage_absolute=StageAbsoluteLimits(x=(-1.0, 1.0)))
    assert refused_type(g, BeamCommand(on=True), state(vacuum="vented")) is None
    assert refused_type(g, move("x", 2.0), state()) == "stage_absolute.x"


@dataclass(frozen=True)
class MaxFov:
    """A user rule: never widen the field of view past a bound."""

    max_fov_um: float

    def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
        fov_um = command.fov_um if isinstance(command, OpticsCommand) else None
        if fov_um is not None and fov_um > self.max_fov_um:
            return GuardrailViolation(
                "user.max_fov_um",
                f"fov {fov_um:g} µm is wider than {self.max_fov_um:g} µm",
                {
                    "requested": fov_um,
                    "limit": self.max_fov_um,
                    "current": state.fov_um,
                    "unit": "um",
                },
            )
        return None


def test_a_user_rule_plugs_in_and_refuses_its_commands() -> None:
    g = ImagingGuardrails(rules=[MaxFov(500.0)])
    assert g.all_rules[-1] == MaxFov(500.0)
    g.check(OpticsCommand(fov_um=500.0), state())
    with pytest.raises(SemphonyGuardrailException) as info:
        g.check(OpticsCommand(fov_um=800.0), state(fov_um=100.0))
    assert info.value.guardrail_type == "user.max_fov_um"
    assert info.value.details == {
        "requested": 800.0,
        "limit": 500.0,
        "current": 100.0,
        "unit": "um",
    }
    assert "optics set(fov_um=800)" in str(info.value)


def test_built_in_rules_are_checked_before_user_rules() -> None:
    class RefuseEverything:
        def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
            return GuardrailViolation("user.never", "never", {})

    g = ImagingGuardrails(rules=(RefuseEverything(),))
    assert refused_type(g, BeamCommand(on=True), state(vacuum="vented")) == (
        "chamber_beam.require_vacuum_for_beam"
    )
    assert refused_type(g, BeamCommand(on=False), state()) == "user.never"
    assert g.violation(BeamCommand(on=False), state()) == GuardrailViolation(
        "user.never", "never", {}
    )


def test_a_user_rule_returning_something_else_is_an_error() -> None:
    class Sloppy:
        def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
            return "no"  # type: ignore[return-value]

    with pytest.raises(TypeError, match="Sloppy"):
        ImagingGuardrails(rules=(Sloppy(),)).check(BeamCommand(on=False), state())


def test_a_guardrail_exception_passes_the_seeds_api_error_clause() -> None:
    caught: list[str] = []
    try:
        ImagingGuardrails().check(AcquireCommand(config=None), state(beam_on=False))
    except SemphonyApiError:
        caught.append("api")
    except SemphonyGuardrailException as e:
        caught.append(f"guardrail {e.guardrail_type} {sorted(e.details)}")
    assert caught == [
        "guardrail chamber_beam.require_beam_on_for_scan ['current', 'limit', 'requested', 'unit']"
    ]
