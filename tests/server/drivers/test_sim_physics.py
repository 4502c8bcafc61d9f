"""Physics of the simulated SEM, checked through images and the simulator's ground truth."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from skimage.registration import phase_cross_correlation
from skimage.transform import AffineTransform, warp
from skimage.transform import rotate as _rotate

from semphony.server.drivers import (
    Cancelled,
    DetectorSettings,
    DeviceFault,
    InterlockError,
    OpticsSettings,
    RangeError,
    ScanRequest,
    StageTarget,
)
from semphony.server.drivers.sim import SimDriver
from semphony.server.drivers.sim.device import PUMP_S, VENT_S
from semphony.server.drivers.sim.optics import (
    CONTRASTS,
    EFFICIENCY,
    ELECTRONS_PER_NA_US,
    Geometry,
    Response,
    render_frame,
)
from semphony.server.drivers.sim.sampling import View
from semphony.server.drivers.sim.sampling import sample as _sample
from semphony.server.drivers.sim.specimen import (
    Contrast,
    ProceduralSpecimen,
    Specimen,
)

FOV_UM = 60.0
SIZE = 256
PIXEL_UM = FOV_UM / SIZE
QUIET = 8  # the longest dwell: least noise


def opened(driver: SimDriver) -> SimDriver:
    driver.open()
    return driver


def ready(seed: int = 1, kind: str = "texture") -> SimDriver:
    driver = opened(SimDriver(seed=seed, specimen_kind=kind))
    driver.pump()
    driver.set_beam(True)
    return driver


def scan(driver: SimDriver, **kw: object) -> NDArray[np.float64]:
    request = ScanRequest(
        fov_um=kw.pop("fov_um", FOV_UM),  # type: ignore[arg-type]
        resolution=kw.pop("resolution", (SIZE, SIZE)),  # type: ignore[arg-type]
        scan_speed_index=kw.pop("scan_speed_index", QUIET),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return driver.acquire(request).pixels.astype(np.float64)


def image_shift(reference: NDArray[np.float64], moved: NDArray[np.float64]) -> NDArray[np.float64]:
    """How far features moved from `reference` to `moved`, in pixels (rows, cols)."""
    window = np.outer(np.hanning(reference.shape[0]), np.hanning(reference.shape[1]))
    a = (reference - reference.mean()) * window
    b = (moved - moved.mean()) * window
    shift, _, _ = phase_cross_correlation(  # type: ignore[no-untyped-call]
        b, a, upsample_factor=20, normalization=None
    )
    return np.asarray(shift, dtype=np.float64)


def rotate(image: NDArray[np.float64], angle_deg: float) -> NDArray[np.float64]:
    """Turn an image counter-clockwise as displayed (rows top to bottom)."""
    return np.asarray(_rotate(image, angle_deg), dtype=np.float64)  # type: ignore[no-untyped-call]


def correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_the_shift_measurement_reports_how_far_features_moved() -> None:
    base = scan(ready())
    moved = np.roll(base, (3, -5), axis=(0, 1))
    assert image_shift(base[20:-20, 20:-20], moved[20:-20, 20:-20]) == pytest.approx(
        [3, -5], abs=0.1
    )


def test_noise_falls_with_dwell_time() -> None:
    driver = ready()
    noise = []
    for index in (0, 3, 8):
        a = scan(driver, scan_speed_index=index)
        b = scan(driver, scan_speed_index=index)
        noise.append(float(np.std(a - b)))
    assert noise[0] > noise[1] > noise[2]


def test_noise_falls_with_beam_current() -> None:
    driver = ready()
    noise = []
    for current in (0.05, 2.0):
        driver.set_optics(OpticsSettings(beam_current_na=current))
        noise.append(
            float(np.std(scan(driver, scan_speed_index=2) - scan(driver, scan_speed_index=2)))
        )
    assert noise[0] > noise[1]


@pytest.mark.parametrize("kind", ["texture", "periodic", "sparse"])
def test_a_render_is_deterministic_for_the_seed_and_differs_for_another(kind: str) -> None:
    first = scan(ready(seed=5, kind=kind))
    again = scan(ready(seed=5, kind=kind))
    other = scan(ready(seed=6, kind=kind))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert correlation(first, other) < 0.9


def test_the_specimen_has_structure_at_every_scale() -> None:
    driver = ready()
    for fov in (2.0, 50.0, 2000.0, 9000.0):
        image = scan(driver, fov_um=fov, resolution=(128, 128))
        assert image.std() > 5, f"flat image at fov {fov} µm"


def test_the_move_error_is_about_a_micrometre_and_hidden_from_the_readback() -> None:
    driver = ready()
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(40):
        x, y = rng.uniform(-5, 5, size=2)
        pose = driver.move_stage(StageTarget(x_mm=float(x), y_mm=float(y)))
        truth = driver.truth()["stage_truth"]
        assert (pose.x_mm, pose.y_mm) == pytest.approx((x, y))
        errors.append(math.hypot(truth["x_mm"] - x, truth["y_mm"] - y) * 1000)
    assert max(errors) <= 2.0
    assert np.mean(errors) > 0.1


def test_images_reveal_the_hidden_stage_error() -> None:
    driver = ready()
    driver.move_stage(StageTarget(x_mm=1.0, y_mm=1.0))
    fov, size = 10.0, 256
    first = scan(driver, fov_um=fov, resolution=(size, size))
    truth1 = driver.truth()["stage_truth"]
    driver.move_stage(StageTarget(x_mm=1.2, y_mm=0.9))
    driver.move_stage(StageTarget(x_mm=1.0, y_mm=1.0))
    second = scan(driver, fov_um=fov, resolution=(size, size))
    truth2 = driver.truth()["stage_truth"]
    pixel = fov / size
    expected = [
        (truth2["y_mm"] - truth1["y_mm"]) * 1000 / pixel,  # the stage went +y: features go down
        -(truth2["x_mm"] - truth1["x_mm"]) * 1000 / pixel,
    ]
    assert image_shift(first, second) == pytest.approx(expected, abs=0.35)


def test_a_reload_moves_features_by_the_commanded_amount() -> None:
    driver = ready()
    before = scan(driver)
    truth = driver.reload(shift_x_um=6.0, shift_y_um=-4.5, rotation_deg=0.0)
    after = scan(driver)
    # Features moved +6 µm in x (columns) and -4.5 µm in y (rows grow along -y).
    assert image_shift(before, after) == pytest.approx([4.5 / PIXEL_UM, 6.0 / PIXEL_UM], abs=0.3)
    point = truth["point"]
    assert (point["now_x_mm"] - point["x_mm"]) * 1000 == pytest.approx(6.0)
    assert (point["now_y_mm"] - point["y_mm"]) * 1000 == pytest.approx(-4.5)


def test_a_reload_rotation_is_about_the_stated_centre() -> None:
    driver = ready()
    truth = driver.reload(shift_x_um=0.0, shift_y_um=0.0, rotation_deg=90.0)
    assert (truth["placement"]["centre_x_mm"], truth["placement"]["centre_y_mm"]) == (0.0, 0.0)
    moved = driver.truth(x_mm=1.0, y_mm=0.0)["point"]
    assert (moved["now_x_mm"], moved["now_y_mm"]) == pytest.approx((0.0, 1.0), abs=1e-9)
    # Driving to where that point lies now shows what lay at (1, 0) before, turned by 90°.
    fresh = ready()
    fresh.move_stage(StageTarget(x_mm=1.0, y_mm=0.0))
    driver.move_stage(StageTarget(x_mm=0.0, y_mm=1.0))
    # A wide field, so the two stages' independent ~1 µm errors stay near a pixel.
    reference = scan(fresh, fov_um=200.0)
    turned = scan(driver, fov_um=200.0)
    assert correlation(np.rot90(reference), turned) > 0.8
    assert correlation(np.rot90(reference, -1), turned) < 0.5


def test_a_random_reload_is_drawn_from_the_seed() -> None:
    a, b = ready(seed=3), ready(seed=3)
    pa, pb = a.reload()["placement"], b.reload()["placement"]
    assert pa == pb
    assert 100.0 < math.hypot(pa["shift_x_um"], pa["shift_y_um"]) < 600.0
    assert abs(pa["rotation_deg"]) <= 3.0


def test_a_beam_shift_moves_the_field_by_the_commanded_micrometres() -> None:
    driver = ready()
    before = scan(driver)
    driver.set_optics(OpticsSettings(beam_shift_x_um=5.0, beam_shift_y_um=3.0))
    after = scan(driver)
    # The field moved +5 µm x and +3 µm y, so features moved -5 µm x (columns) and 3 µm down.
    assert image_shift(before, after) == pytest.approx([3.0 / PIXEL_UM, -5.0 / PIXEL_UM], abs=0.3)


def test_scan_rotation_turns_the_image_clockwise_as_published() -> None:
    driver = ready()
    plain = scan(driver)
    driver.set_optics(OpticsSettings(scan_rotation_deg=25.0))
    turned = scan(driver)
    centre = (slice(64, 192), slice(64, 192))
    clockwise = correlation(rotate(plain, -25.0)[centre], turned[centre])
    counter = correlation(rotate(plain, 25.0)[centre], turned[centre])
    assert clockwise > 0.8
    assert clockwise > counter + 0.3


def test_stage_rotation_turns_the_image_counter_clockwise_about_the_optical_axis() -> None:
    driver = ready()
    plain = scan(driver)
    driver.move_stage(StageTarget(r_deg=25.0))
    turned = scan(driver)
    centre = (slice(64, 192), slice(64, 192))
    counter = correlation(rotate(plain, 25.0)[centre], turned[centre])
    assert counter > 0.8
    assert counter > correlation(rotate(plain, -25.0)[centre], turned[centre]) + 0.3


def test_se_and_bse_images_differ_but_correlate() -> None:
    driver = ready()
    se = scan(driver, mode="SE")
    bse = scan(driver, mode="BSE")
    r = correlation(se, bse)
    assert 0.2 < r < 0.95


def test_defocus_blurs_the_image() -> None:
    driver = ready()
    focus = driver.state().working_distance_mm

    def sharpness(image: NDArray[np.float64]) -> float:
        return float(np.mean(np.diff(image, axis=1) ** 2))

    sharp = scan(driver, fov_um=20.0, scan_speed_index=QUIET)
    blurred = scan(driver, fov_um=20.0, working_distance_mm=focus + 0.5)
    assert sharpness(blurred) < 0.5 * sharpness(sharp)


def test_a_sixteen_bit_frame_uses_the_full_range() -> None:
    driver = ready()
    frame = driver.acquire(ScanRequest(resolution=(128, 128), bit_depth=16))
    assert frame.pixels.dtype == np.uint16
    assert int(frame.pixels.max()) > 255
    assert np.any(frame.pixels % 257 != 0)


def test_gain_offset_and_gamma_change_the_response() -> None:
    driver = ready()
    base = scan(driver)
    driver.set_detector(DetectorSettings(gain=0.5))
    assert scan(driver).mean() < base.mean() * 0.7
    driver.set_detector(DetectorSettings(gain=1.0, offset=0.2))
    assert scan(driver).mean() > base.mean() + 30
    with pytest.raises(RangeError):
        driver.set_gamma(0.0)


def test_a_cancelled_scan_stops_midway_and_counts_only_the_lines_scanned() -> None:
    driver = ready()
    cancel = threading.Event()
    lines: list[int] = []

    def half(done: int, total: int) -> None:
        lines.append(done)
        if done >= total // 2:
            cancel.set()

    full = driver.acquire(ScanRequest(resolution=(SIZE, SIZE)))
    full_s = full.clock_s_end - full.clock_s_start
    start = driver.state().clock_s
    with pytest.raises(Cancelled):
        driver.acquire(ScanRequest(resolution=(SIZE, SIZE)), progress=half, cancel=cancel)
    spent = driver.state().clock_s - start
    assert 0.4 * full_s < spent < 0.7 * full_s
    assert max(lines) < SIZE


def test_the_clock_counts_pixels_times_dwell_plus_line_settle() -> None:
    driver = ready()
    frame = driver.acquire(ScanRequest(resolution=(200, 100), scan_speed_index=5))
    dwell_s = driver.device_info().scan_speeds_us[5] * 1e-6
    assert frame.clock_s_end - frame.clock_s_start > 200 * 100 * dwell_s
    assert frame.clock_s_end - frame.clock_s_start < 200 * 100 * dwell_s * 1.1 + 0.01


def test_pump_and_vent_take_their_minutes_on_the_clock() -> None:
    driver = opened(SimDriver())
    driver.pump()
    assert driver.state().clock_s == pytest.approx(PUMP_S)
    driver.vent()
    assert driver.state().clock_s == pytest.approx(PUMP_S + VENT_S)


def test_a_scan_error_fault_fails_one_scan_with_the_device_code() -> None:
    driver = ready()
    driver.inject_fault("scan_error", device_code=7, device_message="ScScanXY returned 7")
    with pytest.raises(DeviceFault) as err:
        driver.acquire(ScanRequest(resolution=(64, 64)))
    assert (err.value.device_code, err.value.device_message) == (7, "ScScanXY returned 7")
    assert driver.acquire(ScanRequest(resolution=(64, 64))).pixels.shape == (64, 64)


def test_vacuum_loss_during_a_scan_switches_the_beam_off_and_needs_a_pump() -> None:
    driver = ready()
    driver.inject_fault("vacuum_loss", after_lines=10)
    lines: list[int] = []
    with pytest.raises(DeviceFault):
        driver.acquire(ScanRequest(resolution=(64, 64)), progress=lambda d, t: lines.append(d))
    state = driver.state()
    assert (state.vacuum, state.beam_on) == ("error", False)
    assert max(lines, default=0) <= 10
    with pytest.raises(InterlockError):
        driver.set_beam(True)
    driver.pump()
    assert driver.set_beam(True).beam_on


def test_a_dropped_move_stops_short_and_fails() -> None:
    driver = ready()
    driver.inject_fault("drop_move", fraction=0.5)
    with pytest.raises(DeviceFault):
        driver.move_stage(StageTarget(x_mm=4.0))
    assert 1.0 < driver.state().stage.x_mm < 3.0


def test_a_silently_dropped_move_reports_the_target_but_the_stage_stayed() -> None:
    driver = ready()
    driver.inject_fault("drop_move", silent=True)
    pose = driver.move_stage(StageTarget(x_mm=4.0))
    assert pose.x_mm == 4.0
    assert abs(driver.truth()["stage_truth"]["x_mm"]) < 0.01


def test_a_slow_device_takes_longer_on_the_clock() -> None:
    driver = ready()
    start = driver.state().clock_s
    driver.move_stage(StageTarget(x_mm=2.0))
    normal = driver.state().clock_s - start
    driver.inject_fault("slow", factor=10.0)
    start = driver.state().clock_s
    driver.move_stage(StageTarget(x_mm=0.0))
    assert driver.state().clock_s - start == pytest.approx(10 * normal)
    driver.clear_faults()
    assert driver.armed_faults() == []


def test_an_unknown_fault_is_refused() -> None:
    with pytest.raises(RangeError):
        ready().inject_fault("gremlins")


def test_snapshot_and_restore_reproduce_the_specimen_and_its_placement() -> None:
    driver = ready(seed=9)
    driver.reload()
    driver.move_stage(StageTarget(x_mm=0.3, y_mm=-0.2))
    saved = json.loads(json.dumps(driver.snapshot()))
    expected = scan(driver)
    revived = opened(SimDriver(seed=9))
    revived.restore(saved)
    assert revived.truth() == driver.truth()
    # The revived driver's next frame uses the same noise stream as the original's previous one.
    revived.restore(saved)
    assert np.array_equal(scan(revived), expected)


def test_restoring_a_snapshot_of_another_specimen_is_refused() -> None:
    saved = ready(seed=9).snapshot()
    with pytest.raises(ValueError, match="specimen"):
        opened(SimDriver(seed=10)).restore(saved)


def test_an_unsupported_field_is_named_as_ignored() -> None:
    class NoBitDepth(SimDriver):
        def _do_device_info(self):  # type: ignore[no-untyped-def]
            info = super()._do_device_info()
            fields = tuple(f for f in info.honoured_fields if f != "bit_depth")
            return type(info)(**{**info.__dict__, "honoured_fields": fields})

    driver = opened(NoBitDepth(seed=1))
    driver.pump()
    driver.set_beam(True)
    frame = driver.acquire(ScanRequest(resolution=(32, 32), bit_depth=16))
    assert frame.ignored_fields == ["bit_depth"]
    assert frame.applied["bit_depth"] == 8


def test_an_image_specimen_is_centred_on_the_stage_at_its_pixel_size() -> None:
    image = np.zeros((101, 101))
    image[50, 60] = 1.0  # 10 pixels right of the centre
    driver = opened(SimDriver(specimen_image=image, specimen_pixel_um=1.0))
    driver.pump()
    driver.set_beam(True)
    frame = driver.acquire(
        ScanRequest(fov_um=64.0, resolution=(64, 64), scan_speed_index=QUIET)
    ).pixels.astype(float)
    row, col = np.unravel_index(np.argmax(frame), frame.shape)
    assert (float(row), float(col)) == pytest.approx((31.5, 41.5), abs=1.0)


def test_the_device_publishes_its_conventions() -> None:
    info = opened(SimDriver()).device_info()
    assert info.conventions["rotation_centre"] == "optical_axis"
    assert info.scan_speeds_us[3] == 1.0
    assert info.to_dict()["scan_speeds"][3] == {"index": 3, "dwell_time_us": 1.0}


# ------------------------------------------------------------------ fast paths keep the physics


def _warp_oracle(
    grid: NDArray[np.float32], matrix: NDArray[np.float64], shape: tuple[int, int], cval: float
) -> NDArray[np.float64]:
    """skimage's general bilinear warp with a constant border: what `_sample` must reproduce."""
    out = warp(  # type: ignore[no-untyped-call]
        grid,
        AffineTransform(matrix=matrix),  # type: ignore[no-untyped-call]
        output_shape=shape,
        order=1,
        mode="constant",
        cval=cval,
        preserve_range=True,
    )
    return np.asarray(out, dtype=np.float64)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    grid_rows=st.integers(3, 40),
    grid_cols=st.integers(3, 40),
    origin=st.tuples(st.floats(-20.0, 60.0), st.floats(-20.0, 60.0)),
    steps=st.tuples(st.floats(0.05, 3.0), st.floats(0.05, 3.0)),
    signs=st.tuples(st.sampled_from([-1.0, 1.0]), st.sampled_from([-1.0, 1.0])),
    quarter_turn=st.booleans(),
)
def test_an_axis_aligned_view_is_resampled_as_the_general_bilinear_warp_does(
    seed: int,
    grid_rows: int,
    grid_cols: int,
    origin: tuple[float, float],
    steps: tuple[float, float],
    signs: tuple[float, float],
    quarter_turn: bool,
) -> None:
    grid = np.random.default_rng(seed).uniform(-1, 1, (grid_rows, grid_cols)).astype(np.float32)
    spacing_um = 0.5
    grid_origin_um = (-3.0, 2.0)
    # Grid index steps per output column and row: diagonal, or swapped for a quarter turn.
    a, e = signs[0] * steps[0], signs[1] * steps[1]
    col_step = (0.0, a) if quarter_turn else (a, 0.0)
    row_step = (e, 0.0) if quarter_turn else (0.0, e)
    shape = (23, 31)
    view = View(
        shape=shape,
        origin_um=(
            grid_origin_um[0] + origin[0] * spacing_um,
            grid_origin_um[1] + origin[1] * spacing_um,
        ),
        col_step_um=(col_step[0] * spacing_um, col_step[1] * spacing_um),
        row_step_um=(row_step[0] * spacing_um, row_step[1] * spacing_um),
        detail_um=spacing_um,
    )
    matrix = np.array(
        [
            [col_step[0], row_step[0], origin[0]],
            [col_step[1], row_step[1], origin[1]],
            [0.0, 0.0, 1.0],
        ]
    )
    fast = _sample(grid, view, grid_origin_um, spacing_um, cval=0.25)
    assert fast.dtype == np.float32
    assert fast.shape == shape
    np.testing.assert_allclose(fast, _warp_oracle(grid, matrix, shape, 0.25), atol=2e-5)


