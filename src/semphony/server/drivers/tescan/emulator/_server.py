"""The emulator's sockets: control port P, data port P + 1, side channel (P + 2 by default).

Each control client gets a thread that reads its messages in order and answers them (so a
synchronous ``HVSetVoltage`` holds that client only). A data connection is matched to the control
client that registered its source port with ``TcpRegDataPort``. Threads and blocking sockets with
timeouts only, so it runs wherever Python does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time

from semphony.server.drivers.tescan._codec import FrameParser
from semphony.server.drivers.tescan._errors import ProtocolError
from semphony.server.drivers.tescan.emulator._dispatch import dispatch
from semphony.server.drivers.tescan.emulator._instrument import EmulatorConfig, Instrument
from semphony.server.drivers.tescan.emulator._scan import INVALID, DataSink, ScanJob, parse_scan
from semphony.server.drivers.tescan.emulator._side import SideServer

__all__ = ["Emulator"]

_POLL_S = 0.2  # how often blocked accepts and reads look at the stop flag
_DATA_SEND_TIMEOUT_S = 10.0  # a client that stops reading is dropped after this (as Tescan's)
_DATA_MATCH_S = 2.0  # how long a data connection may wait for its TcpRegDataPort
_log = logging.getLogger("semphony.sharksem.emulator")


def _listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR would let two servers share a port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(16)
        sock.settimeout(_POLL_S)
    except OSError:
        sock.close()
        raise
    return sock


def _consecutive(host: str, count: int) -> list[socket.socket]:
    """`count` listeners on consecutive free ports."""
    for _ in range(100):
        first = _listener(host, 0)
        base = int(first.getsockname()[1])
        socks = [first]
        try:
            for k in range(1, count):
                socks.append(_listener(host, base + k))
            return socks
        except OSError:
            for s in socks:
                s.close()
    raise OSError(f"found no {count} consecutive free ports on {host}")


class _DataSink(DataSink):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._attached = threading.Event()

    def attach(self, sock: socket.socket) -> None:
        sock.settimeout(_DATA_SEND_TIMEOUT_S)
        with self._lock:
            old, self._sock = self._sock, sock
            self._attached.set()
        if old is not None:
            old.close()

    def wait_attached(self, timeout_s: float) -> bool:
        return self._attached.wait(timeout_s)

    def send(self, message: bytes) -> bool:
        with self._lock:
            if self._sock is None:
                return False
            try:
                self._sock.sendall(message)
                return True
            except OSError as exc:
                _log.info("data connection dropped: %s", exc)
                self._close_locked()
                return False

    def drop(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
            self._attached.clear()


class _Client:
    """One control connection (the `Peer` the dispatcher runs commands for)."""

    def __init__(self, server: Emulator, sock: socket.socket, address: tuple[str, int]) -> None:
        self.server = server
        self.instrument = server.instrument
        self.stop = server.stopping
        self.sock = sock
        self.host = str(address[0])
        self.data_port: int | None = None
        self.sink = _DataSink()
        self._thread = threading.Thread(target=self._serve, name="sharksem-client", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def register_data_port(self, port: int) -> None:
        self.sink.drop()  # a new registration replaces the data connection there was
        self.data_port = port

    def start_scan(self, args: tuple[int, ...]) -> int:
        inst = self.instrument
        if self.data_port is not None:
            # The client connects right after TcpRegDataPort's answer; our acceptor thread may
            # not have matched it yet when the scan request comes on the control thread.
            self.sink.wait_attached(_DATA_MATCH_S)
        with inst.lock:
            spec = parse_scan(inst, args)
            if isinstance(spec, int):
                return spec
            fault = inst.faults.take("scan_error")
            if fault is not None:
                return int(fault["code"])
            current = inst.scan
            if isinstance(current, ScanJob) and current.running():
                if current.owner is not self:
                    return INVALID  # the scan generator is busy with another client
                current.stop(wait=False)  # its last chunk may still go out: ids tell them apart
            drop = inst.faults.take("data_drop")
            job = ScanJob(
                inst, spec, self.sink, self, None if drop is None else int(drop["after_chunks"])
            )
            inst.scan = job
            job.start()
            return 0

    def stop_scan(self) -> None:
        current = self.instrument.scan
        if isinstance(current, ScanJob):
            current.stop()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        self.sink.drop()

    def join(self, timeout_s: float) -> None:
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)

    def _serve(self) -> None:
        parser = FrameParser()
        self.sock.settimeout(_POLL_S)
        try:
            while not self.stop.is_set():
                try:
                    data = self.sock.recv(1 << 16)
                except TimeoutError:
                    continue
                if not data:
                    return
                for message in parser.feed(data):
                    reply = dispatch(self, message)
                    if reply is not None:
                        self.sock.sendall(reply)
        except (OSError, ProtocolError) as exc:
            _log.info("control client %s gone: %s", self.host, exc)
        finally:
            # Closing control releases the client: its scan stops, its data connection closes.
            current = self.instrument.scan
            if isinstance(current, ScanJob) and current.owner is self:
                current.stop()
            self.close()
            self.server.forget(self)


class Emulator:
    """The SharkSEM emulator on `host`: control `port` (0 picks free consecutive ports), data
    `port` + 1 and the side channel on `side_port` (None: `port` + 2)."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        side_port: int | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.host = host
        self.instrument = Instrument(self.config)
        self.stopping = threading.Event()
        self._requested = (port, side_port)
        self._clients: list[_Client] = []
        self._pending_data: list[tuple[socket.socket, tuple[str, int], float]] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._side: SideServer | None = None
        self.control_port = self.data_port = self.side_port = 0

    def start(self) -> Emulator:
        """Bind every port (an `OSError` if one is taken) and start serving."""
        port, side_port = self._requested
        if port == 0 and side_port is None:
            control, data, side = _consecutive(self.host, 3)
        else:
            control = _listener(self.host, port)
            try:
                real = int(control.getsockname()[1])
                data = _listener(self.host, real + 1)
                side = _listener(self.host, real + 2 if side_port is None else side_port)
            except OSError:
                control.close()
                raise
        self.control_port = int(control.getsockname()[1])
        self.data_port = int(data.getsockname()[1])
        self.side_port = int(side.getsockname()[1])
        self._side = SideServer(self, side)
        for target, sock in ((self._accept_control, control), (self._accept_data, data)):
            thread = threading.Thread(target=target, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)
        self._side.start()
        return self

    def banner(self) -> str:
        """The first line the command prints."""
        return (
            f"sharksem emulator listening on {self.host} control {self.control_port} "
            f"data {self.data_port} side {self.side_port}"
        )

    def stop(self) -> None:
        """Stop serving: scans end, every connection closes, the ports are released."""
        self.stopping.set()
        current = self.instrument.scan
        if isinstance(current, ScanJob):
            current.stop()
        with self._lock:
            clients = list(self._clients)
            pending = [s for s, _, _ in self._pending_data]
            self._pending_data.clear()
        for client in clients:
            client.close()
        for client in clients:
            client.join(2.0)
        for sock in pending:
            sock.close()
        for thread in self._threads:
            thread.join(2.0)
        if self._side is not None:
            self._side.stop()
        self.instrument.sim.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def forget(self, client: _Client) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)

    def _accept_control(self, listener: socket.socket) -> None:
        with listener:
            while not self.stopping.is_set():
                try:
                    sock, address = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                client = _Client(self, sock, address)
                with self._lock:
                    self._clients.append(client)
                client.start()

    def _accept_data(self, listener: socket.socket) -> None:
        with listener:
            while not self.stopping.is_set():
                try:
                    sock, address = listener.accept()
                    with self._lock:
                        self._pending_data.append(
                            (sock, (str(address[0]), int(address[1])), time.monotonic())
                        )
                except TimeoutError:
                    pass
                except OSError:
                    return
                self._match_data()

    def _match_data(self) -> None:
        """Hand each waiting data connection to the client that registered its source port."""
        now = time.monotonic()
        with self._lock:
            waiting, self._pending_data = self._pending_data, []
            clients = list(self._clients)
        for sock, (host, port), since in waiting:
            owner = next((c for c in clients if c.data_port == port and c.host == host), None)
            if owner is not None:
                owner.sink.attach(sock)
            elif now - since > _DATA_MATCH_S:
                _log.info("closing a data connection from %s:%d nobody registered", host, port)
                sock.close()
            else:
                with self._lock:
                    self._pending_data.append((sock, (host, port), since))
