"""The confidence model: evidence against the null of unrelated places, and its calibration.

A registration's raw evidence is PSR · A: the correlation surface's peak-to-sidelobe ratio times
the tile agreement (the median over 4×4 tiles of the overlap of r·sqrt(tile pixels)). Both grow
with the binned image's size, so the raw figure means different things at different resolutions.
Two calibrations turn it into figures that mean the same everywhere:

- **evidence** = PSR · A over the null ceiling at that binned size: the highest PSR · A of the
  reference against an unrelated place of the same specimen (`python -m benchmarks registration`,
  simulator rows; the periodic specimen's finer levels excluded, see below). 1 is the null's
  ceiling; the gate (`EVIDENCE_GATE`) sits at half as much again, because an absent ROI tries up
  to 25 fields, each a draw from that null.
- **confidence** = the probability that the match is right (that it puts the ROI within 5 % of the
  field of view of where it is), a logistic in ln(evidence) fitted per binned size over every
  candidate `find_roi` scored in a calibration run whose seeds the relocation benchmark does not
  use (`python -m benchmarks.confidence_fit`; Platt's smoothed targets keep the fit finite where
  right and wrong separate completely). The relocation benchmark's reliability table checks it.

What no null can calibrate: the periodic specimen's street grid and dot lattice repeat everywhere,
so an unrelated place matches its finer levels as well as the right one (PSR · A up to 358).
Identity is decided at L0, and `find_roi` keeps finer levels to a capture window smaller than the
period and checks that each move brings the offset to zero.
"""

from __future__ import annotations

import itertools
import math

__all__ = ["EVIDENCE_GATE", "NULL_CEILINGS", "PLATT", "ceiling", "confidence", "evidence"]

# Binned side (px) → the null ceiling of PSR · A there, the highest over unrelated pairs of the
# three specimen kinds at the four levels (`benchmarks/registration.py`, `simulator_samples`):
# 256: 315 pairs (seeds 11 and 501), highest 54; 512 (frames of 512 and 1024 px both bin to it):
# 630 pairs (seeds 501 and 601), highest 82 (a 1024 px sparse L0 pair; the next 70).
NULL_CEILINGS: dict[int, float] = {256: 54.0, 512: 82.0}

EVIDENCE_GATE = 1.5
"""A registration is accepted (``Registration.passed``) when its ``evidence`` reaches this."""

# Binned side → (a, b) of confidence = 1 / (1 + exp(-(a ln(evidence) + b))), fitted by
# `python -m benchmarks.confidence_fit` (seeds 7 and 8): 128 (grid screens) on 196 candidates, 2
# right; 256 on 184, 151 right. At 512 only 3 of 141 candidates were wrong, too few to place the
# curve, so it keeps 256's (its right matches lie far above the gate: the figure reads near 1).
PLATT: dict[int, tuple[float, float]] = {
    128: (1.994, -2.124),
    256: (2.107, -0.662),
    512: (2.107, -0.662),
}


def _interpolated(
    table: dict[int, float] | dict[int, tuple[float, float]], side: int
) -> list[float]:
    """The table's entry for ``side``, linear in log2(side) between its sides, clamped outside."""
    sides = sorted(table)
    values = {s: list(v) if isinstance(v, tuple) else [v] for s, v in table.items()}
    if side <= sides[0]:
        return values[sides[0]]
    if side >= sides[-1]:
        return values[sides[-1]]
    for low, high in itertools.pairwise(sides):
        if low <= side <= high:
            t = (math.log2(side) - math.log2(low)) / (math.log2(high) - math.log2(low))
            return [a + t * (b - a) for a, b in zip(values[low], values[high], strict=True)]
    raise AssertionError("unreachable: the sides are sorted")


def ceiling(binned_side: int) -> float:
    """The null ceiling of PSR · A at ``binned_side``: what evidence 1 stands for there."""
    (value,) = _interpolated(NULL_CEILINGS, binned_side)
    return value


def evidence(psr: float, agreement: float, binned_side: int) -> float:
    """PSR · A in units of the null ceiling at ``binned_side`` (0 for a negative figure)."""
    return max(psr, 0.0) * max(agreement, 0.0) / ceiling(binned_side)


def confidence(value: float, binned_side: int) -> float:
    """The calibrated probability that a match of this ``evidence`` is right."""
    if value <= 0.0:
        return 0.0
    a, b = _interpolated(PLATT, binned_side)
    z = a * math.log(value) + b
    # exp overflows beyond ±709; the probability is 0 or 1 to double precision long before that.
    if z < -700.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))
