"""Move planning and axis conventions of ROI relocation, checked without a server.

The conventions are checked against the simulator's own geometry (`beam_to_specimen`), an
independent statement of the published conventions: a move planned from an image offset must
bring the feature seen there under the beam.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from semphony.roi._plan import Frame, Step, grid_offsets, plan_rotation, plan_xy, rotate
from semphony.server.drivers.sim.optics import Geometry, beam_to_specimen

angles = st.floats(-180.0, 180.0, allow_nan=False)
tilts = st.floats(0.0, 60.0, allow_nan=False)
offsets_px = st.floats(-400.0, 400.0, allow_nan=False)
positions_um = st.floats(-5000.0, 5000.0, allow_nan=False)
shifts_um = st.floats(-10.0, 10.0, allow_nan=False)


def _geometry(
    x_um: float, y_um: float, r: float, rho: float, t: float, bx: float, by: float
) -> Geometry:
    return Geometry(
        stage_x_um=x_um,
        stage_y_um=y_um,
        r_deg=r,
        t_deg=t,
        scan_rotation_deg=rho,
        beam_shift_x_um=bx,
        beam_shift_y_um=by,
    )


def _where(geometry: Geometry, raster_um: tuple[float, float]) -> np.ndarray:
    where: np.ndarray = beam_to_specimen(geometry, np.array([raster_um]))[0]
    return where


def test_image_right_is_stage_plus_x_and_image_down_is_stage_minus_y() -> None:
    frame = Frame()
    assert frame.image_to_stage_um((10.0, 0.0), 0.5) == pytest.approx((5.0, 0.0))
    assert frame.image_to_stage_um((0.0, 10.0), 0.5) == pytest.approx((0.0, -5.0))


def test_a_scan_rotation_of_90_degrees_turns_image_right_into_stage_plus_y() -> None:
    assert Frame(scan_rotation_deg=90.0).image_to_stage_um((10.0, 0.0), 1.0) == pytest.approx(
        (0.0, 10.0), abs=1e-9
    )


def test_a_stage_rotation_of_90_degrees_turns_image_right_into_stage_minus_y() -> None:
    assert Frame(r_deg=90.0).image_to_stage_um((10.0, 0.0), 1.0) == pytest.approx(
        (0.0, -10.0), abs=1e-9
    )


@given(
    positions_um, positions_um, angles, angles, tilts, shifts_um, shifts_um, offsets_px, offsets_px
)
def test_the_planned_stage_move_brings_the_feature_seen_at_an_offset_under_the_beam(
    x: float, y: float, r: float, rho: float, t: float, bx: float, by: float, dx: float, dy: float
) -> None:
    pixel_um = 0.7
    before = _geometry(x, y, r, rho, t, bx, by)
    frame = Frame(r_deg=r, scan_rotation_deg=rho, t_deg=t)
    feature = _where(before, frame.raster_um((dx, dy), pixel_um))
    mx, my = frame.image_to_stage_um((dx, dy), pixel_um)
    after = _geometry(x + mx, y + my, r, rho, t, bx, by)
    # The image centre (which the beam shift still offsets) now shows the feature.
    assert _where(after, (0.0, 0.0)) == pytest.approx(feature, abs=1e-6)


@given(positions_um, positions_um, angles, angles, tilts, shifts_um, shifts_um, offsets_px)
def test_the_planned_beam_shift_centres_the_feature_seen_at_an_offset(
    x: float, y: float, r: float, rho: float, t: float, bx: float, by: float, d: float
) -> None:
    pixel_um = 0.05
    before = _geometry(x, y, r, rho, t, bx, by)
    frame = Frame(r_deg=r, scan_rotation_deg=rho, t_deg=t)
    feature = _where(before, frame.raster_um((d, -0.5 * d), pixel_um))
    cx, cy = frame.image_to_column_um((d, -0.5 * d), pixel_um)
    after = _geometry(x, y, r, rho, t, bx + cx, by + cy)
    assert _where(after, (0.0, 0.0)) == pytest.approx(feature, abs=1e-6)


@given(angles, angles, tilts, shifts_um, shifts_um)
def test_a_beam_shift_seen_in_stage_axes_converts_back_and_forth(
    r: float, rho: float, t: float, bx: float, by: float
) -> None:
    frame = Frame(r_deg=r, scan_rotation_deg=rho, t_deg=t)
    assert frame.stage_to_column_um(*frame.column_to_stage_um(bx, by)) == pytest.approx(
        (bx, by), abs=1e-9
    )
    # And the stage offset is where the beam shift really points the beam.
    sx, sy = frame.column_to_stage_um(bx, by)
    shifted = _where(_geometry(0.0, 0.0, r, rho, t, bx, by), (0.0, 0.0))
    assert shifted == pytest.approx((sx, sy), abs=1e-9)


@given(angles, st.floats(-20.0, 20.0, allow_nan=False), st.floats(-20.0, 20.0))
def test_raising_the_scan_rotation_by_the_seen_angle_makes_the_image_upright(
    rho: float, placement_deg: float, r: float
) -> None:
    # The image shows the specimen turned by placement + r - rho; raising rho by the angle seen
    # gives the same raster-to-specimen map as before the remount.
    saved = Geometry(0, 0, r, 0, rho, 0, 0)
    seen = placement_deg  # what registration reports after a remount turned by placement_deg
    upright = Geometry(0, 0, r, 0, rho + seen, 0, 0, placement_rotation_deg=placement_deg)
    raster = np.array([[10.0, 0.0], [0.0, 10.0], [-3.0, 7.0]])
    assert beam_to_specimen(upright, raster) == pytest.approx(
        beam_to_specimen(saved, raster), abs=1e-9
    )


def test_rotate_turns_counter_clockwise_with_y_up() -> None:
    assert rotate(1.0, 0.0, 90.0) == pytest.approx((0.0, 1.0), abs=1e-12)


def _sum(steps: list[Step]) -> tuple[float, float]:
    return sum(s.dx_mm for s in steps), sum(s.dy_mm for s in steps)


moves_mm = st.floats(-3.0, 3.0, allow_nan=False)
limits_mm = st.one_of(st.none(), st.floats(0.01, 2.0))


@given(moves_mm, moves_mm, limits_mm, limits_mm, st.sampled_from([0.0, 0.005]))
def test_planned_steps_sum_to_the_move_and_each_stays_within_the_limits(
    dx: float, dy: float, max_x: float | None, max_y: float | None, approach: float
) -> None:
    steps = plan_xy(dx, dy, max_x_mm=max_x, max_y_mm=max_y, approach_mm=approach)
    assert _sum(steps) == pytest.approx((dx, dy), abs=1e-9)
    for step in steps:
        if max_x is not None:
            assert abs(step.dx_mm) <= max_x
        if max_y is not None:
            assert abs(step.dy_mm) <= max_y


@given(moves_mm, moves_mm)
def test_every_moved_axis_arrives_travelling_in_the_plus_direction(dx: float, dy: float) -> None:
    steps = plan_xy(dx, dy, max_x_mm=0.5, max_y_mm=0.5, approach_mm=0.005)
    last_x = [s.dx_mm for s in steps if s.dx_mm != 0.0]
    last_y = [s.dy_mm for s in steps if s.dy_mm != 0.0]
    if abs(dx) >= 1e-9:  # below a picometre an axis is not moved
        assert last_x[-1] > 0
    if abs(dy) >= 1e-9:
        assert last_y[-1] > 0


def test_a_move_longer_than_the_limit_is_cut_into_equal_allowed_steps() -> None:
    steps = plan_xy(0.7, 0.0, max_x_mm=0.3, max_y_mm=0.3)
    assert len(steps) == 3
    assert all(s.dx_mm == pytest.approx(0.7 / 3) for s in steps)


def test_no_move_plans_no_step() -> None:
    assert plan_xy(0.0, 0.0, approach_mm=0.005) == []


def test_a_move_with_a_zero_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(ValueError, match="relative limit allows 0 mm"):
        plan_xy(0.1, 0.0, max_x_mm=0.0)


def test_a_non_finite_move_is_refused() -> None:
    with pytest.raises(ValueError, match="dx_mm must be finite"):
        plan_xy(math.nan, 0.0)


@given(st.floats(-40.0, 40.0, allow_nan=False), st.one_of(st.none(), st.floats(0.5, 10.0)))
def test_a_rotation_is_cut_into_equal_steps_within_the_limit(
    delta: float, limit: float | None
) -> None:
    steps = plan_rotation(delta, limit)
    assert sum(steps) == pytest.approx(delta, abs=1e-9)
    if limit is not None:
        assert all(abs(s) <= limit for s in steps)


def test_the_search_rings_hold_the_neighbours_nearest_first() -> None:
    ring1, ring2 = grid_offsets(1), grid_offsets(2)
    assert len(ring1) == 8
    assert len(set(ring1)) == 8
    assert len(ring2) == 16
    assert not set(ring1) & set(ring2)
    assert ring1[:4] == sorted([(-1, 0), (0, -1), (0, 1), (1, 0)])
    distances = [math.hypot(*c) for c in ring2]
    assert distances == sorted(distances)
