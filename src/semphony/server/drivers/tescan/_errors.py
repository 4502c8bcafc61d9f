"""The SharkSEM client's own errors (the tescan driver translates them into `DeviceFault`).

Error tree::

    SharkSemError               any failure talking SharkSEM; `command` names the command
    ├── NoReplyError            an awaited reply did not come within the timeout (the protocol's
    │                           only answer to an unknown command, bad arguments or an old server)
    ├── ConnectionLostError     the TCP connection could not be opened or dropped
    ├── ProtocolError           a frame or argument was malformed, or the server answered oddly
    ├── ScanDataError           an image did not arrive whole on the data channel (`kind` says how)
    └── ScanCancelled           the caller cancelled while the image was arriving
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ConnectionLostError",
    "NoReplyError",
    "ProtocolError",
    "ScanCancelled",
    "ScanDataError",
    "ScanDataKind",
    "SharkSemError",
]


class SharkSemError(Exception):
    """A SharkSEM exchange failed; `command` names the command (or ``ScData`` for image data)."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(message)
        self.command = command
        self.message = message


class NoReplyError(SharkSemError):
    """No reply to a command that must answer arrived within `timeout_s`."""

    def __init__(self, command: str, timeout_s: float) -> None:
        super().__init__(
            command,
            f"no answer to {command} within {timeout_s:g} s: unknown command, bad arguments "
            "or an old server",
        )
        self.timeout_s = timeout_s


class ConnectionLostError(SharkSemError):
    """The control or data connection could not be opened, or dropped during a command."""


class ProtocolError(SharkSemError):
    """Bytes that do not follow the SharkSEM framing or the command's declared signature."""


ScanDataKind = Literal["gap", "stall", "dropped", "malformed"]


class ScanDataError(SharkSemError):
    """An image did not arrive whole: a gap between chunks, a stall, a dropped data connection or
    a chunk that does not fit the frame (`kind`)."""

    def __init__(self, kind: ScanDataKind, message: str) -> None:
        super().__init__("ScData", message)
        self.kind: ScanDataKind = kind


class ScanCancelled(SharkSemError):  # noqa: N818 (a cancellation, not a failure)
    """The caller's cancel token was set while the image was arriving."""
