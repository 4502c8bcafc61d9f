"""Injected faults and the emulator's side channel (remount, ground truth, arming, refusals)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from semphony.server.drivers.tescan import Connection, ScanDataError
from semphony.server.drivers.tescan.emulator import (
    Emulator,
    SideChannelError,
    arm_fault,
    clear_faults,
    remount,
    side_call,
    truth,
)

from .conftest import open_data, pumped_with_beam

Connect = Callable[..., Connection]


def side(emulator: Emulator) -> tuple[str, int]:
    return ("127.0.0.1", emulator.side_port)


def settle(conn: Connection) -> None:
    while conn.call_int("StgIsBusy"):
        pass


def test_scan_error_makes_sc_scan_xy_answer_the_negative_code_once(
    emulator: Emulator, sem: Connection
) -> None:
    armed = arm_fault(side(emulator), "scan_error", code=-7)
    assert armed == [{"fault": "scan_error", "code": -7, "count": 1}]
    assert sem.call_int("ScScanXY", 1, 64, 64, 0, 0, 63, 63, 1) == -7
    sem.call("ScStopScan")
    assert sem.call_int("ScScanXY", 2, 64, 64, 0, 0, 63, 63, 1) == 0
    sem.call("ScStopScan")


def test_data_drop_closes_the_data_connection_mid_image(
    emulator: Emulator, sem: Connection
) -> None:
    pumped_with_beam(sem)
    arm_fault(side(emulator), "data_drop", after_chunks=1)
    data = open_data(sem)
    assert sem.call_int("ScScanXY", 1, 256, 256, 0, 0, 255, 255, 1, 2000) == 0
    with pytest.raises(ScanDataError, match="dropped after 22784 of 65536") as info:
        data.receive(1, 0, 256, 256, 8, stall_timeout_s=5)  # one chunk of 89 rows arrived
    assert info.value.kind == "dropped"
    sem.call("ScStopScan")
    data.open()  # the next acquisition works again
    assert sem.call_int("ScScanXY", 2, 64, 64, 0, 0, 63, 63, 1) == 0
    assert data.receive(2, 0, 64, 64, 8, stall_timeout_s=5).shape == (64, 64)
    sem.call("ScStopScan")


def test_no_enabled_channel_means_no_data_and_a_stall(sem: Connection) -> None:
    sem.call("DtEnable", 0, 0)
    data = open_data(sem)
    assert sem.call_int("ScScanXY", 1, 64, 64, 0, 0, 63, 63, 1) == 0
    with pytest.raises(ScanDataError) as info:
        data.receive(1, 0, 64, 64, 8, stall_timeout_s=0.3)
    assert info.value.kind == "stall"
    sem.call("ScStopScan")


def test_stage_busy_keeps_the_stage_busy_until_stopped(emulator: Emulator, sem: Connection) -> None:
    arm_fault(side(emulator), "stage_busy")
    sem.call("StgMoveTo", 1.0)
    assert all(sem.call_int("StgIsBusy") == 1 for _ in range(50))
    sem.call("StgMoveTo", 5.0)  # ignored: the stage is busy
    sem.call("StgStop")
    assert sem.call_int("StgIsBusy") == 0
    assert sem.call_floats("StgGetPosition")[0] == pytest.approx(1.0)


def test_stage_busy_for_some_seconds_then_idle(emulator: Emulator, sem: Connection) -> None:
    arm_fault(side(emulator), "stage_busy", seconds=0.2)
    sem.call("StgMoveTo", 1.0)
    assert sem.call_int("StgIsBusy") == 1
    threading.Event().wait(0.25)
    assert sem.call_int("StgIsBusy") == 0


def test_a_clear_releases_a_stuck_stage(emulator: Emulator, sem: Connection) -> None:
    arm_fault(side(emulator), "stage_busy")
    sem.call("StgMoveTo", 1.0)
    assert sem.call_int("StgIsBusy") == 1
    clear_faults(side(emulator))
    assert sem.call_int("StgIsBusy") == 0


def test_an_ignored_move_is_found_out_by_reading_back(emulator: Emulator, sem: Connection) -> None:
    arm_fault(side(emulator), "ignore_move")
    sem.call("StgMoveTo", 3.0, 4.0)
    assert sem.call_int("StgIsBusy") == 0  # nothing says the move did not happen...
    assert sem.call_floats("StgGetPosition")[:2] == (0.0, 0.0)  # ...but the readback
    sem.call("StgMoveTo", 3.0, 4.0)  # the fault is used up
    settle(sem)
    assert sem.call_floats("StgGetPosition")[:2] == (3.0, 4.0)


def test_an_uncalibrated_stage_ignores_moves(emulator: Emulator, sem: Connection) -> None:
    arm_fault(side(emulator), "stage_uncalibrated")
    assert sem.call_int("StgIsCalibrated") == 0
    sem.call("StgMoveTo", 3.0)
    assert sem.call_floats("StgGetPosition")[0] == 0.0


def test_remount_moves_the_specimen_and_truth_reports_it(
    emulator: Emulator, sem: Connection
) -> None:
    pumped_with_beam(sem)
    data = open_data(sem)

    def frame(frame_id: int) -> NDArray[np.float64]:
        assert sem.call_int("ScScanXY", frame_id, 128, 128, 0, 0, 127, 127, 1) == 0
        pixels = data.receive(frame_id, 0, 128, 128, 8, stall_timeout_s=5).astype(float)
        sem.call("ScStopScan")
        return pixels

    before = frame(1)
    result = remount(side(emulator), shift_x_um=30.0, shift_y_um=0.0, rotation_deg=0.0)
    assert result["placement"]["shift_x_um"] == 30.0
    assert result["placement"]["reloads"] == 1
    after = frame(2)
    # The specimen moved 30 µm along stage +x: its features 38.4 pixels along image +x.
    assert np.corrcoef(before[:, :90].ravel(), after[:, 38:].ravel())[0, 1] > 0.8
    assert np.corrcoef(before.ravel(), after.ravel())[0, 1] < 0.5
    now = truth(side(emulator), x_mm=0.0, y_mm=0.0)
    assert now["point"]["now_x_mm"] == pytest.approx(0.03)
    assert now["stage_readback"]["x_mm"] == 0.0


def test_status_names_the_ports_the_version_and_the_convention(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(protocol_version="3.1.0", scan_turn_deg=90)
    status = side_call(side(emulator), "status")
    assert status["control_port"] == emulator.control_port
    assert status["data_port"] == emulator.control_port + 1
    assert status["protocol_version"] == "3.1.0"
    assert status["conventions"]["image_x"] == "stage -y"


@pytest.mark.parametrize(
    ("op", "params", "match"),
    [
        ("explode", {}, "op='explode' is not one of"),
        ("arm", {"fault": "meteor"}, "fault='meteor' is not one of"),
        ("arm", {"fault": "scan_error", "code": 3}, "code=3 must be an integer in"),
        ("arm", {"fault": "ignore_move", "when": 1}, r"unknown parameters for ignore_move"),
        ("remount", {"shift_x_um": "far"}, "shift_x_um='far' must be a number"),
        ("time_scale", {"value": -1}, "time_scale=-1 must be"),
    ],
)
def test_the_side_channel_refuses_bad_requests_with_a_reason(
    emulator: Emulator, op: str, params: dict[str, Any], match: str
) -> None:
    with pytest.raises(SideChannelError, match=match):
        side_call(side(emulator), op, **params)
    assert side_call(side(emulator), "faults") == []


def test_two_clients_one_scanning_one_moving(emulator: Emulator, connect: Connect) -> None:
    scanner, mover = connect(emulator), connect(emulator)
    pumped_with_beam(scanner)
    data = open_data(scanner)
    assert scanner.call_int("ScScanXY", 3, 512, 512, 0, 0, 511, 511, 1) == 0
    mover.call("StgMoveTo", 2.0)
    settle(mover)
    image = data.receive(3, 0, 512, 512, 8, stall_timeout_s=5)
    scanner.call("ScStopScan")
    assert image.shape == (512, 512)
    assert scanner.call_floats("StgGetPosition")[0] == 2.0
