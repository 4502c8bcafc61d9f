"""The driver's side of the control connection: every SharkSEM failure becomes a driver error.

`Link.call*` hold the driver's wire lock for one exchange and translate: a connection that cannot
be opened or dropped is `DriverUnavailableError` (503), a silence or a malformed answer is
`DeviceFault` with no code and a message naming the command (SharkSEM carries no error text, so
the message is ours). `poll` is the one waiting loop every long step uses: it sleeps on the cancel
token, starting short (at time scale 0 an emulator answers at once) and growing to `max_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

from semphony.server.drivers.errors import DeviceFault, DriverUnavailableError
from semphony.server.drivers.tescan._codec import Value
from semphony.server.drivers.tescan._commands import COMMANDS, Version, format_version
from semphony.server.drivers.tescan._connection import Connection
from semphony.server.drivers.tescan._errors import ConnectionLostError, SharkSemError

__all__ = ["Link", "Wait", "poll"]

T = TypeVar("T")


class Wait(Protocol):
    """What a poll sleeps on (a `threading.Event`, or the driver's combined cancel)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def poll(wait: Wait | None, start_s: float = 0.01, max_s: float = 0.25) -> Iterator[float]:
    """Yields the seconds since the first step, sleeping between steps (growing intervals);
    stops early, without raising, when `wait` is set (the caller checks it)."""
    t0 = time.monotonic()
    interval = start_s
    while True:
        yield time.monotonic() - t0
        if wait is not None:
            if wait.wait(interval):
                return
        else:
            time.sleep(interval)
        interval = min(max_s, interval * 1.6)


class Answers:
    """The answers of a batch read, taken by command name and checked for their type."""

    def __init__(self, values: dict[str, tuple[Value, ...]]) -> None:
        self._values = values

    def get_int(self, name: str) -> int:
        value = self._first(name)
        if not isinstance(value, int):
            raise DeviceFault(None, f"{name} returned {value!r}, not an int")
        return value

    def get_float(self, name: str, absent: float | None = None) -> float:
        """The first value of `name`; `absent` when it was not asked (not in this version)."""
        if name not in self._values and absent is not None:
            return absent
        value = self._first(name)
        if not isinstance(value, float):
            raise DeviceFault(None, f"{name} returned {value!r}, not a float")
        return value

    def get_floats(self, name: str) -> tuple[float, ...]:
        values = self._values[name]
        floats = tuple(v for v in values if isinstance(v, float))
        if len(floats) != len(values) or not floats:
            raise DeviceFault(None, f"{name} returned {values!r}, not floats")
        return floats

    def _first(self, name: str) -> Value:
        values = self._values[name]
        if not values:
            raise DeviceFault(None, f"{name} returned nothing")
        return values[0]


class Link:
    """A `Connection` behind the driver's wire lock, translating SharkSEM errors."""

    def __init__(self, conn: Connection, wire: Callable[[], AbstractContextManager[None]]) -> None:
        self.conn = conn
        self._wire = wire
        self.version: Version = (0, 0, 0)

    @property
    def address(self) -> str:
        return f"{self.conn.host}:{self.conn.port}"

    def has(self, name: str) -> bool:
        """Whether the connected server's protocol version offers `name`."""
        return COMMANDS[name].available_in(self.version)

    @property
    def version_text(self) -> str:
        return format_version(self.version)

    def guarded(self, action: Callable[[], T]) -> T:
        """Run `action` (SharkSEM calls) under the wire lock, translating its failures."""
        with self._wire():
            try:
                return action()
            except ConnectionLostError as exc:
                raise DriverUnavailableError(self.address, exc.message) from exc
            except SharkSemError as exc:
                raise DeviceFault(None, exc.message) from exc

    def call(self, name: str, *args: Value, wait: int = 0, timeout_s: float | None = None) -> None:
        """A command whose effect is verified by reading back (void, no answer awaited)."""
        self.guarded(lambda: self.conn.call(name, *args, wait=wait, timeout_s=timeout_s))

    def get_int(self, name: str, *args: Value, timeout_s: float | None = None) -> int:
        return self.guarded(lambda: self.conn.call_int(name, *args, timeout_s=timeout_s))

    def get_float(self, name: str, *args: Value) -> float:
        return self.guarded(lambda: self.conn.call_float(name, *args))

    def get_floats(self, name: str, *args: Value) -> tuple[float, ...]:
        return self.guarded(lambda: self.conn.call_floats(name, *args))

    def read_many(self, *names: str) -> Answers:
        """The answers of argument-less read commands, fetched in one round trip."""
        answers = self.guarded(lambda: self.conn.read_many([(n, ()) for n in names]))
        return Answers(dict(zip(names, answers, strict=True)))

    def get_str(self, name: str, *args: Value) -> str:
        return self.guarded(lambda: self.conn.call_str(name, *args))

    def get_map(self, name: str, *args: Value) -> dict[str, str]:
        return self.guarded(lambda: self.conn.call_map(name, *args))
