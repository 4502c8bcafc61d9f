"""The SharkSEM data channel: opening it, decoding ``ScData`` chunks, and reassembling one image.

Opening: bind a local socket on the control connection's interface, register its port with
``TcpRegDataPort`` (the server answers 0), then connect that socket to control port + 1; the server
knows us by that source address. Images arrive only here, as ``ScData`` messages.

Reassembly (`FrameAssembler`) keeps the chunks of one frame id and channel and ignores the rest
(data of an earlier scan may still arrive after ``ScStopScan``). A chunk that starts below what we
have rewinds to it (servers may send a chunk more than once, or restart a frame); a chunk that would
leave a gap, a chunk of the wrong depth or size, a stall and a dropped connection each fail the
image with a `ScanDataError` that says which. The protocol has no resend: the caller stops the scan.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.tescan._codec import FrameParser, encode_message
from semphony.server.drivers.tescan._connection import Connection
from semphony.server.drivers.tescan._errors import (
    ConnectionLostError,
    ProtocolError,
    ScanCancelled,
    ScanDataError,
)

__all__ = ["DataChannel", "FrameAssembler", "ScDataChunk"]

_HEAD = struct.Struct("<IiIiI")  # frame id, channel, index, bpp, blob byte count
_POLL_S = 0.1  # how often a wait for data looks at the cancel token
_RECV = 1 << 20


class _Cancel(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class ScDataChunk:
    """One ``ScData`` message: pixels from `index` on (row-major in the scanned rectangle)."""

    frame_id: int
    channel: int
    index: int
    bpp: int
    data: bytes

    def encode(self) -> bytes:
        """The body (header not included)."""
        return (
            _HEAD.pack(self.frame_id, self.channel, self.index, self.bpp, len(self.data))
            + self.data
            + b"\0" * (-len(self.data) % 4)
        )

    def message(self, request_id: int = 0) -> bytes:
        """The whole ``ScData`` message, header included."""
        return encode_message("ScData", self.encode(), request_id=request_id)

    @classmethod
    def decode(cls, body: bytes) -> ScDataChunk:
        if len(body) < _HEAD.size:
            raise ProtocolError("ScData", f"an ScData body of {len(body)} bytes is too short")
        frame_id, channel, index, bpp, count = _HEAD.unpack_from(body)
        if _HEAD.size + count > len(body):
            raise ProtocolError(
                "ScData", f"ScData claims {count} pixel bytes, the body holds fewer"
            )
        return cls(frame_id, channel, index, bpp, body[_HEAD.size : _HEAD.size + count])


class FrameAssembler:
    """Rebuilds `pixel_count` pixels of `bpp` bits for one frame id and channel from chunks."""

    def __init__(self, frame_id: int, channel: int, pixel_count: int, bpp: int) -> None:
        if bpp not in (8, 16):
            raise ValueError(f"bpp={bpp!r} must be 8 or 16")
        if pixel_count <= 0:
            raise ValueError(f"pixel_count={pixel_count!r} must be > 0")
        self.frame_id = frame_id
        self.channel = channel
        self.bpp = bpp
        self.pixel_count = pixel_count
        self._dtype = np.dtype("<u2") if bpp == 16 else np.dtype(np.uint8)
        self._pixels = np.zeros(pixel_count, dtype=self._dtype)
        self.received = 0  # pixels 0 .. received-1 are in place
        self.rewinds = 0

    def is_complete(self) -> bool:
        return self.received == self.pixel_count

    def accepts(self, chunk: ScDataChunk) -> bool:
        return chunk.frame_id == self.frame_id and chunk.channel == self.channel

    def add(self, chunk: ScDataChunk) -> bool:
        """Place a chunk; True when it belongs to this frame. Raises `ScanDataError` on a gap,
        a depth that is not the frame's or pixels beyond its end."""
        if not self.accepts(chunk):
            return False
        where = f"frame {self.frame_id} channel {self.channel}"
        if chunk.bpp != self.bpp:
            raise ScanDataError(
                "malformed", f"{where}: a chunk of {chunk.bpp} bpp in a {self.bpp} bpp image"
            )
        size = self._dtype.itemsize
        if len(chunk.data) % size:
            raise ScanDataError(
                "malformed",
                f"{where}: a chunk of {len(chunk.data)} bytes is not whole {self.bpp}-bit pixels",
            )
        count = len(chunk.data) // size
        if chunk.index > self.received:
            raise ScanDataError(
                "gap",
                f"{where}: a chunk starts at pixel {chunk.index} but only {self.received} of "
                f"{self.pixel_count} had arrived; the protocol cannot resend the missing ones",
            )
        end = chunk.index + count
        if end > self.pixel_count:
            raise ScanDataError(
                "malformed",
                f"{where}: a chunk runs to pixel {end}, past the image's {self.pixel_count}",
            )
        if chunk.index < self.received:
            self.rewinds += 1  # sent again, or the frame restarted: take it from there
        self._pixels[chunk.index : end] = np.frombuffer(chunk.data, dtype=self._dtype)
        self.received = end
        return True

    def pixels(self) -> NDArray[np.uint8] | NDArray[np.uint16]:
        """The pixels in native byte order (1-D); only once complete."""
        if not self.is_complete():
            raise ScanDataError(
                "gap", f"only {self.received} of {self.pixel_count} pixels have arrived"
            )
        if self.bpp == 16:
            return self._pixels.astype(np.uint16)
        return self._pixels.copy()


