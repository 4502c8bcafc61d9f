"""Fit the confidence calibration (`semphony.roi._confidence.PLATT`) on find_roi's own candidates.

Runs relocation cases drawn from seeds the relocation benchmark does not use, labels every
registration find_roi scored right or wrong against the simulator's truth (`_reloc_reliability`),
and fits per binned image size a logistic in ln(evidence) with Platt's smoothed targets
((N₊ + 1) / (N₊ + 2) for right, 1 / (N₋ + 2) for wrong: finite where right and wrong separate
completely). Prints the table to paste into `_confidence.PLATT` and each size's calibration error
in-sample; the relocation benchmark measures it out of sample.

Run: ``python -m benchmarks.confidence_fit`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

from benchmarks._reloc_cases import synthetic_cases
from benchmarks._reloc_reliability import Candidate
from benchmarks._reloc_run import worker
from benchmarks.relocation import tasks
from semphony.roi.registration import _binning_for

__all__ = ["binned_side", "fit", "main"]

CALIBRATION_SEEDS = (7, 8)  # the relocation benchmark draws its cases from seed 2026


def binned_side(side_px: int) -> int:
    """The side registration works at for an image of ``side_px`` (see `registration`)."""
    return math.ceil(side_px / _binning_for((side_px, side_px)))


def fit(evidence: Sequence[float], right: Sequence[bool]) -> tuple[float, float]:
    """Platt's (a, b): P(right) = 1 / (1 + exp(-(a ln(evidence) + b)))."""
    x = np.log(np.maximum(np.asarray(evidence, dtype=np.float64), 1e-6))
    y = np.asarray(right, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    target = np.where(y, (positives + 1) / (positives + 2), 1.0 / (negatives + 2))

    def loss(params: np.ndarray) -> float:
        z = params[0] * x + params[1]
        # log(1 + exp(-z)) and log(1 + exp(z)), stably
        return float(np.sum(target * np.logaddexp(0.0, -z) + (1 - target) * np.logaddexp(0.0, z)))

    found = minimize(loss, x0=np.array([1.0, 0.0]), method="Nelder-Mead", options={"xatol": 1e-4})
    return float(found.x[0]), float(found.x[1])


def _candidates() -> list[Candidate]:
    cases = [case for seed in CALIBRATION_SEEDS for case in synthetic_cases(True, seed=seed)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        chunks = list(pool.imap_unordered(worker, tasks(cases), chunksize=1))
    return [tuple(c) for chunk in chunks for o in chunk for c in o.get("candidates", ())]


def main() -> None:
    """Run the calibration cases, fit, print the table."""
    candidates = _candidates()
    table: dict[int, tuple[float, float]] = {}
    for side in sorted({binned_side(c[5]) for c in candidates}):
        mine = [c for c in candidates if binned_side(c[5]) == side]
        a, b = fit([c[4] for c in mine], [c[1] for c in mine])
        table[side] = (round(a, 3), round(b, 3))
        right = sum(1 for c in mine if c[1])
        print(f"binned {side} px: {len(mine)} candidates, {right} right → a {a:.3f}, b {b:.3f}")
    print(f"PLATT = {table}")


if __name__ == "__main__":
    main()
