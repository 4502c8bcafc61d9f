"""Side-by-side timing for the benchmarks that compare two ways of doing the same thing.

Calls are interleaved in rounds that rotate which goes first, so drift of a shared machine hits
every contender alike; medians are reported, not means, so one stall does not decide a ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Cost", "interleaved", "median_s", "timed"]


@dataclass(frozen=True)
class Cost:
    """One call's wall time and this process's CPU time (all threads: the client's own work)."""

    wall_s: float
    cpu_s: float


def timed(fn: Callable[[], object]) -> Cost:
    """Run `fn` once and say what it cost."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return Cost(time.perf_counter() - wall, time.process_time() - cpu)


def interleaved(
    fns: list[Callable[[], object]], *, rounds: int, per_round: int
) -> list[list[Cost]]:
    """The cost of each call of each of `fns`, in rounds that rotate which goes first."""
    costs: list[list[Cost]] = [[] for _ in fns]
    for i in range(rounds):
        for k in range(len(fns)):
            j = (i + k) % len(fns)
            costs[j].extend(timed(fns[j]) for _ in range(per_round))
    return costs


def median_s(costs: list[Cost], *, cpu: bool = False) -> float:
    """The median wall (or CPU) seconds of `costs`."""
    return statistics.median(c.cpu_s if cpu else c.wall_s for c in costs)
