"""The SharkSEM control connection: one TCP socket, one command at a time, every wait bounded.

What happens to a command, in order:

1. its arguments are checked against the command table (a wrong call: `ValueError`, nothing sent);
2. with the lock held, the socket is checked for a dropped peer (then reconnected: nothing was in
   flight, so this is safe) and stale bytes (late replies, discarded);
3. it is sent with a fresh request id; a reply is awaited only when the command returns something
   or was sent with the reply flag, and never longer than the timeout (`NoReplyError` names it);
4. a reply whose id is not ours (one that came after its command timed out) is discarded, so it is
   never taken for the answer to a later command.

When the connection drops while a command is in flight, a command that only reads is sent once
more on a reopened connection; a command with an effect is reported failed (`ConnectionLostError`)
and never re-sent: it may or may not have happened, and only reading back can tell (the connection
is reopened by the next command). A void command sent without the reply flag cannot be confirmed
at all (the protocol answers nothing): verify it by reading back.

Blocking sockets with timeouts and a `threading.Lock`: the driver calls from worker threads, and
nothing here is specific to one operating system.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence

from semphony.server.drivers.tescan._codec import (
    FLAG_REPLY,
    FrameParser,
    Message,
    Value,
    decode_args,
    encode_args,
    encode_message,
)
from semphony.server.drivers.tescan._commands import COMMANDS, Command
from semphony.server.drivers.tescan._errors import (
    ConnectionLostError,
    NoReplyError,
    ProtocolError,
)

__all__ = ["DEFAULT_PORT", "Connection"]

DEFAULT_PORT = 8300
_RECV = 1 << 16
_log = logging.getLogger("semphony.sharksem")


class _DroppedError(Exception):
    """The peer closed the socket or the socket failed (internal: becomes ConnectionLostError)."""


class Connection:
    """A SharkSEM control connection to `host`:`port` (data channel: `port` + 1).

    `timeout_s` bounds each awaited reply unless a call gives its own; `connect_timeout_s` bounds
    opening. `count_padding` chooses how string counts are sent (Tescan's client counts the
    padding; the manual counts the NUL only): servers read both.
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
        count_padding: bool = True,
    ) -> None:
        if not 0 < port < 65535:
            raise ValueError(f"port={port!r} must be in 1..65534 (the data channel is port + 1)")
        if not timeout_s > 0 or not connect_timeout_s > 0:
            raise ValueError("timeout_s and connect_timeout_s must be > 0")
        self.host = host
        self.port = port
        self.timeout_s = float(timeout_s)
        self.connect_timeout_s = float(connect_timeout_s)
        self._count_padding = count_padding
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._parser = FrameParser()
        self._inbox: list[Message] = []
        self._next_id = 1
        self._stale: dict[int, str] = {}  # request id → command, for replies that came too late
        self._batch: dict[int, str] = {}  # request id → command, the batch read still awaited
        self._opened = False  # open() was called and close() was not
        self._generation = 0
        self._before_close: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ lifecycle

    @property
    def generation(self) -> int:
        """Counts successful connects: a data channel registered under an older one is stale."""
        return self._generation

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        """Connect (a no-op when connected); `ConnectionLostError` names the address on failure."""
        with self._lock:
            self._opened = True
            if self._sock is None:
                self._connect("connect")

    def close(self) -> None:
        """Close what hangs on this connection (data channels, first), then the control socket."""
        for hook in list(self._before_close):
            hook()
        with self._lock:
            self._opened = False
            self._drop()

    def __enter__(self) -> Connection:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def before_close(self, hook: Callable[[], None]) -> None:
        """Run `hook` at `close()` before the control socket closes (the data channel's close)."""
        self._before_close.append(hook)

    def local_host(self) -> str:
        """The local address of the control socket (the data channel binds on the same one)."""
        with self._lock:
            if self._sock is None:
                raise ConnectionLostError("TcpRegDataPort", f"not connected to {self._address}")
            return str(self._sock.getsockname()[0])

    # ------------------------------------------------------------------ commands

    def call(
        self,
        name: str,
        *args: Value,
        wait: int = 0,
        reply: bool = False,
        timeout_s: float | None = None,
    ) -> tuple[Value, ...]:
        """Send `name` with `args`; return its decoded return values (``()`` for a void command).

        `wait` is a mask of wait flags (`WAIT_A`...) for the server to honour; `reply` asks for an
        answer to a void command (then awaited like any other). `timeout_s` overrides the default.
        """
        command = COMMANDS.get(name)
        if command is None:
            raise ValueError(f"{name!r} is not a command in the SharkSEM table")
        if not command.args.required <= len(args) <= len(command.args):
            raise ValueError(
                f"{name}({command.args}) takes {command.args.required} to "
                f"{len(command.args)} arguments, got {len(args)}"
            )
        if wait & ~0x7F00:
            raise ValueError(f"wait={wait:#06x} must only hold wait flags A..G (bits 8-14)")
        try:
            body = encode_args(command.args.types, args, count_padding=self._count_padding)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        flags = wait | (FLAG_REPLY if reply else 0)
        awaited = reply or not command.void
        limit = self.timeout_s if timeout_s is None else float(timeout_s)
        with self._lock:
            self._ensure(name)
            try:
                return self._exchange(command, body, flags, awaited, limit)
            except _DroppedError as exc:
                self._drop()
                first = exc
            if not command.reads_only:
                raise ConnectionLostError(
                    name,
                    f"the connection to {self._address} dropped while {name} was in flight; it "
                    "has an effect, so it was not sent again and may or may not have happened "
                    "(read back to know)",
                ) from first
            _log.info("%s: connection dropped (%s); reconnecting to read again", name, first)
            self._ensure(name)
            try:
                return self._exchange(command, body, flags, awaited, limit)
            except _DroppedError as exc:
                self._drop()
                raise ConnectionLostError(
                    name, f"the connection to {self._address} dropped twice during {name}: {exc}"
                ) from exc

    def read_many(
        self, calls: Sequence[tuple[str, tuple[Value, ...]]], timeout_s: float | None = None
    ) -> list[tuple[Value, ...]]:
        """Several commands that only read and answer, sent back to back and their answers then
        collected: one round trip for all instead of one each (the server queues a connection's
        commands and answers each by its id). `timeout_s` bounds the whole batch."""
        batch: list[tuple[Command, bytes]] = []
        for name, args in calls:
            command = COMMANDS.get(name)
            if command is None or not command.reads_only or command.void:
                raise ValueError(f"{name!r} is not a SharkSEM command that only reads and answers")
            if not command.args.required <= len(args) <= len(command.args):
                raise ValueError(f"{name}({command.args}) got {len(args)} arguments")
            body = encode_args(command.args.types, args, count_padding=self._count_padding)
            batch.append((command, body))
        if not batch:
            return []
        limit = self.timeout_s if timeout_s is None else float(timeout_s)
        with self._lock:
            for attempt in (1, 2):  # reads only: a dropped connection is read again, once
                self._ensure(batch[0][0].name)
                try:
                    return self._exchange_many(batch, limit)
                except _DroppedError as exc:
                    self._drop()
                    if attempt == 2:
                        raise ConnectionLostError(
                            batch[0][0].name,
                            f"the connection to {self._address} dropped twice during a batch "
                            f"of {len(batch)} reads: {exc}",
                        ) from exc
                    _log.info("batch read: connection dropped (%s); reconnecting", exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def call_int(
        self, name: str, *args: Value, wait: int = 0, timeout_s: float | None = None
    ) -> int:
        """`call` for a command whose first return value is an int."""
        value = self._first(name, self.call(name, *args, wait=wait, timeout_s=timeout_s))
        if not isinstance(value, int):
            raise ProtocolError(name, f"{name} returned {value!r}, not an int")
        return value

    def call_float(
        self, name: str, *args: Value, wait: int = 0, timeout_s: float | None = None
    ) -> float:
        """`call` for a command whose first return value is a float."""
        value = self._first(name, self.call(name, *args, wait=wait, timeout_s=timeout_s))
        if not isinstance(value, float):
            raise ProtocolError(name, f"{name} returned {value!r}, not a float")
        return value

    def call_floats(
        self, name: str, *args: Value, wait: int = 0, timeout_s: float | None = None
    ) -> tuple[float, ...]:
        """`call` for a command that returns floats only."""
        values = self.call(name, *args, wait=wait, timeout_s=timeout_s)
        floats = tuple(v for v in values if isinstance(v, float))
        if len(floats) != len(values) or not floats:
            raise ProtocolError(name, f"{name} returned {values!r}, not floats")
        return floats

    def call_str(
        self, name: str, *args: Value, wait: int = 0, timeout_s: float | None = None
    ) -> str:
        """`call` for a command whose first return value is a string."""
        value = self._first(name, self.call(name, *args, wait=wait, timeout_s=timeout_s))
        if not isinstance(value, str):
            raise ProtocolError(name, f"{name} returned {value!r}, not a string")
        return value

    def call_map(
        self, name: str, *args: Value, wait: int = 0, timeout_s: float | None = None
    ) -> dict[str, str]:
        """`call` for a command whose first return value is a ``key=value`` map."""
        value = self._first(name, self.call(name, *args, wait=wait, timeout_s=timeout_s))
        if not isinstance(value, dict):
            raise ProtocolError(name, f"{name} returned {value!r}, not a map")
        return value

    # ------------------------------------------------------------------ internals

    @property
    def _address(self) -> str:
        return f"{self.host}:{self.port}"

    @staticmethod
    def _first(name: str, values: tuple[Value, ...]) -> Value:
        if not values:
            raise ProtocolError(name, f"{name} returned nothing")
        return values[0]

    def _connect(self, command: str) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), self.connect_timeout_s)
        except OSError as exc:
            raise ConnectionLostError(
                command, f"cannot connect to the SharkSEM server at {self._address}: {exc}"
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._parser = FrameParser()
        self._inbox.clear()
        self._stale.clear()  # replies to the old socket's requests cannot come on this one
        self._generation += 1

    def _drop(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _ensure(self, command: str) -> None:
        """Be connected, nothing stale pending; reconnect a dropped socket (nothing in flight)."""
        if not self._opened:
            raise ConnectionLostError(command, f"the connection to {self._address} is not open")
        if self._sock is not None:
            try:
                self._drain()
            except _DroppedError as exc:
                _log.info("%s: the connection had dropped (%s); reconnecting", command, exc)
                self._drop()
        if self._sock is None:
            self._connect(command)

    def _drain(self) -> None:
        """Read whatever already waits on the socket (a late reply) without blocking."""
        assert self._sock is not None
        while True:
            try:
                readable, _, _ = select.select([self._sock], [], [], 0)
            except (OSError, ValueError) as exc:
                raise _DroppedError(str(exc)) from exc
            if not readable:
                return
            self._receive(0.0)

    def _receive(self, timeout_s: float) -> None:
        """One read into the parser, waiting at most `timeout_s` (TimeoutError, _DroppedError)."""
        assert self._sock is not None
        self._sock.settimeout(max(timeout_s, 1e-6))
        try:
            data = self._sock.recv(_RECV)
        except TimeoutError:
            raise
        except OSError as exc:
            raise _DroppedError(str(exc)) from exc
        if not data:
            raise _DroppedError("the server closed the connection")
        try:
            self._inbox.extend(self._parser.feed(data))
        except ProtocolError as exc:
            # Out of step: nothing later on this socket can be trusted.
            raise _DroppedError(f"unreadable bytes from the server: {exc.message}") from exc

    def _exchange(
        self, command: Command, body: bytes, flags: int, awaited: bool, limit: float
    ) -> tuple[Value, ...]:
        request_id, frame = self._frame(command, body, flags)
        self._send(command.name, frame, limit)
        if not awaited:
            return ()
        return self._await(command, request_id, time.monotonic() + limit, limit)

    def _exchange_many(
        self, batch: list[tuple[Command, bytes]], limit: float
    ) -> list[tuple[Value, ...]]:
        framed = [(command, *self._frame(command, body, 0)) for command, body in batch]
        self._send(batch[0][0].name, b"".join(frame for _, _, frame in framed), limit)
        deadline = time.monotonic() + limit
        answers: list[tuple[Value, ...]] = []
        self._batch = {request_id: command.name for command, request_id, _ in framed}
        try:
            for command, request_id, _ in framed:
                del self._batch[request_id]
                answers.append(self._await(command, request_id, deadline, limit))
        except NoReplyError:
            self._stale.update(self._batch)  # their answers, if any, come late
            raise
        finally:
            self._batch = {}
        return answers

    def _frame(self, command: Command, body: bytes, flags: int) -> tuple[int, bytes]:
        request_id = self._next_id
        self._next_id = self._next_id % 0xFFFFFFFF + 1
        return request_id, encode_message(command.name, body, request_id=request_id, flags=flags)

    def _send(self, name: str, frames: bytes, limit: float) -> None:
        assert self._sock is not None
        self._sock.settimeout(max(limit, self.connect_timeout_s))
        try:
            self._sock.sendall(frames)
        except OSError as exc:
            raise _DroppedError(f"sending {name} failed: {exc}") from exc

    def _await(
        self, command: Command, request_id: int, deadline: float, limit: float
    ) -> tuple[Value, ...]:
        while True:
            reply = self._take_reply(command.name, request_id)
            if reply is not None:
                return self._decode_reply(command, reply)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._stale[request_id] = command.name
                raise NoReplyError(command.name, limit)
            try:
                self._receive(remaining)
            except TimeoutError:
                continue

    def _take_reply(self, name: str, request_id: int) -> Message | None:
        """Our reply from the inbox; late replies to timed-out requests are discarded, and the
        answers to the rest of a batch kept for their turn."""
        kept: list[Message] = []
        try:
            return self._find_reply(name, request_id, kept)
        finally:
            self._inbox[:0] = kept

    def _find_reply(self, name: str, request_id: int, kept: list[Message]) -> Message | None:
        while self._inbox:
            message = self._inbox.pop(0)
            rid = message.header.request_id
            if self._batch.get(rid) == message.name:
                kept.append(message)
                continue
            if rid in self._stale:
                _log.info("discarded a late reply to %s (request %d)", self._stale.pop(rid), rid)
                continue
            if rid == request_id and message.name == name:
                return message
            # A server that does not copy ids answers with 0: take it by name unless a
            # request of that name timed out earlier (then this is most likely its reply).
            if rid == 0 and message.name == name:
                late = next((i for i, n in self._stale.items() if n == name), None)
                if late is None:
                    return message
                del self._stale[late]
                _log.info("discarded a late id-less reply to %s", name)
                continue
            _log.warning("discarded an unexpected %s (request %d)", message.name, rid)
        return None

    def _decode_reply(self, command: Command, message: Message) -> tuple[Value, ...]:
        if command.void:
            return ()
        # A malformed body is this reply's problem only: the framing is intact, the socket stays.
        return decode_args(
            command.returns.types,
            message.body,
            required=command.returns.required,
            command=command.name,
        )
