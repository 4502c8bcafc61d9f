"""The emulator's own clock: instrument seconds scaled to real seconds, and phases under way.

The simulator does its physics at once (a pump, a move, a frame); the emulator then reports the
in-between state (pumping, busy, switching) for the instrument duration × time scale. At time
scale 0 nothing waits, yet the order of states is kept: a phase lasts until a status poll has
reported it once, so a poller always sees ``pumping`` before ``pumped``.
"""

from __future__ import annotations

import math
import threading
import time

__all__ = ["Phase", "TimeScale"]


class TimeScale:
    """Real seconds per instrument second (1 real time, 0 no waiting); changeable at run time."""

    def __init__(self, value: float) -> None:
        self.value = value

    @property
    def value(self) -> float:
        return self._value

    @value.setter
    def value(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"time_scale={value!r} must be a number")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"time_scale={value!r} must be a finite number >= 0")
        self._value = float(value)

    def sleep(self, instrument_s: float, stop: threading.Event) -> bool:
        """Wait `instrument_s` × scale real seconds; False when `stop` was set meanwhile."""
        real = instrument_s * self._value
        if real <= 0:
            return not stop.is_set()
        return not stop.wait(real)


class Phase:
    """Something under way for `instrument_s` (scaled by the time scale in force when it began).

    `hold` keeps it running past its end until `release()` or, when `hold_s` is given, for that
    many real seconds (a stuck stage: a fault, so it is timed in real seconds at any scale).
    """

    def __init__(
        self,
        scale: TimeScale,
        instrument_s: float,
        *,
        hold: bool = False,
        hold_s: float | None = None,
    ) -> None:
        self._scale = scale.value
        self._start = time.monotonic()
        self._end = self._start + max(0.0, instrument_s) * self._scale
        self._seen = False
        self._held = hold
        self._hold_until = math.inf if hold_s is None else self._start + hold_s
        self.instrument_s = max(0.0, instrument_s)

    def running(self) -> bool:
        """Still under way (does not count as a poll)."""
        if self._held and time.monotonic() < self._hold_until:
            return True
        if self._scale == 0:
            return not self._seen
        return time.monotonic() < self._end

    def observe(self) -> bool:
        """`running()`, as seen by a status poll: at time scale 0 the first poll ends the phase."""
        running = self.running()
        if running:
            self._seen = True
        return running

    def fraction(self) -> float:
        """How far along, 0..1 (1 at time scale 0, where a phase has no length)."""
        if self._scale == 0 or self._end <= self._start:
            return 1.0
        return min(1.0, (time.monotonic() - self._start) / (self._end - self._start))

    def release(self) -> None:
        """End a hold (the phase still runs to its own end)."""
        self._held = False
