"""Scanning on the emulator: ScData reassembled equals what the simulator renders, through the
documented axis convention; sub-rectangles, dwell snapping, chunking, detectors, auto signal."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from semphony.server.drivers import ScanRequest
from semphony.server.drivers.tescan import WAIT_A, WAIT_D, Connection
from semphony.server.drivers.tescan.emulator import Emulator, conventions, set_time_scale, transform
from semphony.server.drivers.tescan.emulator._physics import Physics

from .conftest import open_data, pumped_with_beam

Connect = Callable[..., Connection]
Frame = NDArray[np.uint8] | NDArray[np.uint16]


def twin_frames(seed: int, requests: list[ScanRequest]) -> list[Frame]:
    """What a fresh simulator with the same seed renders for the same sequence of scans (through
    the emulator's adapter: the same `SimDriver`, none of the emulator's protocol or transform)."""
    sim = Physics(seed, "texture")
    sim.pump()
    sim.set_beam(True)
    return [sim.acquire(r) for r in requests]


def scan(
    conn: Connection,
    frame_id: int,
    size: tuple[int, int],
    rect: tuple[int, int, int, int] | None = None,
    dwell_ns: int = 1000,
    bpp: int = 8,
    channel: int = 0,
) -> Frame:
    width, height = size
    left, top, right, bottom = rect or (0, 0, width - 1, height - 1)
    data = open_data(conn)
    code = conn.call_int("ScScanXY", frame_id, width, height, left, top, right, bottom, 1, dwell_ns)
    assert code == 0
    try:
        return data.receive(
            frame_id, channel, right - left + 1, bottom - top + 1, bpp, stall_timeout_s=5
        )
    finally:
        conn.call("ScStopScan")


@pytest.mark.parametrize("bpp", [8, 16])
def test_a_full_scan_equals_what_the_simulator_renders(
    start_emulator: Callable[..., Emulator], connect: Connect, bpp: int
) -> None:
    conn = connect(start_emulator(seed=11))
    pumped_with_beam(conn)
    conn.call("SetViewField", 0.2)
    conn.call("DtEnable", 0, 1, bpp)
    image = scan(conn, 1, (160, 120), bpp=bpp)
    (expected,) = twin_frames(
        11,
        [ScanRequest(fov_um=200.0, resolution=(160, 120), dwell_time_us=1.0, bit_depth=bpp)],
    )
    assert image.dtype == (np.uint16 if bpp == 16 else np.uint8)
    assert image.shape == (120, 160)
    assert np.array_equal(image, expected)
    assert image.std() > 0  # a real image, not a blank one


def test_a_sub_rectangle_is_the_crop_and_the_dwell_snaps_to_the_speed_table(
    start_emulator: Callable[..., Emulator], connect: Connect
) -> None:
    conn = connect(start_emulator(seed=3))
    pumped_with_beam(conn)
    image = scan(conn, 2, (128, 96), rect=(10, 20, 73, 59), dwell_ns=700)  # 0.7 µs → 0.5 µs
    (full,) = twin_frames(3, [ScanRequest(resolution=(128, 96), dwell_time_us=0.5)])
    assert np.array_equal(image, full[20:60, 10:74])


@pytest.mark.parametrize(("mirror_y", "turn"), [(True, 0), (False, 90), (True, 270)])
def test_an_axis_convention_is_the_documented_transform_of_the_render(
    start_emulator: Callable[..., Emulator], connect: Connect, mirror_y: bool, turn: int
) -> None:
    conn = connect(start_emulator(seed=5, mirror_y=mirror_y, scan_turn_deg=turn))
    pumped_with_beam(conn)
    image = scan(conn, 3, (96, 64))
    turned = turn in (90, 270)
    sim_size = (64, 96) if turned else (96, 64)
    fov = 100.0 * sim_size[0] / 96  # the emulated width keeps the view field
    (render,) = twin_frames(5, [ScanRequest(fov_um=fov, resolution=sim_size, dwell_time_us=1.0)])
    assert image.shape == (64, 96)
    assert np.array_equal(image, transform(render, mirror_y, turn))
    assert not np.array_equal(image, twin_frames(5, [ScanRequest(resolution=(96, 64))])[0])


def test_conventions_say_where_image_axes_point_on_the_stage() -> None:
    assert conventions(False, 0) == {
        "image_x": "stage +x",
        "image_y": "stage -y",
        "mirror_y": "false",
        "scan_turn_deg": "0",
    }
    assert conventions(True, 0)["image_y"] == "stage +y"
    assert (conventions(False, 90)["image_x"], conventions(False, 90)["image_y"]) == (
        "stage -y",
        "stage -x",
    )


def _lag(before: Frame, after: Frame) -> tuple[int, int]:
    """(rows, columns) by which `after` shows the content of `before` moved back (circular)."""
    a, b = before.astype(float), after.astype(float)
    spectrum = np.fft.fft2(a - a.mean()) * np.conj(np.fft.fft2(b - b.mean()))
    peak = np.unravel_index(np.argmax(np.abs(np.fft.ifft2(spectrum))), a.shape)
    n = a.shape[0]
    return tuple(int(p) if p < n // 2 else int(p) - n for p in peak)  # type: ignore[return-value]


@pytest.mark.parametrize(("mirror_y", "turn"), [(False, 0), (True, 0), (False, 90), (True, 270)])
def test_a_stage_move_shifts_the_image_the_way_the_convention_says(
    start_emulator: Callable[..., Emulator], connect: Connect, mirror_y: bool, turn: int
) -> None:
    conn = connect(start_emulator(seed=9, mirror_y=mirror_y, scan_turn_deg=turn))
    pumped_with_beam(conn)
    before = scan(conn, 4, (128, 128))
    conn.call("StgMoveTo", 0.0, 0.02)  # 20 µm of a 100 µm field: 25.6 pixels
    while conn.call_int("StgIsBusy"):
        pass
    after = scan(conn, 5, (128, 128))
    # Content at stage point p sits where the image axis along stage +y says: moving the stage
    # by +y moves it 25.6 pixels against that axis.
    expected = []
    for axis in ("image_y", "image_x"):
        direction = conventions(mirror_y, turn)[axis]
        expected.append({"stage +y": 25.6, "stage -y": -25.6}.get(direction, 0.0))
    rows, cols = _lag(before, after)
    assert abs(rows - expected[0]) <= 1.5
    assert abs(cols - expected[1]) <= 1.5


def test_image_data_comes_in_chunks_and_the_scan_is_busy_until_sent(
    emulator: Emulator, sem: Connection
) -> None:
    pumped_with_beam(sem)
    data = open_data(sem)
    assert sem.call_int("ScScanXY", 7, 256, 256, 0, 0, 255, 255, 1, 2000) == 0
    progress: list[int] = []
    data.receive(7, 0, 256, 256, 8, stall_timeout_s=5, progress=lambda d, t: progress.append(d))
    # 2 µs × 256 + 50 µs = 0.56 ms a row, 50 ms a chunk: 89 rows, so three chunks.
    assert progress == [89 * 256, 178 * 256, 256 * 256]
    sem.call_int("IsBusy", WAIT_A, wait=WAIT_A)  # held until the scan has ended
    assert sem.call_int("IsBusy", WAIT_A) == 0
    sem.call("ScStopScan")


def test_with_the_beam_off_the_frame_is_black(sem: Connection) -> None:
    image = scan(sem, 8, (32, 32))
    assert int(image.max()) == 0


def test_a_channel_streams_the_detector_selected_for_it(
    start_emulator: Callable[..., Emulator], connect: Connect
) -> None:
    conn = connect(start_emulator(seed=4))
    pumped_with_beam(conn)
    conn.call("DtEnable", 0, 0)
    conn.call("DtSelect", 1, 1)
    conn.call("DtEnable", 1, 1, 16)
    bse = scan(conn, 1, (64, 64), bpp=16, channel=1)
    (twin,) = twin_frames(
        4, [ScanRequest(resolution=(64, 64), dwell_time_us=1.0, detector_channel=1, bit_depth=16)]
    )
    assert np.array_equal(bse, twin)


def test_two_enabled_channels_each_get_their_own_stream(
    start_emulator: Callable[..., Emulator], connect: Connect
) -> None:
    conn = connect(start_emulator(seed=4))
    pumped_with_beam(conn)
    conn.call("DtSelect", 1, 1)
    conn.call("DtEnable", 1, 1, 16)
    bse = scan(conn, 2, (64, 64), bpp=16, channel=1)  # channel 0's chunks are passed over
    _se_twin, bse_twin = twin_frames(
        4,
        [
            ScanRequest(resolution=(64, 64), dwell_time_us=1.0, detector_channel=0),
            ScanRequest(resolution=(64, 64), dwell_time_us=1.0, detector_channel=1, bit_depth=16),
        ],
    )
    assert np.array_equal(bse, bse_twin)  # rendered after channel 0's frame, as in the twin


def test_a_scan_with_invalid_parameters_answers_a_negative_code(sem: Connection) -> None:
    assert sem.call_int("ScScanXY", 1, 64, 64, 10, 0, 5, 63, 1) < 0  # left > right
    assert sem.call_int("ScScanXY", 1, 64, 64, 0, 0, 64, 63, 1) < 0  # right outside the frame
    assert sem.call_int("ScScanXY", 1, 8, 8, 0, 0, 7, 7, 1) < 0  # below the 16-pixel minimum


def test_a_scan_from_another_client_while_one_runs_is_refused(
    emulator: Emulator, connect: Connect
) -> None:
    set_time_scale(("127.0.0.1", emulator.side_port), 1.0)  # a continuous scan in real time
    a, b = connect(emulator), connect(emulator)
    assert a.call_int("ScScanXY", 1, 256, 256, 0, 0, 255, 255, 0, 32000) == 0
    assert b.call_int("ScScanXY", 2, 64, 64, 0, 0, 63, 63, 1) < 0
    assert b.call_int("IsBusy", WAIT_A) == 1
    a.call("ScStopScan", reply=True)
    assert b.call_int("IsBusy", WAIT_A) == 0
    assert b.call_int("ScScanXY", 2, 64, 64, 0, 0, 63, 63, 1) == 0
    b.call("ScStopScan")


def test_auto_signal_spreads_the_signal_over_the_range(sem: Connection) -> None:
    pumped_with_beam(sem)
    before = scan(sem, 1, (128, 128)).astype(float)
    sem.call("DtAutoSignal", 0)
    sem.call_int("IsBusy", WAIT_D, wait=WAIT_D)
    after = scan(sem, 2, (128, 128)).astype(float)
    span = np.subtract(*np.percentile(after, [99.5, 0.5]))
    assert span > 0.8 * 255 > np.subtract(*np.percentile(before, [99.5, 0.5]))
    assert np.mean((after == 0) | (after == 255)) < 0.02  # spread, not clipped
