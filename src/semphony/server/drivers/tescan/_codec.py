"""The SharkSEM wire format: the 32-byte header, the argument types, an incremental frame parser.

Every message, both ways, is a 32-byte little-endian header followed by a body of 4-byte-aligned
arguments (see ../shared/SHARKSEM.md, "Framing" and "Argument types"):

- int and unsigned: 4 bytes;
- float: a string in C ``strtod`` syntax;
- string: a u32 byte count, the bytes, a NUL, padding to 4. Senders disagree on what the count
  covers (the NUL only, the padding too, or a fixed 64 with junk after the NUL), so the decoder
  takes the count as the size of the field (rounded up to 4) and cuts the text at the first NUL;
- blob: a u32 byte count, the bytes, padding to 4;
- map: a string of ``key=value`` lines.

Decoding is tolerant where real servers differ and strict where a mistake would be silent: a body
that ends before a required argument, a count running past the body or a float that is no number
is a `ProtocolError`.
"""

from __future__ import annotations

import enum
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from semphony.server.drivers.tescan._errors import ProtocolError

__all__ = [
    "FLAG_HEAD_OF_QUEUE",
    "FLAG_REPLY",
    "HEADER_SIZE",
    "WAIT_A",
    "WAIT_B",
    "WAIT_C",
    "WAIT_D",
    "WAIT_E",
    "WAIT_F",
    "WAIT_G",
    "ArgType",
    "FrameParser",
    "Header",
    "Message",
    "Value",
    "decode_args",
    "decode_value",
    "encode_args",
    "encode_message",
    "encode_string",
    "encode_value",
]

HEADER_SIZE = 32
_HEADER = struct.Struct("<16sIIHHI")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")

FLAG_REPLY = 1 << 0
"""Header flag: answer this command even when it returns nothing."""
FLAG_HEAD_OF_QUEUE = 1 << 1
"""Header flag: put the command at the head of the server's queue."""
WAIT_A = 1 << 8  # e-beam scanning
WAIT_B = 1 << 9  # stage / detector travel
WAIT_C = 1 << 10  # e-beam optics
WAIT_D = 1 << 11  # e-beam auto procedures
WAIT_E = 1 << 12  # FIB (E-G)
WAIT_F = 1 << 13
WAIT_G = 1 << 14
_KNOWN_FLAGS = FLAG_REPLY | FLAG_HEAD_OF_QUEUE | WAIT_A | WAIT_B | WAIT_C | WAIT_D
_KNOWN_FLAGS |= WAIT_E | WAIT_F | WAIT_G
_NAME_MAX = 15
DEFAULT_MAX_BODY = 1 << 30  # 1 GiB: far above any ScData chunk, low enough to stop a garbage size


class ArgType(enum.Enum):
    """A SharkSEM argument type; the letter is used in `Command` signatures."""

    INT = "i"
    UINT = "u"
    FLOAT = "f"
    STRING = "s"
    BLOB = "b"
    MAP = "m"


Value = int | float | str | bytes | dict[str, str]
"""A decoded argument: int (INT, UINT), float, str, bytes (BLOB) or dict (MAP)."""


@dataclass(frozen=True)
class Header:
    """The 32-byte header: `flags` holds the reply bit, head-of-queue bit and wait flags A..G."""

    name: str
    body_size: int = 0
    request_id: int = 0
    flags: int = 0
    queue_id: int = 0
    reserved: int = 0

    def encode(self) -> bytes:
        raw = self.name.encode("ascii") if self.name.isascii() else b""
        if not raw or len(raw) > _NAME_MAX or b"\0" in raw:
            raise ValueError(
                f"command name {self.name!r} must be 1 to {_NAME_MAX} ASCII characters"
            )
        for field, value, bits in (
            ("body_size", self.body_size, 32),
            ("request_id", self.request_id, 32),
            ("flags", self.flags, 16),
            ("queue_id", self.queue_id, 16),
            ("reserved", self.reserved, 32),
        ):
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{field}={value!r} does not fit an unsigned {bits}-bit field")
        return _HEADER.pack(
            raw, self.body_size, self.request_id, self.flags, self.queue_id, self.reserved
        )

    @classmethod
    def decode(cls, data: bytes) -> Header:
        if len(data) != HEADER_SIZE:
            raise ProtocolError("?", f"a header is {HEADER_SIZE} bytes, got {len(data)}")
        raw, size, request_id, flags, queue_id, reserved = _HEADER.unpack(data)
        name_bytes = raw.split(b"\0", 1)[0]
        try:
            name = name_bytes.decode("ascii")
        except UnicodeDecodeError:
            raise ProtocolError(
                "?", f"the command name {name_bytes!r} is not ASCII: not a SharkSEM stream"
            ) from None
        if not name:
            raise ProtocolError("?", "a header without a command name: not a SharkSEM stream")
        return cls(name, size, request_id, flags, queue_id, reserved)

    @property
    def wants_reply(self) -> bool:
        return bool(self.flags & FLAG_REPLY)

    @property
    def wait_mask(self) -> int:
        """The wait flags A..G (bits 8-14) as set in the header."""
        return self.flags & 0x7F00


