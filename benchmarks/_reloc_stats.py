"""Interval statistics for the relocation benchmark: what a finite number of cases can show.

A found rate of 19/21 says little about a 99 % target; the Wilson score interval says how little.
A count of zero bad accepts is bounded above by the same interval's upper end (for k = 0 it is
z²/(n + z²), about 3.84/n: close to the rule of three's 3/n).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["Z95", "percentile", "wilson", "wilson_upper"]

Z95 = 1.959963984540054  # the two-sided 95 % normal quantile


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval (lower, upper) for `successes` out of `trials`.

    With no trials nothing is known: (0, 1).
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"wilson: need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denominator = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # Clamp the rounding: at p = 0 or 1 one end is exactly 0 or 1.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def wilson_upper(successes: int, trials: int) -> float:
    """The upper end of the Wilson 95 % interval: a bound on a rate seen `successes` times."""
    return wilson(successes, trials)[1]


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (linear interpolation); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