class DataChannel:
    """The data connection that belongs to one control `Connection` (closed before it)."""

    def __init__(self, control: Connection, *, connect_timeout_s: float = 5.0) -> None:
        self._control = control
        self._connect_timeout_s = connect_timeout_s
        self._sock: socket.socket | None = None
        self._parser = FrameParser()
        self._backlog: list[bytes] = []  # ScData bodies read but not yet used
        self._generation = -1
        control.before_close(self.close)

    @property
    def is_open(self) -> bool:
        """Open and registered on the control connection as it is now."""
        return self._sock is not None and self._generation == self._control.generation

    def open(self) -> None:
        """Open and register the data connection (reopen it when the control one reconnected)."""
        if self.is_open:
            return
        self.close()
        host = self._control.local_host()
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
            code = self._control.call_int("TcpRegDataPort", port)
            if code != 0:
                raise ProtocolError("TcpRegDataPort", f"TcpRegDataPort({port}) returned {code}")
            sock.settimeout(self._connect_timeout_s)
            sock.connect((self._control.host, self._control.port + 1))
        except OSError as exc:
            sock.close()
            raise ConnectionLostError(
                "TcpRegDataPort",
                f"cannot open the data channel to {self._control.host}:"
                f"{self._control.port + 1}: {exc}",
            ) from exc
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._parser = FrameParser()
        self._backlog = []
        self._generation = self._control.generation

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def receive(
        self,
        frame_id: int,
        channel: int,
        width: int,
        height: int,
        bpp: int,
        *,
        stall_timeout_s: float,
        progress: Callable[[int, int], None] | None = None,
        cancel: _Cancel | None = None,
    ) -> NDArray[np.uint8] | NDArray[np.uint16]:
        """Collect one `width` × `height` image (rows top to bottom) of `frame_id` on `channel`.

        Fails with `ScanDataError` when no chunk of this frame arrives for `stall_timeout_s`
        (``stall``), on a gap or a misfit chunk, or when the connection drops (``dropped``; the
        channel is then closed and `open` must be called again); with `ScanCancelled` when
        `cancel` is set. `progress(pixels, total)` is called after each chunk.
        """
        assembler = FrameAssembler(frame_id, channel, width * height, bpp)
        if self._sock is None:
            raise ScanDataError("dropped", "the data channel is not open")
        deadline = time.monotonic() + stall_timeout_s
        while True:
            if assembler.is_complete():
                return assembler.pixels().reshape(height, width)
            if cancel is not None and cancel.is_set():
                raise ScanCancelled(
                    "ScData",
                    f"cancelled after {assembler.received} of {assembler.pixel_count} pixels",
                )
            now = time.monotonic()
            if now >= deadline:
                raise ScanDataError(
                    "stall",
                    f"frame {frame_id} channel {channel}: no image data for {stall_timeout_s:g} s "
                    f"after {assembler.received} of {assembler.pixel_count} pixels",
                )
            if not self._backlog:
                self._backlog = self._read(min(_POLL_S, deadline - now), assembler)
            while self._backlog:
                body = self._backlog.pop(0)
                try:
                    chunk = ScDataChunk.decode(body)
                except ProtocolError as exc:
                    raise ScanDataError("malformed", exc.message) from exc
                if assembler.add(chunk):
                    deadline = time.monotonic() + stall_timeout_s
                    if progress is not None:
                        progress(assembler.received, assembler.pixel_count)
                    if assembler.received == assembler.pixel_count:
                        break  # later chunks in this read belong to a next frame, if any

    def _read(self, timeout_s: float, assembler: FrameAssembler) -> list[bytes]:
        """The ScData bodies one read completes (others are skipped); [] on a quiet interval."""
        sock = self._sock
        if sock is None:
            raise ScanDataError("dropped", "the data channel is not open")
        sock.settimeout(max(timeout_s, 1e-3))
        try:
            data = sock.recv(_RECV)
        except TimeoutError:
            return []
        except OSError as exc:
            self.close()
            raise self._dropped(assembler, str(exc)) from exc
        if not data:
            self.close()
            raise self._dropped(assembler, "the server closed the data connection")
        try:
            messages = self._parser.feed(data)
        except ProtocolError as exc:
            self.close()
            raise ScanDataError("malformed", f"unreadable data channel: {exc.message}") from exc
        return [m.body for m in messages if m.name == "ScData"]

    @staticmethod
    def _dropped(assembler: FrameAssembler, why: str) -> ScanDataError:
        return ScanDataError(
            "dropped",
            f"frame {assembler.frame_id} channel {assembler.channel}: the data connection dropped "
            f"after {assembler.received} of {assembler.pixel_count} pixels ({why})",
        )
