"""The emulated scan generator: ``ScScanXY`` checks, rendering through the axis convention, and
``ScData`` streaming paced by instrument time.

**Axis convention.** The emulator sends the simulator's image through the configured
`semphony.server.drivers.axes.AxisConvention` (mirrored y, scan turned by quarter turns), the same
code the ``sim`` driver uses. The sub-rectangle left..right × top..bottom (inclusive) is then cut
out of the whole image.

**Timing.** A scan of h rows of w pixels at dwell d takes h·(w·d + 50 µs) of instrument time; it is
sent in chunks of about 50 ms of it (at least one row), each after waiting that long × time scale.
Frames are rendered whole at the start (the specimen is what it was when the scan began). With the
beam off the detectors see nothing: the frame is black. Several enabled channels each get their
own ScData stream. One scan generator serves every client: ``ScScanXY`` from another client while
one runs answers −1, and a new scan from the same client replaces its running one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers import ScanRequest
from semphony.server.drivers.axes import AxisConvention, conventions, transform
from semphony.server.drivers.tescan._data import ScDataChunk
from semphony.server.drivers.tescan.emulator._instrument import Instrument

__all__ = ["ScanJob", "ScanSpec", "conventions", "parse_scan", "render", "transform"]

LINE_SETTLE_S = 50e-6
CHUNK_S = 0.05
INVALID = -1
_log = logging.getLogger("semphony.sharksem.emulator")
Pixels = NDArray[Any]  # uint8 or uint16


@dataclass(frozen=True)
class ScanSpec:
    """A checked ``ScScanXY``: the virtual frame, the inclusive sub-rectangle, frames, dwell."""

    frame_id: int
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    frames: int  # 0 = until ScStopScan
    dwell_us: float

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of the sub-rectangle."""
        return self.right - self.left + 1, self.bottom - self.top + 1

    @property
    def line_s(self) -> float:
        return self.size[0] * self.dwell_us * 1e-6 + LINE_SETTLE_S


def parse_scan(instrument: Instrument, args: tuple[int, ...]) -> ScanSpec | int:
    """A `ScanSpec`, or the negative code ScScanXY answers for invalid parameters."""
    frame_id, width, height, left, top, right, bottom, single = args[:8]
    dwell_ns = args[8] if len(args) > 8 else None
    lo, hi = instrument.limits.resolution
    if not (lo <= width <= hi and lo <= height <= hi):
        return INVALID
    if not (0 <= left <= right < width and 0 <= top <= bottom < height) or single < 0:
        return INVALID
    frames = 1 if single == 1 else single  # 0 continuous, N > 1 that many frames (3.x)
    return ScanSpec(
        frame_id, width, height, left, top, right, bottom, frames, instrument.dwell_us(dwell_ns)
    )


def render(instrument: Instrument, spec: ScanSpec, detector: int, bpp: int) -> Pixels:
    """The sub-rectangle of one frame as the detector sees it (call with the lock held)."""
    config = instrument.config
    axes = AxisConvention(config.mirror_y, config.scan_turn_deg)
    sim_w, sim_h, _ = axes.sim_size(spec.width, spec.height, 1.0)
    dtype = np.uint16 if bpp == 16 else np.uint8
    if not instrument.sim.state().beam_on:
        full: Pixels = np.zeros((spec.height, spec.width), dtype=dtype)
    else:
        fov_lo, fov_hi = instrument.limits.fov_um
        fov_um = min(max(instrument.view_field_mm * 1000 * sim_w / spec.width, fov_lo), fov_hi)
        sim_image = instrument.sim.acquire(
            ScanRequest(
                fov_um=fov_um,
                resolution=(sim_w, sim_h),
                dwell_time_us=spec.dwell_us,
                detector_channel=detector,
                bit_depth=bpp,
            )
        )
        full = axes.apply(sim_image)
    crop = full[spec.top : spec.bottom + 1, spec.left : spec.right + 1]
    return np.ascontiguousarray(crop)


class DataSink:
    """Where a client's ScData goes: its data connection, if it opened one (set by the server)."""

    def send(self, message: bytes) -> bool:  # pragma: no cover (the server's sink overrides)
        """Send one message; False when there is no data connection (any more)."""
        return False

    def drop(self) -> None:  # pragma: no cover
        """Close the data connection (a fault, or a client that stopped reading)."""


class ScanJob:
    """One running scan: renders its frames and streams them, paced by instrument time."""

    def __init__(
        self,
        instrument: Instrument,
        spec: ScanSpec,
        sink: DataSink,
        owner: object,
        drop_after: int | None = None,
        on_end: Callable[[ScanJob], None] | None = None,
    ) -> None:
        self.instrument = instrument
        self.spec = spec
        self.sink = sink
        self.owner = owner
        self._drop_after = drop_after
        self._on_end = on_end
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sharksem-scan", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def running(self) -> bool:
        return not self._done.is_set()

    def stop(self, wait: bool = True, timeout_s: float = 2.0) -> None:
        """Stop between chunks (what ScStopScan does); `wait` for the streamer to end."""
        self._stop.set()
        if wait and threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout_s)

    def _frame(self) -> list[tuple[int, int, Pixels]]:
        inst = self.instrument
        with inst.lock:
            channels = [(c, ch.detector, ch.bpp) for c, ch in inst.channels.items() if ch.enabled]
            return [(c, bpp, render(inst, self.spec, det, bpp)) for c, det, bpp in channels]

    def _run(self) -> None:
        try:
            self._stream()
        except Exception:  # a streamer must never take the emulator down
            _log.exception("scan %d failed", self.spec.frame_id)
        finally:
            self._done.set()
            if self._on_end is not None:
                self._on_end(self)

    def _stream(self) -> None:
        spec = self.spec
        width, height = spec.size
        rows = max(1, min(height, round(CHUNK_S / spec.line_s)))
        sent = 0
        frame = 0
        while spec.frames == 0 or frame < spec.frames:
            images = self._frame()
            for top in range(0, height, rows):
                n = min(rows, height - top)
                if not self.instrument.clock.sleep(n * spec.line_s, self._stop):
                    return
                if self._drop_after is not None and sent >= self._drop_after:
                    _log.info("scan %d: dropping the data connection (fault)", spec.frame_id)
                    self.sink.drop()
                    return
                for channel, bpp, pixels in images:
                    data = pixels[top : top + n].astype("<u2" if bpp == 16 else np.uint8)
                    chunk = ScDataChunk(spec.frame_id, channel, top * width, bpp, data.tobytes())
                    self.sink.send(chunk.message())
                sent += 1
            frame += 1
