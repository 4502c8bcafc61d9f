"""The shared driver test suite: subclass `DriverContract` and provide a `make_driver` fixture.

Every driver (the simulator, and the tescan driver against its wire emulator) must refuse what the
interlocks and ranges forbid, change nothing when it refuses, resolve acquisition requests the same
way, keep the lifecycle (open, health, close) and the caching contract of `Driver`, and let the
safety commands (beam off, stop) through while a long command runs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

from semphony.server.drivers import (
    Cancelled,
    DetectorSettings,
    Driver,
    DriverUnavailableError,
    InterlockError,
    OpticsSettings,
    Persistent,
    RangeError,
    ScanRequest,
    StageTarget,
)

MakeDriver = Callable[[], Driver]
"""Returns a fresh, opened, vented driver."""


def _pumped(driver: Driver, beam: bool) -> Driver:
    driver.pump()
    if beam:
        driver.set_beam(True)
    return driver


def _needs(driver: Driver, capability: str) -> None:
    """Skip a test of a capability the device does not publish (it must refuse it instead)."""
    if capability not in driver.device_info().capabilities:
        pytest.skip(f"{type(driver).__name__} does not offer {capability}")


def _is_open(driver: Driver) -> bool:
    return driver.is_open


class DriverContract:
    """Tests every driver must pass; the subclass supplies `make_driver` (a fresh, vented one)."""

    @pytest.fixture
    def make_driver(self) -> MakeDriver:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def ready(self, make_driver: MakeDriver) -> Driver:
        """Pumped with the beam on."""
        return _pumped(make_driver(), beam=True)

    # ---- interlocks

    def test_beam_on_without_vacuum_is_refused_and_changes_nothing(
        self, make_driver: MakeDriver
    ) -> None:
        driver = make_driver()
        before = driver.state()
        with pytest.raises(InterlockError) as err:
            driver.set_beam(True)
        assert err.value.reason == "interlock.vacuum_required"
        assert driver.state() == before

    def test_vent_with_beam_on_is_refused_and_changes_nothing(self, ready: Driver) -> None:
        before = ready.state()
        with pytest.raises(InterlockError) as err:
            ready.vent()
        assert err.value.reason == "interlock.beam_must_be_off"
        assert ready.state() == before

    def test_scan_with_beam_off_is_refused_and_changes_nothing(
        self, make_driver: MakeDriver
    ) -> None:
        driver = _pumped(make_driver(), beam=False)
        before = driver.state()
        with pytest.raises(InterlockError) as err:
            driver.acquire(ScanRequest(fov_um=50, resolution=(64, 64)))
        assert err.value.reason == "interlock.beam_required"
        assert driver.state() == before

    def test_pump_then_beam_then_vent_after_beam_off_works(self, make_driver: MakeDriver) -> None:
        driver = make_driver()
        assert driver.pump() == "pumped"
        assert driver.set_beam(True).beam_on
        driver.set_beam(False)
        assert driver.vent() == "vented"

    # ---- stage ranges

    @pytest.mark.parametrize(
        "target",
        [
            StageTarget(x_mm=50.001),
            StageTarget(y_mm=-50.5),
            StageTarget(z_mm=-0.1),
            StageTarget(r_deg=180.5),
            StageTarget(t_deg=-10.5),
            StageTarget(t_deg=71.0),
        ],
    )
    def test_move_outside_travel_is_refused_and_changes_nothing(
        self, ready: Driver, target: StageTarget
    ) -> None:
        before = ready.state()
        with pytest.raises(RangeError) as err:
            ready.move_stage(target)
        assert err.value.reason == "range.stage_travel"
        assert err.value.field in err.value.detail
        assert ready.state() == before

    def test_relative_move_past_travel_is_refused(self, ready: Driver) -> None:
        limit = ready.device_info().limits.x_mm[1]
        ready.move_stage(StageTarget(x_mm=limit - 1.0))
        before = ready.state()
        with pytest.raises(RangeError) as err:
            ready.move_stage(StageTarget(x_mm=2.0, relative=True))
        assert err.value.reason == "range.stage_travel"
        assert ready.state() == before

    def test_move_above_the_pole_piece_clearance_at_high_tilt_is_refused(
        self, ready: Driver
    ) -> None:
        limits = ready.device_info().limits
        z_max = limits.z_max_mm(limits.t_deg[1])
        assert z_max < limits.z_mm[1], "the clearance rule must bite at the highest tilt"
        before = ready.state()
        with pytest.raises(RangeError) as err:
            ready.move_stage(StageTarget(z_mm=z_max + 0.5, t_deg=limits.t_deg[1]))
        assert err.value.reason == "range.stage_clearance"
        assert err.value.field == "z_mm"
        assert ready.state() == before

    def test_move_to_a_legal_pose_reports_the_target_as_readback(self, ready: Driver) -> None:
        pose = ready.move_stage(StageTarget(x_mm=1.25, y_mm=-0.5, r_deg=10.0))
        assert (pose.x_mm, pose.y_mm, pose.r_deg) == pytest.approx((1.25, -0.5, 10.0))
        assert ready.state().stage == pose

    def test_a_non_finite_target_is_refused(self, ready: Driver) -> None:
        with pytest.raises(RangeError):
            ready.move_stage(StageTarget(x_mm=math.nan))

    def test_a_move_cancelled_before_it_starts_raises_cancelled(self, ready: Driver) -> None:
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(Cancelled):
            ready.move_stage(StageTarget(x_mm=3.0), cancel=cancel)
        # The driver is free again afterwards.
        ready.move_stage(StageTarget(x_mm=0.5))

    # ---- optics and acquisition ranges

    @pytest.mark.parametrize(
        "settings",
        [
            OpticsSettings(fov_um=0.0),
            OpticsSettings(fov_um=1e9),
            OpticsSettings(working_distance_mm=-1.0),
            OpticsSettings(scan_rotation_deg=400.0),
            OpticsSettings(beam_shift_x_um=1000.0),
            OpticsSettings(beam_shift_y_um=-1000.0),
            OpticsSettings(hv_kv=1000.0),
            OpticsSettings(beam_current_na=-1.0),
            OpticsSettings(fov_um=math.inf),
        ],
    )
    def test_optics_outside_the_limits_are_refused_and_change_nothing(
        self, ready: Driver, settings: OpticsSettings
    ) -> None:
        before = ready.state()
        with pytest.raises(RangeError) as err:
            ready.set_optics(settings)
        assert err.value.reason == "range.optics"
        assert ready.state() == before

    @pytest.mark.parametrize(
        ("request_", "field"),
        [
            (ScanRequest(fov_um=-5.0), "fov_um"),
            (ScanRequest(resolution=(0, 64)), "resolution"),
            (ScanRequest(resolution=(10**7, 64)), "resolution"),
            (ScanRequest(dwell_time_us=1e6), "dwell_time_us"),
            (ScanRequest(dwell_time_us=1e-6), "dwell_time_us"),
            (ScanRequest(scan_speed_index=999), "scan_speed_index"),
            (ScanRequest(bit_depth=12), "bit_depth"),
            (ScanRequest(mode="XRAY"), "mode"),
            (ScanRequest(mode="SE", detector_mode="BSE"), "detector_mode"),
            (ScanRequest(detector_channel=99), "detector_channel"),
            (ScanRequest(working_distance_mm=1e5), "working_distance_mm"),
        ],
    )
    def test_acquisition_values_beyond_the_device_are_refused_and_change_nothing(
        self, ready: Driver, request_: ScanRequest, field: str
    ) -> None:
        before = ready.state()
        with pytest.raises(RangeError) as err:
            ready.acquire(request_)
        assert err.value.reason == "range.acquisition"
        assert err.value.field == field
        assert ready.state() == before

    def test_a_dwell_between_steps_snaps_to_the_nearest_step_and_is_echoed(
        self, ready: Driver
    ) -> None:
        speeds = ready.device_info().scan_speeds_us
        wanted = speeds[3] * 1.1
        plan = ready.prepare_acquire(ScanRequest(dwell_time_us=wanted))
        nearest = min(speeds, key=lambda s: abs(s - wanted))
        assert plan.dwell_time_us == nearest
        assert plan.applied()["dwell_time_us"] == nearest
        assert speeds[plan.scan_speed_index] == nearest

    def test_the_speed_index_wins_over_the_dwell_when_both_are_given(self, ready: Driver) -> None:
        speeds = ready.device_info().scan_speeds_us
        plan = ready.prepare_acquire(ScanRequest(scan_speed_index=1, dwell_time_us=speeds[-1]))
        assert plan.scan_speed_index == 1
        assert plan.dwell_time_us == speeds[1]

    def test_an_acquisition_applies_and_echoes_its_settings(self, ready: Driver) -> None:
        frame = ready.acquire(ScanRequest(fov_um=40.0, resolution=(96, 64), bit_depth=8))
        assert frame.pixels.shape == (64, 96)
        assert frame.applied["fov_um"] == 40.0
        assert frame.applied["resolution"] == [96, 64]
        assert frame.applied["pixel_size_um"] == pytest.approx(40.0 / 96)
        assert ready.state().fov_um == 40.0
        assert frame.clock_s_end > frame.clock_s_start

    def test_the_state_can_be_read_from_another_thread_during_a_scan(self, ready: Driver) -> None:
        seen: list[float] = []

        def read_state(done: int, total: int) -> None:
            if not seen:
                reader = threading.Thread(target=lambda: seen.append(ready.state().clock_s))
                reader.start()
                reader.join(timeout=30)

        ready.acquire(ScanRequest(resolution=(64, 64)), progress=read_state)
        assert len(seen) == 1

    def test_commands_during_a_scan_are_refused_as_busy(self, ready: Driver) -> None:
        errors: list[str] = []

        def intrude(done: int, total: int) -> None:
            if not errors:
                try:
                    ready.set_optics(OpticsSettings(fov_um=10.0))
                except InterlockError as exc:
                    errors.append(exc.reason)

        ready.acquire(ScanRequest(resolution=(64, 64)), progress=intrude)
        assert errors == ["interlock.busy"]

    def test_a_safe_stop_during_a_scan_cancels_it(self, ready: Driver) -> None:
        def stop(done: int, total: int) -> None:
            ready.safe_stop()

        with pytest.raises(Cancelled):
            ready.acquire(ScanRequest(resolution=(64, 128)), progress=stop)
        assert ready.acquire(ScanRequest(resolution=(32, 32))).pixels.shape == (32, 32)

    def test_snapshot_and_restore_round_trip_the_state(
        self, ready: Driver, make_driver: MakeDriver
    ) -> None:
        if not isinstance(ready, Persistent):
            pytest.skip(f"{type(ready).__name__} keeps no snapshot (hardware cannot)")
        ready.move_stage(StageTarget(x_mm=2.0, t_deg=5.0))
        ready.set_optics(OpticsSettings(fov_um=33.0, scan_rotation_deg=4.0))
        other = make_driver()
        assert isinstance(other, Persistent)
        other.restore(ready.snapshot())
        assert other.state() == ready.state()

    # ---- lifecycle

    def test_a_closed_driver_refuses_commands_and_reports_unhealthy(
        self, make_driver: MakeDriver
    ) -> None:
        driver = make_driver()
        assert driver.health().ok
        assert _is_open(driver)
        driver.close()
        assert not _is_open(driver)
        assert not driver.health().ok
        with pytest.raises(DriverUnavailableError):
            driver.state()
        with pytest.raises(DriverUnavailableError):
            driver.set_beam(False)
        driver.close()  # closing twice is harmless

    def test_open_is_idempotent_and_reads_the_description_once(
        self, make_driver: MakeDriver
    ) -> None:
        driver = make_driver()
        info = driver.device_info()
        driver.open()
        assert driver.device_info() is info
        assert driver.device_info().scan_speeds_us, "the speed table is read from the device"

    def test_a_reopened_driver_works_again(self, make_driver: MakeDriver) -> None:
        driver = make_driver()
        driver.close()
        driver.open()
        assert driver.state().vacuum in ("vented", "pumped", "pumping", "venting", "error")

    # ---- caching contract

    def test_a_state_within_its_age_is_served_without_a_device_read(
        self, make_driver: MakeDriver
    ) -> None:
        driver = make_driver()
        first = driver.state(max_age_s=60.0)
        reads = driver.state_reads
        assert driver.state(max_age_s=60.0) == first
        assert driver.state_reads == reads
        driver.state(max_age_s=0.0)
        assert driver.state_reads == reads + 1

    def test_a_command_reads_once_before_and_once_after_and_refreshes_the_cache(
        self, ready: Driver
    ) -> None:
        ready.state(max_age_s=0.0)
        reads = ready.state_reads
        after = ready.set_optics(OpticsSettings(fov_um=37.0))
        assert ready.state_reads == reads + 2
        assert after.fov_um == pytest.approx(37.0)
        # The read-back is the cache now: a long-lived read sees the new value without a read.
        assert ready.state(max_age_s=60.0).fov_um == pytest.approx(37.0)
        assert ready.state_reads == reads + 2

    def test_an_acquisition_checks_once(self, ready: Driver) -> None:
        reads = ready.state_reads
        plan = ready.prepare_acquire(ScanRequest(resolution=(32, 32)))
        assert ready.state_reads == reads + 1
        ready.run_acquire(plan)
        # One read after applying the plan's settings, to verify them and record the pose.
        assert ready.state_reads == reads + 2

    def test_a_refused_command_reads_once_and_sends_nothing(self, ready: Driver) -> None:
        before = ready.state(max_age_s=0.0)
        reads = ready.state_reads
        with pytest.raises(RangeError):
            ready.set_optics(OpticsSettings(fov_um=1e12))
        assert ready.state_reads == reads + 1
        assert ready.state(max_age_s=0.0) == before

    # ---- detector

    def test_detector_gain_and_offset_are_set_and_read_back(self, ready: Driver) -> None:
        _needs(ready, "detector_gain")
        after = ready.set_detector(DetectorSettings(gain=1.5, offset=-0.1))
        assert after.detector.gain == pytest.approx(1.5)
        assert after.detector.offset == pytest.approx(-0.1)

    def test_a_detector_gain_outside_the_limits_is_refused(self, ready: Driver) -> None:
        _needs(ready, "detector_gain")
        limits = ready.device_info().limits
        before = ready.state()
        with pytest.raises(RangeError) as err:
            ready.set_detector(DetectorSettings(gain=limits.detector_gain[1] * 2))
        assert err.value.field == "gain"
        assert ready.state() == before

    def test_auto_signal_makes_the_image_fill_the_range(self, ready: Driver) -> None:
        _needs(ready, "auto_signal")
        frames: list[tuple[int, int]] = []
        got = ready.auto_signal(progress=lambda done, total: frames.append((done, total)))
        assert got.low_fraction < 0.12
        assert got.high_fraction > 0.8
        assert got.instrument_s > 0
        assert frames
        assert ready.busy is None  # the instrument is free again

    def test_auto_signal_with_the_beam_off_is_refused(self, ready: Driver) -> None:
        _needs(ready, "auto_signal")
        ready.set_beam(False)
        before = ready.state()
        with pytest.raises(InterlockError, match="beam"):
            ready.auto_signal()
        assert ready.state().detector == before.detector

    # ---- safety commands go through while a long command runs

    def test_stop_during_a_scan_ends_it_and_leaves_the_beam_on(self, ready: Driver) -> None:
        def stop(done: int, total: int) -> None:
            ready.stop_motion()

        with pytest.raises(Cancelled):
            ready.acquire(ScanRequest(resolution=(64, 128)), progress=stop)
        assert ready.state().beam_on
        assert ready.busy is None

    def test_beam_off_during_a_scan_goes_through_and_ends_the_scan(self, ready: Driver) -> None:
        seen: list[bool] = []

        def beam_off(done: int, total: int) -> None:
            if not seen:
                seen.append(ready.set_beam(False).beam_on)

        with pytest.raises(Cancelled):
            ready.acquire(ScanRequest(resolution=(64, 128)), progress=beam_off)
        assert seen == [False]
        assert not ready.state().beam_on

    def test_stop_during_a_pump_leaves_the_pump_running(self, make_driver: MakeDriver) -> None:
        driver = make_driver()
        stopped: list[bool] = []

        def stop(done: int, total: int) -> None:
            if not stopped:
                driver.stop_motion()
                stopped.append(True)

        assert driver.pump(progress=stop) == "pumped"
        assert stopped == [True]
