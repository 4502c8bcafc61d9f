"""The control connection against a scripted peer: waits, timeouts, late replies, reconnects."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from semphony.server.drivers.tescan import (
    FLAG_REPLY,
    WAIT_B,
    Connection,
    ConnectionLostError,
    Message,
    NoReplyError,
    ProtocolError,
    encode_message,
)

from .conftest import Action, FakePeer, Responder, reply

Start = Callable[[Responder], FakePeer]


def silent(message: Message) -> Action:
    return None


def opened(peer: FakePeer, timeout_s: float = 0.3) -> Connection:
    conn = Connection("127.0.0.1", peer.port, timeout_s=timeout_s, connect_timeout_s=2.0)
    conn.open()
    return conn


def test_silence_becomes_a_no_reply_error_that_names_the_command(fake_peer: Start) -> None:
    conn = opened(fake_peer(silent), timeout_s=0.2)
    with pytest.raises(NoReplyError) as info:
        conn.call_str("TcpGetVersion")
    assert info.value.command == "TcpGetVersion"
    assert str(info.value) == (
        "no answer to TcpGetVersion within 0.2 s: unknown command, bad arguments or an old server"
    )
    conn.close()


def test_a_void_command_is_not_awaited_unless_sent_with_the_reply_flag(fake_peer: Start) -> None:
    peer = fake_peer(silent)
    conn = opened(peer, timeout_s=0.2)
    assert conn.call("VacPump") == ()  # would raise NoReplyError if it waited
    with pytest.raises(NoReplyError, match="VacVent"):
        conn.call("VacVent", reply=True)
    conn.close()
    assert [m.header.flags for m in peer.received] == [0, FLAG_REPLY]


def test_a_void_command_with_the_reply_flag_returns_on_its_empty_reply(fake_peer: Start) -> None:
    peer = fake_peer(lambda m: [reply(m, "")])
    conn = opened(peer)
    assert conn.call("StgMoveTo", 1.0, 2.0, wait=WAIT_B, reply=True) == ()
    header = peer.received[0].header
    assert header.flags == WAIT_B | FLAG_REPLY
    conn.close()


def test_each_request_has_a_fresh_id_and_the_reply_must_carry_it(fake_peer: Start) -> None:
    peer = fake_peer(lambda m: [reply(m, "f", 10.5)])
    conn = opened(peer)
    assert [conn.call_float("GetWD") for _ in range(3)] == [10.5] * 3
    ids = [m.header.request_id for m in peer.received]
    assert len(set(ids)) == 3
    assert 0 not in ids
    conn.close()


def test_a_late_reply_to_a_timed_out_request_is_discarded(fake_peer: Start) -> None:
    held: list[Message] = []

    def respond(message: Message) -> Action:
        if not held:  # the first GetWD gets its answer only after the second is asked
            held.append(message)
            return None
        return [reply(held[0], "f", 1.0), reply(message, "f", 2.0)]

    conn = opened(fake_peer(respond), timeout_s=0.2)
    with pytest.raises(NoReplyError):
        conn.call_float("GetWD")
    assert conn.call_float("GetWD") == 2.0
    conn.close()


def test_a_late_reply_without_ids_is_discarded_too(fake_peer: Start) -> None:
    held: list[Message] = []

    def respond(message: Message) -> Action:  # a server that never copies the id
        if not held:
            held.append(message)
            return None
        return [reply(held[0], "f", 1.0, request_id=0), reply(message, "f", 2.0, request_id=0)]

    conn = opened(fake_peer(respond), timeout_s=0.2)
    with pytest.raises(NoReplyError):
        conn.call_float("GetWD")
    assert conn.call_float("GetWD") == 2.0
    conn.close()


def test_replies_split_into_single_bytes_are_reassembled(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        frame = reply(message, "s", "3.2.9")
        return [frame[k : k + 1] for k in range(len(frame))]

    conn = opened(fake_peer(respond))
    assert conn.call_str("TcpGetVersion") == "3.2.9"
    conn.close()


def test_a_read_in_flight_when_the_connection_drops_is_read_again_once(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        return "close" if len(peer.received) == 1 else [reply(message, "fffff", *[1.0] * 5)]

    peer = fake_peer(respond)
    conn = opened(peer)
    assert conn.call_floats("StgGetPosition") == (1.0,) * 5
    assert peer.connections == 2
    assert peer.names() == ["StgGetPosition", "StgGetPosition"]
    conn.close()


def test_a_command_with_an_effect_is_reported_failed_and_never_sent_again(
    fake_peer: Start,
) -> None:
    def respond(message: Message) -> Action:
        if message.name == "ScScanXY":
            return "close"
        return [reply(message, "f", 10.0)]

    peer = fake_peer(respond)
    conn = opened(peer)
    with pytest.raises(ConnectionLostError, match="not sent again") as info:
        conn.call_int("ScScanXY", 1, 64, 64, 0, 0, 63, 63, 1)
    assert info.value.command == "ScScanXY"
    assert conn.call_float("GetWD") == 10.0  # reconnected for the next command
    assert peer.names() == ["ScScanXY", "GetWD"]
    assert peer.connections == 2
    conn.close()


def test_a_connection_found_dropped_before_sending_is_reopened_first(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        if message.name == "VacPump":
            return "close"  # the void command arrived; then the server went away
        return [reply(message, "i", 0)]

    peer = fake_peer(respond)
    conn = opened(peer)
    conn.call("VacPump")
    assert peer.closed.wait(5)
    assert conn.call_int("VacGetStatus") == 0
    assert peer.names() == ["VacPump", "VacGetStatus"]  # VacPump was not sent again
    assert peer.connections == 2
    conn.close()


def test_a_malformed_reply_is_a_protocol_error_and_the_connection_stays(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        if message.name == "GetWD":
            return [reply(message, "s", "not a number")]
        return [reply(message, "i", 1)]

    conn = opened(fake_peer(respond))
    with pytest.raises(ProtocolError, match="strtod") as info:
        conn.call_float("GetWD")
    assert info.value.command == "GetWD"
    assert conn.call_int("StgIsBusy") == 1
    conn.close()


def test_bytes_out_of_step_drop_the_connection(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        if len(peer.received) == 1:
            return [bytes(32)]  # a header without a name: nothing after it can be trusted
        return [reply(message, "i", 0)]

    peer = fake_peer(respond)
    conn = opened(peer)
    assert conn.call_int("VacGetStatus") == 0  # a read: reconnected and read again
    assert peer.connections == 2
    conn.close()


def test_an_unreachable_server_is_an_error_naming_the_address() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens here
    conn = Connection("127.0.0.1", port, connect_timeout_s=1.0)
    with pytest.raises(ConnectionLostError, match=f"127.0.0.1:{port}"):
        conn.open()


def test_a_closed_connection_refuses_commands(fake_peer: Start) -> None:
    conn = opened(fake_peer(silent))
    conn.close()
    with pytest.raises(ConnectionLostError, match="not open"):
        conn.call("VacPump")


@pytest.mark.parametrize(
    ("name", "args", "match"),
    [
        ("NoSuchCommand", (), "not a command"),
        ("StgMoveTo", (), "takes 1 to 5 arguments"),
        ("SetWD", ("ten",), "SetWD: a FLOAT argument"),
        ("ScSetSpeed", (2**40,), "ScSetSpeed: INT"),
    ],
)
def test_a_wrong_call_is_refused_before_anything_is_sent(
    fake_peer: Start, name: str, args: tuple[object, ...], match: str
) -> None:
    peer = fake_peer(silent)
    conn = opened(peer)
    with pytest.raises(ValueError, match=match):
        conn.call(name, *args)  # type: ignore[arg-type]
    conn.close()
    assert peer.received == []


def test_raw_frames_from_another_client_library_are_understood(fake_peer: Start) -> None:
    # A reply whose string count includes the padding and one whose count is 64 with junk.
    def respond(message: Message) -> Action:
        junk = b"3.2.9\0" + b"\xaa" * 58
        body = (64).to_bytes(4, "little") + junk
        return [encode_message(message.name, body, request_id=message.header.request_id)]

    conn = opened(fake_peer(respond))
    assert conn.call_str("TcpGetVersion") == "3.2.9"
    conn.close()


def _answer(message: Message) -> bytes:
    if message.name == "GetWD":
        return reply(message, "f", 10.0)
    return reply(message, "i", 0 if message.name == "VacGetStatus" else 1)


def _answers(message: Message) -> Action:
    return [_answer(message)]


def test_a_batch_of_reads_goes_out_at_once_and_each_answer_is_taken_by_its_id(
    fake_peer: Start,
) -> None:
    held: list[Message] = []

    def respond(message: Message) -> Action:  # answers the batch only once all of it arrived,
        held.append(message)  # and in reverse order: the ids, not the order, pair them
        if len(held) < 3:
            return None
        return [b"".join(_answer(m) for m in reversed(held))]

    peer = fake_peer(respond)
    conn = opened(peer)
    got = conn.read_many([("VacGetStatus", ()), ("HVGetBeam", ()), ("GetWD", ())])
    assert got == [(0,), (1,), (10.0,)]
    assert peer.names() == ["VacGetStatus", "HVGetBeam", "GetWD"]
    conn.close()


def test_a_silent_read_in_a_batch_names_itself_and_the_late_answers_are_discarded(
    fake_peer: Start,
) -> None:
    held: list[Message] = []

    def respond(message: Message) -> Action:
        # HVGetBeam and the batch's GetWD (1.0) are answered only with the next command's GetWD
        if message.name == "HVGetBeam" or (message.name == "GetWD" and not held[1:]):
            held.append(message)
            return None
        if message.name != "GetWD":
            return _answers(message)
        late = [reply(held[0], "i", 1), reply(held[1], "f", 1.0)]
        return [*late, reply(message, "f", 2.0)]

    conn = opened(fake_peer(respond), timeout_s=0.2)
    with pytest.raises(NoReplyError) as info:
        conn.read_many([("VacGetStatus", ()), ("HVGetBeam", ()), ("GetWD", ())])
    assert info.value.command == "HVGetBeam"
    assert conn.call_float("GetWD") == 2.0  # neither late answer is taken for this one
    conn.close()


def test_a_batch_in_flight_when_the_connection_drops_is_read_again_once(fake_peer: Start) -> None:
    def respond(message: Message) -> Action:
        return "close" if len(peer.received) == 1 else _answers(message)

    peer = fake_peer(respond)
    conn = opened(peer)
    assert conn.read_many([("VacGetStatus", ()), ("GetWD", ())]) == [(0,), (10.0,)]
    assert peer.connections == 2
    conn.close()


@pytest.mark.parametrize("name", ["VacPump", "SetWD", "NoSuchCommand"])
def test_a_batch_takes_only_commands_that_read_and_answer(fake_peer: Start, name: str) -> None:
    peer = fake_peer(_answers)
    conn = opened(peer)
    with pytest.raises(ValueError, match="only reads and answers"):
        conn.read_many([("GetWD", ()), (name, ())])
    assert peer.received == []
    conn.close()
