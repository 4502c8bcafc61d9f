"""The tescan driver's own behaviour against the emulator: what it reads from the instrument, how
each of SharkSEM's quiet failures becomes a clear error, and the instrument's auto procedures."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from semphony._exceptions import ConflictError
from semphony.client import Semphony
from semphony.models import AcquisitionConfig
from semphony.server.drivers import (
    Cancelled,
    DeviceFault,
    DeviceMismatchError,
    InterlockError,
    OpticsSettings,
    ScanRequest,
    StageTarget,
    UnsupportedError,
)
from semphony.server.drivers.tescan import Nominal, TescanDriver
from semphony.server.drivers.tescan._stage import pose_of
from semphony.server.drivers.tescan.emulator import Emulator, _dispatch

from ...conftest import OPERATOR_TOKEN, Served

Open = Callable[..., TescanDriver]


@pytest.fixture
def open_driver(start_emulator: Callable[..., Emulator]) -> Iterator[Open]:
    """`open_driver(emulator=None, **driver_options)`: a driver opened on a (fresh) emulator."""
    drivers: list[TescanDriver] = []

    def open_(emulator: Emulator | None = None, **options: object) -> TescanDriver:
        emu = emulator or start_emulator(seed=7)
        driver = TescanDriver("127.0.0.1", emu.control_port, **options)  # type: ignore[arg-type]
        driver.open()
        drivers.append(driver)
        return driver

    yield open_
    for driver in drivers:
        driver.close()


def _ready(driver: TescanDriver) -> TescanDriver:
    driver.pump()
    driver.set_beam(True)
    return driver


def test_identity_limits_detectors_and_speeds_are_read_from_the_instrument(
    open_driver: Open, start_emulator: Callable[..., Emulator]
) -> None:
    emu = start_emulator(seed=7, serial="VEGA-42")
    info = open_driver(emu).device_info()
    inst = emu.instrument
    assert info.driver == "tescan"
    assert info.serial == "VEGA-42"
    assert "SharkSEM emulator" in info.model
    assert info.scan_speeds_us == inst.info.scan_speeds_us
    assert info.limits.x_mm == inst.limits.x_mm
    assert info.limits.t_deg == inst.limits.t_deg
    assert [d.mode for d in info.detectors] == [d.mode for d in inst.info.detectors]
    assert "scan_rotation" in info.capabilities
    assert info.conventions["protocol_version"] == "3.2.20"


def test_an_old_protocol_has_no_scan_rotation_and_says_so(
    open_driver: Open, start_emulator: Callable[..., Emulator]
) -> None:
    driver = _ready(open_driver(start_emulator(seed=7, protocol_version="3.1.0")))
    assert "scan_rotation" not in driver.device_info().capabilities
    assert "no model" in driver.device_info().model  # TcpGetModel is 3.2.20+
    before = driver.state()
    with pytest.raises(UnsupportedError) as err:
        driver.set_optics(OpticsSettings(scan_rotation_deg=5.0, fov_um=20.0))
    assert "scan rotation not available on protocol 3.1.0" in err.value.detail
    assert err.value.field == "scan_rotation_deg"
    assert driver.state() == before  # nothing was sent, the FOV included
    assert driver.acquire(ScanRequest(resolution=(32, 32))).pixels.shape == (32, 32)


def test_a_value_the_column_limits_is_an_error_not_a_quiet_success(open_driver: Open) -> None:
    driver = _ready(open_driver(nominal=Nominal(fov_um=(1.0, 50_000.0))))
    with pytest.raises(DeviceMismatchError, match="fov_um reads back 10000 after setting 20000"):
        driver.set_optics(OpticsSettings(fov_um=20_000.0))


def test_a_silence_is_a_device_fault_naming_the_command(
    open_driver: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = open_driver(timeout_s=0.3)
    monkeypatch.setitem(_dispatch.HANDLERS, "GetWD", lambda peer, args: None)
    with pytest.raises(DeviceFault, match=r"no answer to GetWD within 0\.3 s") as err:
        driver.state(max_age_s=0.0)
    assert err.value.device_code is None
    monkeypatch.undo()
    assert driver.state(max_age_s=0.0).working_distance_mm > 0  # the driver goes on


def test_a_beam_that_does_not_come_on_is_an_error(
    open_driver: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = open_driver()
    driver.pump()
    monkeypatch.setitem(_dispatch.HANDLERS, "HVBeamOn", lambda peer, args: ())  # ignored
    with pytest.raises(DeviceMismatchError, match="the beam did not come on"):
        driver.set_beam(True)


def test_a_negative_scscanxy_is_a_device_fault_with_its_code(
    open_driver: Open, emulator: Emulator
) -> None:
    driver = _ready(open_driver(emulator))
    emulator.instrument.faults.arm("scan_error", code=-4)
    with pytest.raises(DeviceFault) as err:
        driver.acquire(ScanRequest(resolution=(64, 64)))
    assert err.value.device_code == -4
    assert "ScScanXY answered -4" in err.value.device_message
    assert driver.busy is None
    assert driver.acquire(ScanRequest(resolution=(64, 64))).pixels.shape == (64, 64)


def test_a_data_drop_mid_image_fails_the_scan_and_the_next_one_reconnects(
    open_driver: Open, emulator: Emulator
) -> None:
    driver = _ready(open_driver(emulator))
    emulator.instrument.faults.arm("data_drop", after_chunks=1)
    with pytest.raises(DeviceFault, match=r"did not arrive whole \(dropped\)"):
        driver.acquire(ScanRequest(resolution=(256, 256)))
    assert not emulator.instrument.scanning()  # ScStopScan was sent after the failure
    assert driver.acquire(ScanRequest(resolution=(64, 64))).pixels.shape == (64, 64)


def test_an_ignored_move_and_an_uncalibrated_stage_are_errors(
    open_driver: Open, emulator: Emulator
) -> None:
    driver = _ready(open_driver(emulator))
    emulator.instrument.faults.arm("ignore_move")
    with pytest.raises(DeviceMismatchError, match="StgMoveTo was ignored"):
        driver.move_stage(StageTarget(x_mm=2.0))
    emulator.instrument.faults.arm("stage_uncalibrated")
    with pytest.raises(DeviceFault, match="not calibrated"):
        driver.move_stage(StageTarget(x_mm=2.0))
    emulator.instrument.faults.clear()
    assert driver.move_stage(StageTarget(x_mm=2.0)).x_mm == pytest.approx(2.0)


def test_a_stage_busy_too_long_is_stopped_and_reported(
    open_driver: Open, emulator: Emulator
) -> None:
    driver = _ready(open_driver(emulator, move_timeout_s=0.5))
    emulator.instrument.faults.arm("stage_busy", seconds=30.0)
    with pytest.raises(DeviceFault, match=r"still reported busy .* stopped \(StgStop\)"):
        driver.move_stage(StageTarget(y_mm=1.0))
    assert not emulator.instrument.stage_busy(observe=False)  # StgStop released it


def test_a_move_cancelled_while_moving_stops_the_stage(
    open_driver: Open, start_emulator: Callable[..., Emulator]
) -> None:
    emu = start_emulator(seed=7)
    driver = _ready(open_driver(emu))
    emu.instrument.faults.arm("stage_busy", seconds=30.0)
    cancel = threading.Event()
    with pytest.raises(Cancelled, match="stopped"):
        driver.move_stage(StageTarget(x_mm=1.0), progress=lambda d, t: cancel.set(), cancel=cancel)
    assert not emu.instrument.stage_busy(observe=False)


def test_a_sixth_stage_value_is_ignored() -> None:
    assert pose_of((1.0, 2.0, 3.0, 4.0, 5.0, 6.0)).t_deg == 5.0
    with pytest.raises(DeviceFault, match="4 values"):
        pose_of((1.0, 2.0, 3.0, 4.0))


def test_the_instruments_autofocus_and_auto_signal_run_as_commands(
    open_driver: Open, start_emulator: Callable[..., Emulator]
) -> None:
    emu = start_emulator(seed=7)
    emu.instrument.sim.set_response(gain=0.1, offset=0.0)  # a dim image to start from
    driver = _ready(open_driver(emu))
    steps: list[tuple[int, int]] = []
    result = driver.autofocus(fov_um=50.0, span_mm=2.0, progress=lambda d, t: steps.append((d, t)))
    assert result.method == "instrument"
    assert result.frames == 2
    assert steps[-1] == (10, 10)
    assert driver.state().working_distance_mm == pytest.approx(result.working_distance_mm)
    signal = driver.auto_signal()
    assert (signal.method, signal.frames, signal.gain) == ("instrument", 1, None)
    # DtAutoSignal aims at 5-95 % on its own noisy frames; a frame afterwards shows most of it.
    assert signal.low_fraction < 0.12
    assert signal.high_fraction > 0.8
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        driver.auto_signal(cancel=cancel)
    driver.set_beam(False)
    with pytest.raises(InterlockError, match="beam"):
        driver.auto_signal()


def test_serve_on_an_old_protocol_refuses_scan_rotation_and_keeps_working(
    serve: Callable[..., Served], start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = start_emulator(seed=7, protocol_version="3.1.0")
    served = serve(driver="tescan", tescan_port=emu.control_port)
    with Semphony(served.base_url, token=OPERATOR_TOKEN) as client:
        assert client.device().driver == "tescan"
        with client.runs.create(name="old").session().start() as session:
            session.chamber.pump()
            session.beam.on()
            with pytest.raises(ConflictError, match="scan rotation not available on protocol"):
                session.optics.set(scan_rotation_deg=3.0)
            result = session.imaging.acquire(AcquisitionConfig(resolution=(64, 64)))
            assert session.imaging.read(result).shape == (64, 64)


def test_the_beam_is_waited_for_through_1000_while_it_switches(
    open_driver: Open, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = open_driver(emulator)
    driver.pump()
    answers: list[int] = []
    original = _dispatch.HANDLERS["HVGetBeam"]

    def recording(peer: _dispatch.Peer, args: tuple[object, ...]) -> object:
        result = original(peer, args)  # type: ignore[arg-type]
        assert result is not None
        answers.append(int(result[0]))  # type: ignore[arg-type]
        return result

    monkeypatch.setitem(_dispatch.HANDLERS, "HVGetBeam", recording)
    emulator.instrument.clock.value = 0.25  # the beam now switches for a while in real time
    assert driver.set_beam(True).beam_on
    assert 1000 in answers
    assert answers[-1] == 1


def test_a_dropped_connection_is_reopened_by_the_next_command(
    open_driver: Open, emulator: Emulator
) -> None:
    driver = _ready(open_driver(emulator))
    assert driver.acquire(ScanRequest(resolution=(32, 32))).pixels.shape == (32, 32)
    for client in list(emulator._clients):  # the server drops us (a restart, a network blip)
        client.close()
    assert driver.state(max_age_s=0.0).beam_on  # reads reconnect
    assert driver.health().ok
    # The data channel belonged to the old connection: the next scan registers a new one.
    assert driver.acquire(ScanRequest(resolution=(32, 32))).pixels.shape == (32, 32)


def test_a_pump_the_instrument_ignores_is_an_error(
    open_driver: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = open_driver()
    driver.no_effect_s = 0.2
    monkeypatch.setitem(_dispatch.HANDLERS, "VacPump", lambda peer, args: ())  # ignored
    with pytest.raises(DeviceMismatchError, match="VacPump had no effect"):
        driver.pump()
    monkeypatch.undo()
    assert driver.pump() == "pumped"
