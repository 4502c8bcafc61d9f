"""The SharkSEM codec: byte-exact vectors from SHARKSEM.md, tolerant decoding, round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semphony.server.drivers.tescan import (
    COMMANDS,
    FLAG_HEAD_OF_QUEUE,
    FLAG_REPLY,
    SC_DATA,
    WAIT_A,
    WAIT_B,
    WAIT_D,
    ArgType,
    FrameParser,
    Header,
    ProtocolError,
    ScDataChunk,
    Signature,
    Value,
    decode_args,
    decode_value,
    encode_args,
    encode_message,
    encode_string,
    encode_value,
    parse_version,
)


def hx(text: str) -> bytes:
    """Hex as SHARKSEM.md writes it: bytes separated by spaces, fields by '|'."""
    return bytes.fromhex(text.replace("|", " "))


# ------------------------------------------------------------------ vectors from SHARKSEM.md

TCP_GET_VERSION = hx(
    "54 63 70 47 65 74 56 65 72 73 69 6f 6e 00 00 00 | 00 00 00 00 | 00 00 00 00 | 00 00 | 00 00 "
    "| 00 00 00 00"
)


def test_the_tcp_get_version_request_header_is_byte_exact() -> None:
    assert encode_message("TcpGetVersion") == TCP_GET_VERSION
    assert Header.decode(TCP_GET_VERSION) == Header("TcpGetVersion")


def test_the_id_and_the_reply_bit_land_in_bytes_20_to_27() -> None:
    frame = encode_message("TcpGetVersion", request_id=7, flags=FLAG_REPLY)
    assert frame[:20] == TCP_GET_VERSION[:20]
    assert frame[20:28] == hx("07 00 00 00 | 01 00 | 00 00")
    assert frame[28:] == TCP_GET_VERSION[28:]
    header = Header.decode(frame)
    assert header.request_id == 7
    assert header.wants_reply


def test_int_minus_one_and_unsigned_8301() -> None:
    assert encode_value(ArgType.INT, -1) == hx("ff ff ff ff")
    assert encode_value(ArgType.UINT, 8301) == hx("6d 20 00 00")
    assert decode_value(ArgType.INT, hx("ff ff ff ff"), 0) == (-1, 4)
    assert decode_value(ArgType.UINT, hx("6d 20 00 00"), 0) == (8301, 4)


MANUAL_STRING = hx("05 00 00 00 | 33 2e 31 34 00 | 00 00 00")
TESCAN_CLIENT_STRING = hx("08 00 00 00 | 33 2e 31 34 00 00 00 00")


def test_the_string_3_14_both_ways_a_sender_counts_it() -> None:
    assert encode_string("3.14", count_padding=False) == MANUAL_STRING
    assert encode_string("3.14", count_padding=True) == TESCAN_CLIENT_STRING


@pytest.mark.parametrize("body", [MANUAL_STRING, TESCAN_CLIENT_STRING])
def test_both_string_counts_decode_to_the_same_text_and_float(body: bytes) -> None:
    assert decode_value(ArgType.STRING, body, 0) == ("3.14", 12)
    assert decode_value(ArgType.FLOAT, body, 0) == (3.14, 12)


def test_a_count_64_reply_string_with_junk_after_the_nul_reads_as_the_text_before_it() -> None:
    field = b"3.2.9\0" + bytes(range(0x41, 0x41 + 58))  # junk, no zeros, after the NUL
    body = (64).to_bytes(4, "little") + field + encode_value(ArgType.INT, 42)
    assert len(field) == 64
    assert decode_args(Signature.parse("si").types, body) == ("3.2.9", 42)


def test_float_one_half_is_the_string_0_5() -> None:
    assert encode_value(ArgType.FLOAT, 0.5) == hx("04 00 00 00 | 30 2e 35 00")
    assert encode_value(ArgType.FLOAT, 0.5, count_padding=False) == hx("04 00 00 00 | 30 2e 35 00")


SC_DATA_BODY = hx(
    "05 00 00 00 | 00 00 00 00 | 00 00 00 00 | 08 00 00 00 | 03 00 00 00 | 01 02 03 | 00"
)


def test_the_sc_data_vector_encodes_and_decodes() -> None:
    chunk = ScDataChunk(frame_id=5, channel=0, index=0, bpp=8, data=bytes([1, 2, 3]))
    assert chunk.encode() == SC_DATA_BODY
    assert ScDataChunk.decode(SC_DATA_BODY) == chunk
    # The declared signature reads the same body the same way.
    assert decode_args(SC_DATA.types, SC_DATA_BODY) == (5, 0, 0, 8, bytes([1, 2, 3]))


# ------------------------------------------------------------------ tolerant and strict decoding


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3.1415e-3", 3.1415e-3),
        ("  -2.5", -2.5),
        ("1e3junk", 1000.0),
        ("+.5", 0.5),
        ("0x1p-3", 0.125),
        ("-0x10", -16.0),
        ("7", 7.0),
        ("inf", math.inf),
    ],
)
def test_floats_are_read_the_way_strtod_reads_them(text: str, value: float) -> None:
    body = encode_string(text)
    assert decode_value(ArgType.FLOAT, body, 0)[0] == value


@pytest.mark.parametrize("text", ["", "abc", "_1", "--1"])
def test_a_float_that_is_no_number_is_a_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError, match="strtod"):
        decode_value(ArgType.FLOAT, encode_string(text), 0, "GetWD")


def test_a_count_running_past_the_body_is_a_protocol_error_naming_the_command() -> None:
    body = (100).to_bytes(4, "little") + b"abc\0"
    with pytest.raises(ProtocolError, match="claims 100 bytes") as info:
        decode_value(ArgType.STRING, body, 0, "GetWD")
    assert info.value.command == "GetWD"


def test_a_missing_required_argument_is_refused_and_optional_ones_may_be_left_off() -> None:
    sig = COMMANDS["StgMoveTo"].args
    one = encode_args(sig.types, [1.5])
    assert decode_args(sig.types, one, required=sig.required) == (1.5,)
    with pytest.raises(ProtocolError, match="needs at least 1"):
        decode_args(sig.types, b"", required=sig.required, command="StgMoveTo")


def test_bytes_after_the_last_argument_are_ignored() -> None:
    body = encode_value(ArgType.INT, 3) + b"\xde\xad\xbe\xef"
    assert decode_args((ArgType.INT,), body) == (3,)


def test_a_map_reads_key_value_lines_and_skips_others() -> None:
    body = encode_string("speed.1.dwell=0.1\r\nnot a pair\n\nspeed.2.dwell = 0.32\n")
    assert decode_value(ArgType.MAP, body, 0)[0] == {
        "speed.1.dwell": "0.1",
        "speed.2.dwell": "0.32",
    }


def test_an_empty_blob_is_valid() -> None:
    assert encode_value(ArgType.BLOB, b"") == hx("00 00 00 00")
    assert decode_value(ArgType.BLOB, hx("00 00 00 00"), 0) == (b"", 4)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ArgType.INT, 2**31),
        (ArgType.INT, True),
        (ArgType.UINT, -1),
        (ArgType.FLOAT, math.nan),
        (ArgType.FLOAT, "1.0"),
        (ArgType.STRING, "a\0b"),
        (ArgType.MAP, {"a=b": "c"}),
        (ArgType.BLOB, "text"),
    ],
)
def test_a_value_the_type_cannot_carry_is_refused_before_anything_is_sent(
    kind: ArgType, value: Value
) -> None:
    with pytest.raises(ValueError, match=kind.name):
        encode_value(kind, value)


def test_the_header_carries_flags_and_queue_and_refuses_what_does_not_fit() -> None:
    flags = FLAG_REPLY | FLAG_HEAD_OF_QUEUE | WAIT_A | WAIT_D
    frame = encode_message("StgMoveTo", b"", request_id=2**32 - 1, flags=flags, queue_id=3)
    header = Header.decode(frame)
    assert (header.flags, header.queue_id, header.request_id) == (flags, 3, 2**32 - 1)
    assert header.wait_mask == WAIT_A | WAIT_D
    with pytest.raises(ValueError, match="1 to 15 ASCII"):
        Header("SixteenCharsLong").encode()
    with pytest.raises(ValueError, match="bits SharkSEM does not define"):
        encode_message("GetWD", flags=1 << 15)


def test_a_header_without_a_name_is_not_a_sharksem_stream() -> None:
    with pytest.raises(ProtocolError, match="without a command name"):
        FrameParser().feed(bytes(32))


# ------------------------------------------------------------------ the frame parser


def test_the_parser_copes_with_bytes_fed_one_at_a_time() -> None:
    frames = [
        encode_message("GetWD", b"", request_id=1),
        encode_message("SetWD", encode_value(ArgType.FLOAT, 10.25), request_id=2),
        ScDataChunk(9, 1, 4, 16, bytes(range(10))).message(),
    ]
    stream = b"".join(frames)
    parser = FrameParser()
    got = []
    for k in range(len(stream)):
        got.extend(parser.feed(stream[k : k + 1]))
    assert [m.name for m in got] == ["GetWD", "SetWD", "ScData"]
    assert decode_value(ArgType.FLOAT, got[1].body, 0)[0] == 10.25
    assert ScDataChunk.decode(got[2].body).data == bytes(range(10))
    assert parser.pending == 0


def test_a_body_size_beyond_the_limit_means_the_stream_is_out_of_step() -> None:
    with pytest.raises(ProtocolError, match="out of step"):
        FrameParser(max_body=1024).feed(Header("ScData", body_size=4096).encode())


# ------------------------------------------------------------------ round trips (hypothesis)

_text = st.text(st.characters(exclude_characters="\0", exclude_categories=["Cs"]), max_size=40)
_values: dict[ArgType, st.SearchStrategy[Value]] = {
    ArgType.INT: st.integers(-(2**31), 2**31 - 1),
    ArgType.UINT: st.integers(0, 2**32 - 1),
    ArgType.FLOAT: st.floats(allow_nan=False, allow_infinity=False),
    ArgType.STRING: _text,
    ArgType.BLOB: st.binary(max_size=40),
    ArgType.MAP: st.dictionaries(
        st.text(
            st.characters(exclude_characters="=\n\r\0", exclude_categories=["Cs", "Z"]),
            min_size=1,
            max_size=8,
        ).filter(lambda s: s == s.strip()),
        st.text(
            st.characters(exclude_characters="\n\r\0", exclude_categories=["Cs", "Z"]),
            max_size=8,
        ).filter(lambda s: s == s.strip()),
        max_size=5,
    ),
}


@st.composite
def _typed_args(draw: st.DrawFn) -> tuple[list[ArgType], list[Value]]:
    kinds = draw(st.lists(st.sampled_from(list(ArgType)), max_size=8))
    return kinds, [draw(_values[k]) for k in kinds]


@given(_typed_args(), st.booleans())
def test_any_arguments_survive_a_round_trip(
    typed: tuple[list[ArgType], list[Value]], count_padding: bool
) -> None:
    kinds, values = typed
    body = encode_args(kinds, values, count_padding=count_padding)
    assert len(body) % 4 == 0
    assert decode_args(kinds, body) == tuple(values)


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=23))
def test_strings_of_every_length_are_padded_to_four_and_counted_either_way(text: str) -> None:
    manual = encode_string(text, count_padding=False)
    tescan = encode_string(text, count_padding=True)
    assert int.from_bytes(manual[:4], "little") == len(text) + 1
    assert int.from_bytes(tescan[:4], "little") == len(tescan) - 4
    assert len(manual) == len(tescan)
    assert len(manual) % 4 == 0
    assert decode_value(ArgType.STRING, manual, 0) == (text, len(manual))
    assert decode_value(ArgType.STRING, tescan, 0) == (text, len(tescan))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_goes_out_as_text_strtod_reads_back_exactly(value: float) -> None:
    body = encode_value(ArgType.FLOAT, value)
    raw = body[4 : 4 + int.from_bytes(body[:4], "little")].split(b"\0")[0].decode()
    assert float(raw) == value
    assert decode_value(ArgType.FLOAT, body, 0)[0] == value


@given(_typed_args(), st.data())
def test_messages_split_anywhere_reassemble(
    typed: tuple[list[ArgType], list[Value]], data: st.DataObject
) -> None:
    kinds, values = typed
    frame = encode_message("DtEnable", encode_args(kinds, values), request_id=5)
    stream = frame * 2
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    parser = FrameParser()
    got = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got.extend(parser.feed(stream[a:b]))
    assert len(got) == 2
    assert all(decode_args(kinds, m.body) == tuple(values) for m in got)


# ------------------------------------------------------------------ the command table

ISSUE_COMMANDS = {
    # name: (args, returns, introduced in)
    "TcpGetVersion": ("", "s", "1.0.5"),
    "TcpGetSWVersion": ("", "s", "2.0.9"),
    "TcpGetDevice": ("", "s", "2.0.3"),
    "TcpGetModel": ("", "s", "3.2.20"),
    "TcpRegDataPort": ("u", "i", "0.0.0"),
    "VacGetStatus": ("", "i", "0.0.0"),
    "VacPump": ("", "", "0.0.0"),
    "VacVent": ("", "", "0.0.0"),
    "VacGetPressure": ("i", "f", "0.0.0"),
    "HVGetBeam": ("", "i", "0.0.0"),
    "HVBeamOn": ("", "", "0.0.0"),
    "HVBeamOff": ("", "", "0.0.0"),
    "HVGetVoltage": ("", "f", "0.0.0"),
    "HVSetVoltage": ("f[i]", "", "0.0.0"),
    "GetBeamCurrent": ("", "f", "2.0.19"),
    "SetBeamCurrent": ("f", "", "2.0.19"),
    "StgGetPosition": ("", "fffff[f]", "0.0.0"),
    "StgMoveTo": ("f[ffff]", "", "0.0.0"),
    "StgIsBusy": ("", "i", "0.0.0"),
    "StgStop": ("", "", "0.0.0"),
    "StgIsCalibrated": ("", "i", "0.0.0"),
    "StgGetLimits": ("i", "ffffffffff[ff]", "0.0.0"),
    "GetViewField": ("", "f", "0.0.0"),
    "SetViewField": ("f", "", "0.0.0"),
    "GetWD": ("", "f", "0.0.0"),
    "SetWD": ("f", "", "0.0.0"),
    "GetImageShift": ("", "ff", "0.0.0"),
    "SetImageShift": ("ff", "", "0.0.0"),
    "GetImageRot": ("", "f", "3.2.1"),
    "SetImageRot": ("f", "", "3.2.1"),
    "DtEnumDetectors": ("", "m", "0.0.0"),
    "DtSelect": ("ii", "", "0.0.0"),
    "DtEnable": ("ii[i]", "", "0.0.0"),
    "ScEnumSpeeds": ("", "m", "0.0.0"),
    "ScSetSpeed": ("i", "", "0.0.0"),
    "ScScanXY": ("uuuuuuui[uu]", "i", "0.0.0"),
    "ScStopScan": ("", "", "0.0.0"),
    "AutoWD": ("i[ff]", "", "0.0.0"),
    "DtAutoSignal": ("i", "", "0.0.0"),
    "IsBusy": ("u", "i", "0.0.0"),
}


def test_the_table_declares_every_command_of_the_issue_with_its_signature_and_version() -> None:
    assert set(COMMANDS) == set(ISSUE_COMMANDS)
    for name, (args, returns, since) in ISSUE_COMMANDS.items():
        command = COMMANDS[name]
        assert (str(command.args), str(command.returns)) == (args, returns), name
        assert command.since == parse_version(since), name
        assert command.void == (returns == "")


def test_only_pure_reads_may_be_sent_again() -> None:
    reads = {n for n, c in COMMANDS.items() if c.reads_only}
    assert "StgMoveTo" not in reads
    assert "TcpRegDataPort" not in reads
    assert "ScScanXY" not in reads
    assert {"GetWD", "StgGetPosition", "IsBusy", "ScEnumSpeeds", "VacGetStatus"} <= reads
    assert all(COMMANDS[n].void is False for n in reads)


def test_versions_parse_and_order() -> None:
    assert parse_version("3.2.9") < parse_version("3.2.20") < parse_version("3.10")
    assert COMMANDS["GetImageRot"].available_in(parse_version("3.2.1"))
    assert not COMMANDS["GetImageRot"].available_in(parse_version("3.1.0"))
    with pytest.raises(ValueError, match="not a protocol version"):
        parse_version("3.x")


def test_wait_flags_sit_at_bits_8_to_14() -> None:
    assert (WAIT_A, WAIT_B, WAIT_D) == (1 << 8, 1 << 9, 1 << 11)
