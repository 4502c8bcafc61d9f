"""The emulator over loopback sockets: identity, vacuum, beam, stage, optics, silences, clients."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from semphony.server.drivers.tescan import (
    FLAG_REPLY,
    WAIT_B,
    WAIT_C,
    WAIT_D,
    Connection,
    FrameParser,
    Message,
    NoReplyError,
    encode_args,
    encode_message,
)
from semphony.server.drivers.tescan._codec import ArgType
from semphony.server.drivers.tescan.emulator import Emulator, set_time_scale

from .conftest import pumped_with_beam

Connect = Callable[..., Connection]


def poll(conn: Connection, name: str, until: int, limit: int = 100_000) -> list[int]:
    """Poll `name` until it answers `until`; every answer seen, in order."""
    seen = [conn.call_int(name)]
    while seen[-1] != until and len(seen) < limit:
        seen.append(conn.call_int(name))
    return seen


def test_identity_and_version(sem: Connection) -> None:
    assert sem.call_str("TcpGetVersion") == "3.2.20"
    assert "3.2.20" in sem.call_str("TcpGetSWVersion")
    assert sem.call_str("TcpGetDevice") == "EMU-0001"
    assert "emulator" in sem.call_str("TcpGetModel")


def test_pumping_passes_through_pumping_to_ready(sem: Connection) -> None:
    assert sem.call_int("VacGetStatus") == 3  # vented: vacuum off
    assert sem.call_float("VacGetPressure", 0) == pytest.approx(1e5)
    sem.call("VacPump")
    seen = poll(sem, "VacGetStatus", 0)
    assert seen[0] == 1
    assert seen[-1] == 0
    assert set(seen) == {0, 1}
    assert sem.call_float("VacGetPressure", 0) < 0.01
    sem.call("VacPump")  # already pumped: no effect
    assert sem.call_int("VacGetStatus") == 0


def test_venting_passes_through_venting_and_switches_the_beam_off(sem: Connection) -> None:
    pumped_with_beam(sem)
    sem.call("VacVent")
    seen = poll(sem, "VacGetStatus", 3)
    assert seen[0] == 2
    assert seen[-1] == 3
    assert poll(sem, "HVGetBeam", 0)[-1] == 0


def test_beam_on_is_silently_ignored_without_vacuum_then_comes_on_after_pumping(
    sem: Connection,
) -> None:
    sem.call("HVBeamOn")
    assert sem.call_int("HVGetBeam") == 0
    sem.call("VacPump")
    sem.call("HVBeamOn")  # still pumping: ignored as well
    assert sem.call_int("HVGetBeam") == 0
    poll(sem, "VacGetStatus", 0)
    sem.call("HVBeamOn")
    seen = poll(sem, "HVGetBeam", 1)
    assert seen[0] == 1000
    assert seen[-1] == 1


def test_the_beam_reports_1000_while_switching_in_real_time(
    emulator: Emulator, sem: Connection
) -> None:
    pumped_with_beam(sem)
    sem.call("HVBeamOff")
    poll(sem, "HVGetBeam", 0)
    set_time_scale(("127.0.0.1", emulator.side_port), 0.5)  # beam on: 0.8 s × 0.5
    sem.call("HVBeamOn")
    seen = poll(sem, "HVGetBeam", 1)
    assert seen.count(1000) > 1  # seen on repeated polls, not just the first
    assert seen[-1] == 1


def test_values_out_of_range_are_clamped_silently_and_read_back(sem: Connection) -> None:
    sem.call("SetViewField", 100.0)
    assert sem.call_float("GetViewField") == 10.0
    sem.call("SetViewField", 1e-9)
    assert sem.call_float("GetViewField") == 0.001
    sem.call("SetWD", 500.0)
    assert sem.call_float("GetWD") == 50.0
    sem.call("SetImageShift", 1.0, -0.005)
    assert sem.call_floats("GetImageShift") == (0.01, -0.005)
    sem.call("HVSetVoltage", 40_000.0)
    assert sem.call_float("HVGetVoltage") == 30_000.0
    sem.call("SetBeamCurrent", 10.0)
    assert sem.call_float("GetBeamCurrent") == pytest.approx(10.0)
    sem.call("SetImageRot", 190.0)  # a rotation wraps
    assert sem.call_float("GetImageRot") == pytest.approx(-170.0)


def test_a_move_is_polled_busy_then_read_back_and_clamped_to_the_limits(sem: Connection) -> None:
    limits = sem.call_floats("StgGetLimits", 1)
    assert limits == (-50.0, 50.0, -50.0, 50.0, 0.0, 50.0, -180.0, 180.0, -10.0, 70.0)
    assert sem.call_int("StgIsCalibrated") == 1
    sem.call("StgMoveTo", 1.5, -2.25)  # the other axes stay put
    seen = poll(sem, "StgIsBusy", 0)
    assert seen[0] == 1
    assert sem.call_floats("StgGetPosition") == (1.5, -2.25, 45.0, 0.0, 0.0)
    sem.call("StgMoveTo", 80.0, 0.0, 45.0, 0.0, 30.0)  # x beyond travel; z above the clearance
    poll(sem, "StgIsBusy", 0)
    x, y, z, r, t = sem.call_floats("StgGetPosition")
    assert (x, y, r, t) == (50.0, 0.0, 0.0, 30.0)
    assert z == 40.0  # the pole-piece clearance at 30° tilt


def test_a_move_sent_while_the_stage_is_busy_is_ignored(sem: Connection) -> None:
    sem.call("StgMoveTo", 1.0)
    sem.call("StgMoveTo", 2.0)  # not polled yet: the first move is still under way
    poll(sem, "StgIsBusy", 0)
    assert sem.call_floats("StgGetPosition")[0] == 1.0


def test_wait_flag_b_holds_a_command_until_the_stage_stops(
    emulator: Emulator, sem: Connection
) -> None:
    set_time_scale(("127.0.0.1", emulator.side_port), 0.05)
    sem.call("StgMoveTo", 4.0)  # about 1.3 s of instrument time: 65 ms here
    assert sem.call_floats("StgGetPosition", wait=WAIT_B)[0] == 4.0
    assert sem.call_int("StgIsBusy") == 0


def test_stg_stop_stops_a_move_part_way(emulator: Emulator, sem: Connection) -> None:
    set_time_scale(("127.0.0.1", emulator.side_port), 1.0)
    sem.call("StgMoveTo", 40.0)  # 10 s of travel
    sem.call("StgStop")
    assert sem.call_int("StgIsBusy") == 0
    assert 0.0 <= sem.call_floats("StgGetPosition")[0] < 40.0


def test_unknown_commands_and_bad_arguments_get_no_answer_at_all(emulator: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", emulator.control_port), timeout=5) as raw:
        bad_args = encode_args([ArgType.STRING], ["zero"])  # VacGetPressure wants an int
        raw.sendall(
            encode_message("NoSuchCommand", request_id=1, flags=FLAG_REPLY)
            + encode_message("VacGetPressure", request_id=2)  # its int is missing
            + encode_message("VacGetPressure", bad_args[:3], request_id=3)
            + encode_message("VacGetPressure", encode_args([ArgType.INT], [7]), request_id=4)
            + encode_message("DtSelect", encode_args([ArgType.INT] * 2, [5, 0]), request_id=5)
            + encode_message("GetWD", request_id=6)
        )
        parser = FrameParser()
        replies: list[Message] = []
        while not replies:
            replies = parser.feed(raw.recv(4096))
    assert [(m.name, m.header.request_id) for m in replies] == [("GetWD", 6)]


def test_an_old_protocol_version_says_nothing_to_newer_commands(
    start_emulator: Callable[..., Emulator], connect: Connect
) -> None:
    conn = connect(start_emulator(protocol_version="3.1.0"), timeout_s=0.3)
    assert conn.call_str("TcpGetVersion") == "3.1.0"
    for name in ("GetImageRot", "TcpGetModel"):
        with pytest.raises(NoReplyError, match=name):
            conn.call(name)
    assert conn.call_float("GetWD") > 0  # the rest works


def test_detectors_and_speeds_are_published_as_maps(sem: Connection) -> None:
    assert sem.call_map("DtEnumDetectors") == {
        "det.0.name": "SE",
        "det.0.detector": "0",
        "det.1.name": "BSE",
        "det.1.detector": "1",
    }
    speeds = sem.call_map("ScEnumSpeeds")
    assert speeds["speed.1.dwell"] == "0.1"
    assert speeds["speed.9.dwell"] == "32"
    assert len(speeds) == 9


def test_autofocus_takes_instrument_time_and_finds_the_focus(sem: Connection) -> None:
    focus = sem.call_float("GetWD")  # the simulated specimen starts in focus
    pumped_with_beam(sem)
    sem.call("SetViewField", 0.05)
    sem.call("SetWD", focus - 4.0)
    sem.call("AutoWD", 0)
    assert sem.call_int("IsBusy", WAIT_D) == 1  # busy first (time scale 0: until polled once)
    assert sem.call_int("IsBusy", WAIT_D) == 0
    assert sem.call_float("GetWD") == pytest.approx(focus, abs=0.2)


def test_autofocus_does_nothing_with_the_beam_off(sem: Connection) -> None:
    sem.call("SetWD", 7.0)
    sem.call("AutoWD", 0)
    assert sem.call_int("IsBusy", WAIT_D) == 0
    assert sem.call_float("GetWD") == 7.0


def test_two_clients_share_one_instrument(emulator: Emulator, connect: Connect) -> None:
    a, b = connect(emulator), connect(emulator)
    a.call("VacPump", reply=True)  # done before B asks (the clients run side by side)
    assert poll(b, "VacGetStatus", 0)[0] == 1  # B sees A's pump under way
    b.call("SetWD", 12.0, reply=True)  # confirmed done before A reads it
    assert a.call_float("GetWD") == 12.0
    a.close()  # one client leaving does not disturb the other
    assert b.call_int("VacGetStatus") == 0


def test_hv_changes_synchronously_unless_asked_to_run_in_the_background(
    emulator: Emulator, sem: Connection
) -> None:
    sem.call("HVSetVoltage", 20_000.0, 1)  # async: the optics are busy meanwhile
    assert sem.call_int("IsBusy", WAIT_C) == 1
    assert sem.call_int("IsBusy", WAIT_C) == 0
    set_time_scale(("127.0.0.1", emulator.side_port), 0.01)  # 10 kV: 30.5 s → 0.3 s
    sem.call("HVSetVoltage", 10_000.0, reply=True)  # answered once the change is done
    assert sem.call_int("IsBusy", WAIT_C) == 0
    assert sem.call_float("HVGetVoltage") == 10_000.0


def test_pressure_gauges(sem: Connection) -> None:
    assert sem.call_float("VacGetPressure", 1) < 1e-3  # the column stays under vacuum
    assert sem.call_float("VacGetPressure", 2) < sem.call_float("VacGetPressure", 1)