@dataclass(frozen=True)
class Message:
    """One framed message: its header and its body (`header.body_size` bytes)."""

    header: Header
    body: bytes

    @property
    def name(self) -> str:
        return self.header.name


def encode_message(
    name: str, body: bytes = b"", *, request_id: int = 0, flags: int = 0, queue_id: int = 0
) -> bytes:
    """Header and body as one byte string."""
    if flags & ~_KNOWN_FLAGS:
        raise ValueError(f"flags={flags:#06x} sets bits SharkSEM does not define")
    header = Header(name, len(body), request_id, flags, queue_id)
    return header.encode() + body


# ------------------------------------------------------------------------------ argument values


def _pad(n: int) -> int:
    return -n % 4


def _float_text(value: float) -> str:
    # repr is the shortest text that reads back to the same double, and strtod reads it.
    return repr(float(value))


_STRTOD = re.compile(
    r"\s*([+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))",
    re.IGNORECASE,
)


def _parse_float(text: str, command: str) -> float:
    """strtod's reading: the longest number at the start (after blanks); the rest is ignored."""
    match = _STRTOD.match(text)
    if match is None:
        raise ProtocolError(command, f"{text!r} is not a number in strtod syntax")
    number = match.group(1)
    if "x" in number.lower():
        sign = -1.0 if number.startswith("-") else 1.0
        body = number.lstrip("+-")
        return sign * float.fromhex(body if "p" in body.lower() else body + "p0")
    return float(number)


