"""The simulated instrument's virtual clock: costs are counted without waiting."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["VirtualClock"]


class _Wakeable(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...


class VirtualClock:
    """Seconds of instrument time; `realtime` > 0 also sleeps that many real seconds per second."""

    def __init__(self, realtime: float = 0.0, now_s: float = 0.0) -> None:
        if not realtime >= 0:
            raise ValueError(f"realtime={realtime!r} must be >= 0 (0 never sleeps)")
        self.realtime = float(realtime)
        self.now_s = float(now_s)

    def advance(self, dt_s: float) -> None:
        """Count `dt_s` of instrument time (call with the driver's lock held; never sleeps)."""
        self.now_s += max(0.0, dt_s)

    def sleep(self, dt_s: float, cancel: _Wakeable | None = None) -> None:
        """Wait `dt_s` × realtime real seconds (call without the driver's lock); a set `cancel`
        event ends the wait at once."""
        if self.realtime > 0 and dt_s > 0:
            if cancel is not None:
                cancel.wait(dt_s * self.realtime)
            else:
                time.sleep(dt_s * self.realtime)