@pytest.mark.parametrize("kind", ["texture", "periodic", "sparse"])
def test_a_quarter_turn_of_scan_rotation_turns_the_specimen_signal_a_quarter_clockwise(
    kind: str,
) -> None:
    specimen = ProceduralSpecimen(kind, seed=3)
    contrast = CONTRASTS["SE"]
    n, p = 96, 0.1
    half = (n - 1) / 2 * p
    upright = specimen.render(View((n, n), (-half, half), (p, 0.0), (0.0, -p), p), contrast)
    # The raster turned a quarter counter-clockwise: columns run along +y, rows along +x.
    turned = specimen.render(View((n, n), (-half, -half), (0.0, p), (p, 0.0), p), contrast)
    assert upright.std() > 0.01
    np.testing.assert_allclose(turned, np.rot90(upright, k=-1), atol=1e-5)


class _Uniform(Specimen):
    """A featureless specimen: the same signal everywhere."""

    kind = "uniform"

    def __init__(self, level: float) -> None:
        self.level = level

    def render(self, view: View, contrast: Contrast) -> NDArray[np.float32]:
        return np.full(view.shape, self.level, np.float32)

    def identity(self) -> dict[str, object]:
        return {"kind": self.kind, "level": self.level}


@pytest.mark.parametrize("level", [0.05, 0.4])
def test_shot_noise_keeps_the_poisson_variance_of_the_detected_electrons(level: float) -> None:
    dwell_us, current_na = 1.0, 0.1
    frame = (
        render_frame(
            _Uniform(level),
            Geometry(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            mode="SE",
            resolution=(256, 256),
            fov_um=100.0,
            blur_sigma_um=0.0,
            dwell_us=dwell_us,
            beam_current_na=current_na,
            response=Response(),
            bit_depth=16,
            rng=np.random.default_rng(0),
        ).astype(np.float64)
        / 65535.0
    )
    electrons = dwell_us * current_na * ELECTRONS_PER_NA_US * EFFICIENCY["SE"]
    assert frame.mean() == pytest.approx(level, rel=0.01)
    assert frame.std() == pytest.approx(math.sqrt(level / electrons), rel=0.03)
