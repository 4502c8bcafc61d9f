"""The errors a driver raises; the server answers each with one status and reason (server.errors).

::

    DriverError                 any failure raised by a driver
    ├── InterlockError          refused by the instrument's state: vent with beam on, busy (409)
    ├── RangeError              a value outside what the device can do (409 "conflicts with this
    │                           instrument", naming the field, the value and the device's range)
    ├── UnsupportedError        the device does not offer this at all: scan rotation on an old
    │                           protocol (409, "conflicts with this instrument")
    ├── DeviceFault             the device reported a failure, or did not do what it was told
    │   │                       (502, with its code and a message we write)
    │   └── DeviceMismatchError a command was accepted but the read-back differs: a move that did
    │                           not happen, a beam that did not come on, a value the column limited
    ├── DriverUnavailableError  the driver cannot reach its instrument (503; at start-up: exit 1)
    └── Cancelled               the caller (or a safe stop) cancelled a running command
"""

from __future__ import annotations

__all__ = [
    "Cancelled",
    "DeviceFault",
    "DeviceMismatchError",
    "DriverError",
    "DriverUnavailableError",
    "InterlockError",
    "RangeError",
    "UnsupportedError",
]


class DriverError(Exception):
    """Base of every error a driver raises."""


class InterlockError(DriverError):
    """The instrument's state forbids the command (beam without vacuum, vent with beam on, busy)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class RangeError(DriverError):
    """A value lies outside what the device can do; `field` names it and `detail` gives the rule."""

    def __init__(self, reason: str, field: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail


class UnsupportedError(DriverError):
    """The device has no such function (raise this, not `RangeError`, when no value would do)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = "device.unsupported"
        self.field = field
        self.detail = detail


class DeviceFault(DriverError):  # noqa: N818 (the name the server and SDK share)
    """The device reported a failure (a SharkSEM ``ScScanXY`` code) or failed to answer.

    `device_code` is the instrument's own integer code, or None where it gave none (a silence, a
    dropped connection); `device_message` is a sentence we write, since SharkSEM carries no text.
    """

    def __init__(self, device_code: int | None, device_message: str) -> None:
        super().__init__(device_message)
        self.device_code = device_code
        self.device_message = device_message


class DeviceMismatchError(DeviceFault):
    """The instrument accepted a command but reads back otherwise: never report a quiet success."""

    def __init__(self, device_message: str) -> None:
        super().__init__(None, device_message)


class DriverUnavailableError(DriverError):
    """The driver cannot reach its instrument; `address` says where it looked."""

    def __init__(self, address: str, detail: str) -> None:
        super().__init__(f"cannot reach the instrument at {address}: {detail}")
        self.address = address
        self.detail = detail


class Cancelled(DriverError):  # noqa: N818 (the name the server and SDK share)
    """A running command was cancelled; the hardware stopped where it had got to."""
