"""Fixtures for the SharkSEM tests: the emulator in-process, and a scripted fake SharkSEM peer.

Everything binds 127.0.0.1 on free ports and stops itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Literal

import pytest

from semphony.server.drivers.tescan import (
    ArgType,
    Connection,
    DataChannel,
    Message,
    Value,
    encode_args,
    encode_message,
)
from semphony.server.drivers.tescan._codec import FrameParser
from semphony.server.drivers.tescan.emulator import Emulator, EmulatorConfig

Action = list[bytes] | Literal["close"] | None
Responder = Callable[[Message], Action]


def reply(message: Message, kinds: str, *values: Value, request_id: int | None = None) -> bytes:
    """A reply to `message` carrying `values` typed by the letters of `kinds`."""
    body = encode_args([ArgType(c) for c in kinds], list(values))
    rid = message.header.request_id if request_id is None else request_id
    return encode_message(message.name, body, request_id=rid)


class FakePeer:
    """A SharkSEM server whose every answer the test decides (`respond` per message).

    `respond` returns bytes to send, ``"close"`` to drop the connection, or None for silence.
    It also listens on port + 1 for a data connection, which the test feeds with `send_data`.
    """

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.received: list[Message] = []
        self.connections = 0
        self.data_port_registered: int | None = None
        self.closed = threading.Event()  # set whenever a control connection ends
        self._data_conn: socket.socket | None = None
        self._data_ready = threading.Event()
        self._stop = threading.Event()
        self._control, self._data = _two_consecutive()
        self.port = int(self._control.getsockname()[1])
        self._threads = [
            threading.Thread(target=self._accept_control, daemon=True),
            threading.Thread(target=self._accept_data, daemon=True),
        ]
        self._conns: list[socket.socket] = []
        for t in self._threads:
            t.start()

    def names(self) -> list[str]:
        return [m.name for m in self.received]

    def send_data(self, data: bytes) -> None:
        assert self._data_ready.wait(5), "the client never opened the data connection"
        assert self._data_conn is not None
        self._data_conn.sendall(data)

    def close_data(self) -> None:
        assert self._data_ready.wait(5)
        assert self._data_conn is not None
        self._data_conn.close()

    def stop(self) -> None:
        self._stop.set()
        for sock in [*self._conns, self._control, self._data]:
            with contextlib.suppress(OSError):
                sock.close()
        for t in self._threads:
            t.join(2)

    def _accept_control(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._control.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.connections += 1
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _accept_data(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._data.accept()
                break
            except TimeoutError:
                continue
            except OSError:
                return
        else:
            return
        conn.settimeout(None)
        self._conns.append(conn)
        self._data_conn = conn
        self._data_ready.set()

    def _serve(self, conn: socket.socket) -> None:
        parser = FrameParser()
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for message in parser.feed(data):
                    self.received.append(message)
                    if message.name == "TcpRegDataPort":
                        self.data_port_registered = int.from_bytes(message.body[:4], "little")
                    action = self.respond(message)
                    if action == "close":
                        conn.close()
                        return
                    for frame in action or []:
                        conn.sendall(frame)
        except OSError:
            return
        finally:
            self.closed.set()


def _two_consecutive() -> tuple[socket.socket, socket.socket]:
    for _ in range(100):
        a = socket.socket()
        a.bind(("127.0.0.1", 0))
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", a.getsockname()[1] + 1))
        except OSError:
            a.close()
            b.close()
            continue
        for sock in (a, b):
            sock.listen(4)
            sock.settimeout(0.1)  # accept() wakes to see the stop flag
        return a, b
    raise OSError("no two consecutive free ports")


@pytest.fixture
def fake_peer() -> Iterator[Callable[[Responder], FakePeer]]:
    """Start fake SharkSEM peers with the given responder; all stop at the end of the test."""
    peers: list[FakePeer] = []

    def start(respond: Responder) -> FakePeer:
        peer = FakePeer(respond)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.stop()


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators in-process (127.0.0.1, port 0, time scale 0 unless told); all stop after."""
    running: list[Emulator] = []

    def start(**config: object) -> Emulator:
        config.setdefault("time_scale", 0.0)
        emulator = Emulator(EmulatorConfig(**config))  # type: ignore[arg-type]
        emulator.start()
        running.append(emulator)
        return emulator

    yield start
    for emulator in running:
        emulator.stop()


@pytest.fixture
def emulator(start_emulator: Callable[..., Emulator]) -> Emulator:
    """One emulator at time scale 0, seed 7."""
    return start_emulator(seed=7)


@pytest.fixture
def connect() -> Iterator[Callable[..., Connection]]:
    """Open control connections to an emulator (closed at the end of the test)."""
    opened: list[Connection] = []

    def open_(emulator: Emulator, timeout_s: float = 5.0) -> Connection:
        conn = Connection("127.0.0.1", emulator.control_port, timeout_s=timeout_s)
        conn.open()
        opened.append(conn)
        return conn

    yield open_
    for conn in opened:
        conn.close()


@pytest.fixture
def sem(emulator: Emulator, connect: Callable[..., Connection]) -> Connection:
    """A control connection to the default emulator."""
    return connect(emulator)


def pumped_with_beam(conn: Connection) -> None:
    """Pump (polling the status through `pumping`) and switch the beam on (polled to 1)."""
    conn.call("VacPump")
    for _ in range(10_000):
        if conn.call_int("VacGetStatus") == 0:
            break
    conn.call("HVBeamOn")
    for _ in range(10_000):
        if conn.call_int("HVGetBeam") == 1:
            return
    raise AssertionError("the beam never came on")


def open_data(conn: Connection) -> DataChannel:
    data = DataChannel(conn)
    data.open()
    return data