def _as_int(value: Value, kind: ArgType, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a {kind.name} argument must be an int, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{kind.name} {value} is outside [{lo}, {hi}]")
    return value


def _counted(data: bytes) -> bytes:
    return _U32.pack(len(data)) + data + b"\0" * _pad(len(data))


def encode_string(text: str, *, count_padding: bool = True) -> bytes:
    """A string argument. Tescan's own client counts the padding (the default); the manual's
    example counts the NUL only (`count_padding=False`)."""
    if "\0" in text:
        raise ValueError(f"a STRING argument cannot hold a NUL: {text!r}")
    data = text.encode("utf-8") + b"\0"
    padding = b"\0" * _pad(len(data))
    count = len(data) + len(padding) if count_padding else len(data)
    return _U32.pack(count) + data + padding


def encode_value(kind: ArgType, value: Value, *, count_padding: bool = True) -> bytes:
    """One argument of type `kind`; a value of the wrong type or range is a `ValueError`."""
    if kind is ArgType.INT:
        return _I32.pack(_as_int(value, kind, -(2**31), 2**31 - 1))
    if kind is ArgType.UINT:
        return _U32.pack(_as_int(value, kind, 0, 2**32 - 1))
    if kind is ArgType.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"a FLOAT argument must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"a FLOAT argument must be finite, got {value!r}")
        return encode_string(_float_text(value), count_padding=count_padding)
    if kind is ArgType.STRING:
        if not isinstance(value, str):
            raise ValueError(f"a STRING argument must be a str, got {value!r}")
        return encode_string(value, count_padding=count_padding)
    if kind is ArgType.BLOB:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise ValueError(f"a BLOB argument must be bytes, got {type(value).__name__}")
        return _counted(bytes(value))
    if not isinstance(value, dict):
        raise ValueError(f"a MAP argument must be a dict, got {value!r}")
    lines = []
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise ValueError(f"a MAP holds str keys and values, got {key!r}={item!r}")
        if "=" in key or any(c in key + item for c in "\n\r\0"):
            raise ValueError(f"a MAP key has no '=' and no line break: {key!r}={item!r}")
        lines.append(f"{key}={item}\n")
    return encode_string("".join(lines), count_padding=count_padding)


def _field(body: bytes, offset: int, command: str, what: str) -> tuple[bytes, int]:
    """A counted field at `offset`: its bytes and the offset after its padding."""
    if offset + 4 > len(body):
        raise ProtocolError(command, f"the body ends before the byte count of {what}")
    (count,) = _U32.unpack_from(body, offset)
    start = offset + 4
    end = start + count
    if end > len(body):
        raise ProtocolError(
            command,
            f"{what} claims {count} bytes but only {len(body) - start} remain in the body",
        )
    # Tolerated: the padding after the count may be missing at the very end of the body.
    return body[start:end], min(len(body), end + _pad(count))


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def _parse_map(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for line in text.split("\n"):  # not splitlines(): a value may hold \f or \v
        key, sep, item = line.partition("=")
        if sep and key.strip():
            result[key.strip()] = item.strip()
    return result


def decode_value(kind: ArgType, body: bytes, offset: int, command: str = "?") -> tuple[Value, int]:
    """One argument of type `kind` at `offset`: the value and the offset of the next argument."""
    if kind in (ArgType.INT, ArgType.UINT):
        if offset + 4 > len(body):
            raise ProtocolError(command, f"the body ends before a {kind.name} argument")
        codec = _I32 if kind is ArgType.INT else _U32
        return int(codec.unpack_from(body, offset)[0]), offset + 4
    raw, after = _field(body, offset, command, f"a {kind.name} argument")
    if kind is ArgType.BLOB:
        return raw, after
    text = _text(raw)
    if kind is ArgType.FLOAT:
        return _parse_float(text, command), after
    if kind is ArgType.MAP:
        return _parse_map(text), after
    return text, after


def encode_args(
    kinds: Sequence[ArgType], values: Sequence[Value], *, count_padding: bool = True
) -> bytes:
    """A body of `values`, typed one for one by `kinds` (a shorter `values` leaves the tail off)."""
    if len(values) > len(kinds):
        raise ValueError(f"{len(values)} values for a signature of {len(kinds)} arguments")
    return b"".join(
        encode_value(kind, value, count_padding=count_padding)
        for kind, value in zip(kinds, values, strict=False)
    )


def decode_args(
    kinds: Sequence[ArgType], body: bytes, *, required: int | None = None, command: str = "?"
) -> tuple[Value, ...]:
    """The arguments of `body`: the first `required` must be there (all when None), optional
    trailing ones are read while the body lasts, and bytes after the last are ignored."""
    need = len(kinds) if required is None else required
    values: list[Value] = []
    offset = 0
    for position, kind in enumerate(kinds):
        if position >= need and offset >= len(body):
            break
        if offset >= len(body):
            raise ProtocolError(
                command, f"the body holds {position} arguments; {command} needs at least {need}"
            )
        value, offset = decode_value(kind, body, offset, command)
        values.append(value)
    return tuple(values)


# --------------------------------------------------------------------------------- the parser


class FrameParser:
    """Cuts a byte stream into `Message`s however the reads split it (one byte at a time works)."""

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        self._buffer = bytearray()
        self._header: Header | None = None
        self._max_body = max_body

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return every message they complete, in order."""
        self._buffer += data
        messages: list[Message] = []
        while True:
            if self._header is None:
                if len(self._buffer) < HEADER_SIZE:
                    return messages
                header = Header.decode(bytes(self._buffer[:HEADER_SIZE]))
                if header.body_size > self._max_body:
                    raise ProtocolError(
                        header.name,
                        f"a body of {header.body_size} bytes is over the {self._max_body} "
                        "byte limit: the stream is out of step",
                    )
                del self._buffer[:HEADER_SIZE]
                self._header = header
            size = self._header.body_size
            if len(self._buffer) < size:
                return messages
            messages.append(Message(self._header, bytes(self._buffer[:size])))
            del self._buffer[:size]
            self._header = None

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole message."""
        return len(self._buffer) + (HEADER_SIZE if self._header is not None else 0)
