"""The instrument's own auto procedures, done the way an instrument does them: by looking at images.

``AutoWD`` (autofocus) scans small frames of the simulated specimen at working distances across
the search range, keeps the sharpest (highest contrast), narrows the range around it and repeats;
it ends with the WD set to the best one found. ``DtAutoSignal`` (auto contrast/brightness) scans one
frame with a neutral response and sets the gain and offset that spread the signal's 0.5-99.5 %
range over 5-95 % of full scale (`drivers._auto_signal`'s rule, which the sim driver uses too).
Each takes instrument time (wait flag D, ``IsBusy``); neither runs with the beam off or while
scanning (then, like a real column, it does nothing and says nothing). The results are set at
once; the procedure's time is reported by the busy flag afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers import ScanRequest
from semphony.server.drivers._auto_signal import fill_range
from semphony.server.drivers.tescan.emulator._instrument import Instrument

__all__ = ["auto_signal", "auto_wd"]

_AUTO_RESOLUTION = (192, 192)
_AUTO_DWELL_US = 1.0
_WD_POINTS = 9
_WD_PASSES = 4
_FLAT = 0.03  # a first pass whose contrast varies less than this finds nothing to focus on
_WD_RANGE_MM = 10.0  # searched on either side of the current WD when no range is given
_STEP_OVERHEAD_S = 0.4  # lens settling and evaluation per frame
_AUTO_WD_BASE_S = 5.0
_AUTO_SIGNAL_BASE_S = 2.0


def _sharpness(pixels: NDArray[Any]) -> float:
    # 2×2 binning first: shot noise would otherwise add contrast of its own.
    p = pixels.astype(np.float64)
    h, w = (p.shape[0] // 2) * 2, (p.shape[1] // 2) * 2
    binned = p[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return float(binned.std())


def _frame(instrument: Instrument, detector: int, wd_mm: float, bit_depth: int) -> NDArray[Any]:
    return instrument.sim.acquire(
        ScanRequest(
            fov_um=instrument.view_field_mm * 1000,
            resolution=_AUTO_RESOLUTION,
            dwell_time_us=_AUTO_DWELL_US,
            detector_channel=detector,
            working_distance_mm=wd_mm,
            bit_depth=bit_depth,
        )
    )


def _ready(instrument: Instrument, channel: int) -> bool:
    return (
        instrument.sim.state().beam_on
        and not instrument.scanning()
        and not instrument.auto_running()
        and channel in instrument.channels
    )


def auto_wd(instrument: Instrument, channel: int, lo_mm: float | None, hi_mm: float | None) -> bool:
    """Autofocus on `channel`'s detector within [lo, hi] mm; False for an unknown channel."""
    with instrument.lock:
        if channel not in instrument.channels:
            return False
        if not _ready(instrument, channel):
            return True
        limits = instrument.limits.working_distance_mm
        wd = instrument.wd_mm()
        lo = max(limits[0], wd - _WD_RANGE_MM if lo_mm is None else lo_mm)
        hi = min(limits[1], wd + _WD_RANGE_MM if hi_mm is None else hi_mm)
        if lo > hi:
            return True  # an empty range: nothing to search
        detector = instrument.channels[channel].detector
        start = instrument.sim.clock_s()
        frames = 0
        best = wd
        for search in range(_WD_PASSES):
            candidates = np.linspace(lo, hi, _WD_POINTS)
            scores = [_sharpness(_frame(instrument, detector, float(c), 8)) for c in candidates]
            frames += len(candidates)
            if search == 0 and max(scores) - min(scores) < _FLAT * max(scores):
                break  # no WD looks sharper than another (a wide field): leave the WD alone
            k = int(np.argmax(scores))
            best = float(candidates[k])
            step = (hi - lo) / (_WD_POINTS - 1)
            lo, hi = max(lo, best - step), min(hi, best + step)
        instrument.set_wd(best)
        elapsed = instrument.sim.clock_s() - start
        instrument.start_auto(_AUTO_WD_BASE_S + elapsed + frames * _STEP_OVERHEAD_S)
        return True


def auto_signal(instrument: Instrument, channel: int) -> bool:
    """Auto contrast/brightness on `channel`'s detector; False for an unknown channel."""
    with instrument.lock:
        if channel not in instrument.channels:
            return False
        if not _ready(instrument, channel):
            return True
        detector = instrument.channels[channel].detector
        start = instrument.sim.clock_s()
        gamma = instrument.sim.set_response(gain=1.0, offset=0.0)[2]
        raw = _frame(instrument, detector, instrument.wd_mm(), 16).astype(np.float64) / 65535
        signal = raw ** (1.0 / gamma)  # undo the gamma: gain and offset act before it
        p_lo, p_hi = (float(v) for v in np.percentile(signal, [0.5, 99.5]))
        gain, offset = fill_range(p_lo, p_hi, (0.01, 100.0), (-1.0, 1.0))
        instrument.sim.set_response(gain=gain, offset=offset)
        elapsed = instrument.sim.clock_s() - start
        instrument.start_auto(_AUTO_SIGNAL_BASE_S + elapsed + _STEP_OVERHEAD_S)
        return True
