"""Image reassembly from ScData: in order, rewinds, gaps, stalls, drops, cancel, the close order."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from semphony.server.drivers.tescan import (
    Connection,
    DataChannel,
    FrameAssembler,
    Message,
    ScanCancelled,
    ScanDataError,
    ScDataChunk,
)

from .conftest import Action, FakePeer, Responder, reply

Start = Callable[[Responder], FakePeer]


def chunk(index: int, pixels: list[int], frame: int = 5, channel: int = 0) -> ScDataChunk:
    return ScDataChunk(frame, channel, index, 8, bytes(pixels))


# ------------------------------------------------------------------ the assembler on its own


def test_chunks_in_order_make_the_image() -> None:
    a = FrameAssembler(5, 0, 6, 8)
    assert a.add(chunk(0, [1, 2, 3]))
    assert not a.is_complete()
    assert a.add(chunk(3, [4, 5, 6]))
    assert a.is_complete()
    assert a.pixels().tolist() == [1, 2, 3, 4, 5, 6]


def test_chunks_of_other_frames_and_channels_are_ignored() -> None:
    a = FrameAssembler(5, 1, 3, 8)
    assert not a.add(chunk(0, [9, 9, 9], frame=4, channel=1))  # an earlier scan's late data
    assert not a.add(chunk(0, [8, 8, 8], frame=5, channel=0))  # another channel
    assert a.received == 0
    assert a.add(chunk(0, [1, 2, 3], frame=5, channel=1))
    assert a.pixels().tolist() == [1, 2, 3]


def test_a_repeated_chunk_rewinds_and_what_follows_overwrites() -> None:
    a = FrameAssembler(5, 0, 6, 8)
    a.add(chunk(0, [1, 2, 3]))
    a.add(chunk(3, [4, 5]))
    a.add(chunk(2, [30, 40]))  # sent again from pixel 2, with other values
    assert (a.received, a.rewinds) == (4, 1)
    a.add(chunk(4, [50, 60]))
    assert a.pixels().tolist() == [1, 2, 30, 40, 50, 60]


def test_a_gap_fails_the_image_and_says_where() -> None:
    a = FrameAssembler(5, 0, 9, 8)
    a.add(chunk(0, [1, 2, 3]))
    with pytest.raises(ScanDataError, match="starts at pixel 6 but only 3 of 9") as info:
        a.add(chunk(6, [7, 8, 9]))
    assert info.value.kind == "gap"


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (ScDataChunk(5, 0, 0, 16, b"\x01\x00"), "16 bpp in a 8 bpp image"),
        (ScDataChunk(5, 0, 2, 8, b"\x01\x02"), "past the image's 3"),
    ],
)
def test_a_chunk_that_does_not_fit_is_malformed(bad: ScDataChunk, match: str) -> None:
    a = FrameAssembler(5, 0, 3, 8)
    a.add(chunk(0, [1, 2]))
    with pytest.raises(ScanDataError, match=match) as info:
        a.add(bad)
    assert info.value.kind == "malformed"


def test_sixteen_bit_pixels_are_little_endian() -> None:
    a = FrameAssembler(1, 0, 2, 16)
    a.add(ScDataChunk(1, 0, 0, 16, b"\x01\x02\xff\x00"))
    pixels = a.pixels()
    assert pixels.dtype == np.uint16
    assert pixels.tolist() == [0x0201, 0x00FF]
    with pytest.raises(ScanDataError, match="not whole 16-bit pixels"):
        FrameAssembler(1, 0, 2, 16).add(ScDataChunk(1, 0, 0, 16, b"\x01\x02\x03"))


def test_an_incomplete_image_has_no_pixels() -> None:
    a = FrameAssembler(1, 0, 4, 8)
    a.add(chunk(0, [1], frame=1))
    with pytest.raises(ScanDataError, match="only 1 of 4"):
        a.pixels()


# ------------------------------------------------------------------ over real sockets


def registering(message: Message) -> Action:
    if message.name == "TcpRegDataPort":
        return [reply(message, "i", 0)]
    return None


def channel_to(peer: FakePeer) -> tuple[Connection, DataChannel]:
    conn = Connection("127.0.0.1", peer.port, timeout_s=2.0)
    conn.open()
    data = DataChannel(conn)
    data.open()
    return conn, data


def test_opening_registers_the_local_port_and_connects_to_port_plus_one(fake_peer: Start) -> None:
    peer = fake_peer(registering)
    conn, data = channel_to(peer)
    assert data.is_open
    assert peer.data_port_registered is not None
    assert peer.data_port_registered > 0
    peer.send_data(chunk(0, [1, 2, 3, 4]).message())
    assert data.receive(5, 0, 2, 2, 8, stall_timeout_s=2).tolist() == [[1, 2], [3, 4]]
    conn.close()


def test_closing_control_closes_the_data_channel_first(fake_peer: Start) -> None:
    conn, data = channel_to(fake_peer(registering))
    conn.close()
    assert not data.is_open


def test_a_refused_registration_is_an_error(fake_peer: Start) -> None:
    peer = fake_peer(lambda m: [reply(m, "i", -1)])
    conn = Connection("127.0.0.1", peer.port, timeout_s=2.0)
    conn.open()
    with pytest.raises(Exception, match=r"TcpRegDataPort\(\d+\) returned -1"):
        DataChannel(conn).open()
    conn.close()


def test_chunks_fed_one_byte_at_a_time_with_a_repeat_reassemble(fake_peer: Start) -> None:
    peer = fake_peer(registering)
    conn, data = channel_to(peer)
    stream = b"".join(
        c.message()
        for c in (
            chunk(0, [9, 9, 9], frame=4),  # late data of an earlier frame
            chunk(0, [1, 2, 3]),
            chunk(3, [4, 5, 6]),
            chunk(3, [4, 5, 6]),  # the same chunk again
            chunk(6, [7, 8, 9]),
        )
    )

    def feed() -> None:
        for k in range(len(stream)):
            peer.send_data(stream[k : k + 1])

    feeder = threading.Thread(target=feed)
    feeder.start()
    seen: list[int] = []
    image = data.receive(5, 0, 3, 3, 8, stall_timeout_s=5, progress=lambda d, t: seen.append(d))
    feeder.join()
    assert image.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert seen == [3, 6, 6, 9]
    conn.close()


def test_a_gap_on_the_wire_fails_the_acquisition(fake_peer: Start) -> None:
    peer = fake_peer(registering)
    conn, data = channel_to(peer)
    peer.send_data(chunk(0, [1, 2]).message() + chunk(4, [5, 6]).message())
    with pytest.raises(ScanDataError, match="starts at pixel 4") as info:
        data.receive(5, 0, 3, 2, 8, stall_timeout_s=2)
    assert info.value.kind == "gap"
    conn.close()


def test_a_stall_fails_the_acquisition(fake_peer: Start) -> None:
    peer = fake_peer(registering)
    conn, data = channel_to(peer)
    peer.send_data(chunk(0, [1, 2]).message() + chunk(0, [9, 9], frame=6).message())
    with pytest.raises(ScanDataError, match=r"no image data for 0\.3 s after 2 of 4") as info:
        data.receive(5, 0, 2, 2, 8, stall_timeout_s=0.3)
    assert (info.value.kind, info.value.command) == ("stall", "ScData")
    conn.close()


def test_a_dropped_data_connection_fails_the_acquisition_and_closes_the_channel(
    fake_peer: Start,
) -> None:
    peer = fake_peer(registering)
    conn, data = channel_to(peer)
    peer.send_data(chunk(0, [1, 2]).message())
    peer.close_data()
    with pytest.raises(ScanDataError, match="dropped after 2 of 4 pixels") as info:
        data.receive(5, 0, 2, 2, 8, stall_timeout_s=5)
    assert info.value.kind == "dropped"
    assert not data.is_open
    conn.close()


def test_cancel_ends_the_wait(fake_peer: Start) -> None:
    conn, data = channel_to(fake_peer(registering))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ScanCancelled, match="cancelled after 0 of 4"):
        data.receive(5, 0, 2, 2, 8, stall_timeout_s=5, cancel=cancel)
    conn.close()


def test_a_reconnected_control_connection_makes_the_data_channel_stale(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        if message.name == "GetWD" and peer.connections == 1:
            return "close"
        return registering(message) or [reply(message, "f", 1.0)]

    peer = fake_peer(respond)
    conn, data = channel_to(peer)
    conn.call_float("GetWD")  # dropped, reconnected, read again
    assert peer.connections == 2
    assert not data.is_open  # registered under the old connection: open() again
    conn.close()
