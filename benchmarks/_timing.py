"""Side-by-side timing for the benchmarks that compare two ways of doing the same thing.

Calls are interleaved in rounds that rotate which goes first, so drift of a shared machine hits
every contender alike; medians are reported, not means, so one stall does not decide a ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

__all__ = ["Cost", "interleaved", "median_s", "repeated", "rotated", "timed"]


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
    return rotated([partial(repeated, fn, per_round) for fn in fns], rounds=rounds)


def repeated(fn: Callable[[], object], count: int) -> list[Cost]:
    """The cost of each of `count` calls of `fn`."""
    return [timed(fn) for _ in range(count)]


def rotated(batches: list[Callable[[], list[Cost]]], *, rounds: int) -> list[list[Cost]]:
    """The costs each of `batches` reports (a batch times its own calls, so it can set up what
    it needs untimed), in rounds that rotate which goes first."""
    costs: list[list[Cost]] = [[] for _ in batches]
    for i in range(rounds):
        for k in range(len(batches)):
            j = (i + k) % len(batches)
            costs[j].extend(batches[j]())
    return costs


def median_s(costs: list[Cost], *, cpu: bool = False) -> float:
    """The median wall (or CPU) seconds of `costs`."""
    return statistics.median(c.cpu_s if cpu else c.wall_s for c in costs)
