"""SharkSEM, Tescan's remote-control protocol: the wire codec, the control connection, the data
channel, the `tescan` driver, and (in `emulator`, imported on its own) a simulated SharkSEM server.

Modules: `_codec` (header, argument types, frame parser), `_commands` (the command table),
`_connection` (the control socket), `_data` (the data channel and image reassembly), `_errors`;
the driver: `_driver` (`TescanDriver`), `_link` (error translation, polling), `_identity`
(version, identity, limits, speed table), `_stage`, `_scan`, `_autos`, `_factory`
(`from_settings`, the registry's factory).
"""

from semphony.server.drivers.tescan._codec import (
    FLAG_HEAD_OF_QUEUE,
    FLAG_REPLY,
    HEADER_SIZE,
    WAIT_A,
    WAIT_B,
    WAIT_C,
    WAIT_D,
    ArgType,
    FrameParser,
    Header,
    Message,
    Value,
    decode_args,
    decode_value,
    encode_args,
    encode_message,
    encode_string,
    encode_value,
)
from semphony.server.drivers.tescan._commands import (
    COMMANDS,
    SC_DATA,
    Command,
    Signature,
    Version,
    format_version,
    parse_version,
)
from semphony.server.drivers.tescan._connection import DEFAULT_PORT, Connection
from semphony.server.drivers.tescan._data import DataChannel, FrameAssembler, ScDataChunk
from semphony.server.drivers.tescan._driver import TescanDriver
from semphony.server.drivers.tescan._errors import (
    ConnectionLostError,
    NoReplyError,
    ProtocolError,
    ScanCancelled,
    ScanDataError,
    SharkSemError,
)
from semphony.server.drivers.tescan._factory import from_settings
from semphony.server.drivers.tescan._identity import Nominal

__all__ = [
    "COMMANDS",
    "DEFAULT_PORT",
    "FLAG_HEAD_OF_QUEUE",
    "FLAG_REPLY",
    "HEADER_SIZE",
    "SC_DATA",
    "WAIT_A",
    "WAIT_B",
    "WAIT_C",
    "WAIT_D",
    "ArgType",
    "Command",
    "Connection",
    "ConnectionLostError",
    "DataChannel",
    "FrameAssembler",
    "FrameParser",
    "Header",
    "Message",
    "NoReplyError",
    "Nominal",
    "ProtocolError",
    "ScDataChunk",
    "ScanCancelled",
    "ScanDataError",
    "SharkSemError",
    "Signature",
    "TescanDriver",
    "Value",
    "Version",
    "decode_args",
    "decode_value",
    "encode_args",
    "encode_message",
    "encode_string",
    "encode_value",
    "format_version",
    "from_settings",
    "parse_version",
]
