"""Auto contrast and brightness from frames, for a driver whose detector takes a gain and offset.

One small 16-bit frame with a neutral response (gain 1, offset 0) gives the signal's 0.5-99.5 %
range; the gain and offset that spread it over 5-95 % of full scale are set through the driver's
own detector command (checked and read back as any other), and a second frame measures the range
the image now covers. The same rule sets the emulator's `DtAutoSignal`, so both drivers agree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.errors import Cancelled, UnsupportedError
from semphony.server.drivers.types import (
    DetectorSettings,
    InstrumentStateSnapshot,
    Progress,
    ScanRequest,
)

if TYPE_CHECKING:
    from semphony.server.drivers.base import Driver

__all__ = ["SignalResult", "fill_range", "frame_auto_signal", "signal_range"]

_SIZE = 128
_TARGET = (0.05, 0.95)  # of full scale: headroom on both sides for brighter or darker places
_PERCENTILES = (0.5, 99.5)  # a few hot or dead pixels do not set the range


@dataclass(frozen=True)
class SignalResult:
    """The range the image covers after the auto signal (0.5 and 99.5 percentiles, as fractions
    of full scale), the gain and offset set (None where the instrument keeps its own), the
    instrument seconds and frames it took, and how it was done."""

    low_fraction: float
    high_fraction: float
    gain: float | None
    offset: float | None
    instrument_s: float
    frames: int
    method: str  # "frames" (this module) or "instrument" (the instrument's own auto signal)


def signal_range(pixels: NDArray[Any], bit_depth: int) -> tuple[float, float]:
    """The 0.5 and 99.5 percentiles of `pixels` as fractions of `bit_depth`'s full scale."""
    full = float(2**bit_depth - 1)
    lo, hi = np.percentile(np.asarray(pixels, dtype=np.float64), _PERCENTILES)
    return float(lo) / full, float(hi) / full


def fill_range(
    low: float, high: float, gain_limits: tuple[float, float], offset_limits: tuple[float, float]
) -> tuple[float, float]:
    """The gain and offset that map a signal spanning [low, high] onto 5-95 % of full scale,
    within what the detector can be set to."""
    gain = float(np.clip((_TARGET[1] - _TARGET[0]) / max(high - low, 1e-6), *gain_limits))
    offset = float(np.clip(_TARGET[0] - gain * low, *offset_limits))
    return gain, offset


def frame_auto_signal(
    driver: Driver,
    start: InstrumentStateSnapshot,
    *,
    progress: Progress,
    cancel: threading.Event,
) -> SignalResult:
    """From `start`: measure the signal with a neutral response, set the gain and offset, and
    measure again."""
    info = driver.device_info()
    if "detector_gain" not in info.capabilities:
        raise UnsupportedError(
            "auto_signal", f"the {info.driver} driver's detector takes no gain or offset"
        )
    probe = ScanRequest(fov_um=start.fov_um, resolution=(_SIZE, _SIZE), bit_depth=16)

    def frame(done: int) -> tuple[float, float]:
        if cancel.is_set():
            raise Cancelled(f"auto signal cancelled after {done} frames")
        pixels = driver.acquire(probe, cancel=cancel).pixels
        progress(done + 1, 2)
        return signal_range(pixels, 16)

    driver.set_detector(DetectorSettings(gain=1.0, offset=0.0))
    gain, offset = fill_range(*frame(0), info.limits.detector_gain, info.limits.detector_offset)
    driver.set_detector(DetectorSettings(gain=gain, offset=offset))
    low, high = frame(1)
    return SignalResult(
        low_fraction=low,
        high_fraction=high,
        gain=gain,
        offset=offset,
        instrument_s=driver.state().clock_s - start.clock_s,
        frames=2,
        method="frames",
    )
