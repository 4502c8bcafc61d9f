"""Registration: the confidence gate's null calibration, recovery rates and timing.

Reproduces the numbers behind ``semphony.roi.registration``'s confidence constants: the reference is
registered against unrelated places of the same specimen (and of other specimens) with every
degradation the relocation meets (shot noise, gamma/contrast, SE↔BSE-like remapping, inversion,
defocus blur), plainly and with the rotation search; the null ceilings of the peak-to-sidelobe ratio
and of r·sqrt(overlap pixels) are the maxima seen there. True pairs (shifts up to 45 % of the field,
rotations up to 15°) give the recovery rate, the error and the confidence of right matches.

Run: ``python -m benchmarks registration`` (``--quick`` for a subset).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from semphony.roi._synthetic import IntensityMap, degrade, field, specimen
from semphony.roi.registration import (
    CONFIDENCE_GATE,
    Registration,
    register,
    register_rotation,
)

FIELD_PX = 512
SPECIMEN_PX = 2048
# Right matches must land within this many pixels of the truth.
RIGHT_WITHIN_PX = 2.0

_DEGRADATIONS: tuple[tuple[str, IntensityMap, float, float | None], ...] = (
    # name, intensity map, blur px, dose (electrons per unit signal; None = noiseless)
    ("clean", "identity", 0.0, None),
    ("noise", "identity", 0.0, 3.0),
    ("heavy noise", "identity", 0.0, 0.7),
    ("gamma+blur", "gamma", 2.5, 5.0),
    ("contrast", "contrast", 0.0, 5.0),
    ("se↔bse", "se_to_bse", 0.0, 5.0),
    ("inverted", "inverted", 1.0, 5.0),
)


@dataclass(frozen=True)
class Sample:
    """One registration and what the truth says about it."""

    kind: str  # "null" or "true"
    degradation: str
    rotation_search: bool
    result: Registration
    error_px: float  # distance from the true offset (inf for null pairs)
    error_deg: float
    seconds: float

    @property
    def correlation_z(self) -> float:
        """r·sqrt(overlap pixels), the correlation figure the confidence uses."""
        count = self.result.overlap * (FIELD_PX // self.result.binning) ** 2
        return max(self.result.overlap_correlation, 0.0) * math.sqrt(count)

    @property
    def right(self) -> bool:
        return self.kind == "true" and self.error_px <= RIGHT_WITHIN_PX


def _rotation_matrix(angle_deg: float) -> np.ndarray:
    theta = math.radians(angle_deg)
    return np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])


def samples(
    *, nulls: int, trues: int, rotation: bool, seed: int, max_shift: float = 0.45
) -> list[Sample]:
    """Seeded null and true registrations (``rotation``: through ``register_rotation``)."""
    rng = np.random.default_rng(seed)
    specimens = [specimen(SPECIMEN_PX, seed=seed * 10 + k) for k in range(3)]
    margin = FIELD_PX * 1.1
    out: list[Sample] = []
    for index in range(nulls + trues):
        kind = "null" if index < nulls else "true"
        name, intensity, blur, dose = _DEGRADATIONS[index % len(_DEGRADATIONS)]
        source_index = int(rng.integers(len(specimens)))
        source = specimens[source_index]
        centre = rng.uniform(margin, SPECIMEN_PX - margin, size=2)
        angle = float(rng.uniform(-15.0, 15.0)) if rotation else 0.0
        reference = field(source, centre_xy=(centre[0], centre[1]), shape=(FIELD_PX, FIELD_PX))
        if kind == "null":
            # An unrelated place: the same specimen mirrored through its centre when that lies at
            # least 1.5 fields away, else a place on another specimen.
            other = source
            elsewhere = SPECIMEN_PX - centre
            if np.max(np.abs(elsewhere - centre)) < 1.5 * FIELD_PX:
                other = specimens[(source_index + 1) % len(specimens)]
                elsewhere = rng.uniform(margin, SPECIMEN_PX - margin, size=2)
            moved = field(
                other,
                centre_xy=(elsewhere[0], elsewhere[1]),
                shape=reference.shape,
                rotation_deg=angle,
            )
            expected = None
        else:
            step = rng.uniform(-max_shift, max_shift, size=2) * FIELD_PX
            moved = field(
                source,
                centre_xy=(centre[0] + step[0], centre[1] + step[1]),
                shape=reference.shape,
                rotation_deg=angle,
            )
            # The view moved by `step`, so content moved by -R(θ)·step (see _synthetic.field).
            expected = -_rotation_matrix(angle) @ step
        moving = degrade(moved, rng=rng, intensity=intensity, blur_px=blur, dose=dose)
        started = time.perf_counter()
        result = register_rotation(reference, moving) if rotation else register(reference, moving)
        seconds = time.perf_counter() - started
        if expected is None:
            error_px, error_deg = math.inf, math.inf
        else:
            error_px = float(np.hypot(*(np.asarray(result.offset_px) - expected)))
            error_deg = abs(result.rotation_deg - angle)
        out.append(Sample(kind, name, rotation, result, error_px, error_deg, seconds))
    return out


def null_ceilings(null: list[Sample]) -> tuple[float, float]:
    """The largest peak-to-sidelobe ratio and r·sqrt(n) seen against unrelated places."""
    return (
        max(s.result.psr for s in null),
        max(s.correlation_z for s in null),
    )


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def _timing(quick: bool) -> list[list[object]]:
    source = specimen(SPECIMEN_PX, seed=99)
    rows: list[list[object]] = []
    for side in (512, 1024) if quick else (512, 1024, 2048):
        reference = field(source, centre_xy=(1024.0, 1024.0), shape=(side, side))
        moving = field(source, centre_xy=(1100.0, 980.0), shape=(side, side), rotation_deg=4.0)
        for name, function in (("register", register), ("register_rotation", register_rotation)):
            function(reference, moving)  # warm the window cache
            # The best of a few runs: the least disturbed by other work on the machine.
            seconds = math.inf
            for _ in range(2 if quick else 5):
                started = time.perf_counter()
                function(reference, moving)
                seconds = min(seconds, time.perf_counter() - started)
            rows.append(
                [f"time {name} {side}² (best of runs)", "", "", "", "", "", round(seconds, 3)]
            )
    return rows


PLAIN_SEEDS = tuple(range(100, 106))
ROTATION_SEEDS = tuple(range(300, 303))
PAIRS_PER_SEED = 7  # null pairs, and as many true pairs; one per degradation


def run(quick: bool) -> dict[str, object]:
    """Null calibration, recovery per degradation and timing (the full run is the calibration)."""
    plain_seeds = PLAIN_SEEDS[:1] if quick else PLAIN_SEEDS
    rotation_seeds = ROTATION_SEEDS[:1] if quick else ROTATION_SEEDS
    plain = [
        sample
        for seed in plain_seeds
        for sample in samples(nulls=PAIRS_PER_SEED, trues=PAIRS_PER_SEED, rotation=False, seed=seed)
    ]
    searched = [
        sample
        for seed in rotation_seeds
        for sample in samples(nulls=PAIRS_PER_SEED, trues=PAIRS_PER_SEED, rotation=True, seed=seed)
    ]
    everything = plain + searched
    null = [s for s in everything if s.kind == "null"]
    psr_ceiling, z_ceiling = null_ceilings(null)
    rows: list[list[object]] = []
    for label, group in (("register", plain), ("register_rotation", searched)):
        for name, *_ in _DEGRADATIONS:
            true = [s for s in group if s.kind == "true" and s.degradation == name]
            if not true:
                continue
            right = [s for s in true if s.right]
            rows.append(
                [
                    f"{label} {name}",
                    len(true),
                    f"{sum(s.result.passed and s.right for s in true)}/{len(true)}",
                    round(_percentile([s.error_px for s in right], 95), 3),
                    round(_percentile([s.error_deg for s in right], 95), 3)
                    if label != "register"
                    else "",
                    round(min((s.result.confidence for s in right), default=math.nan), 3),
                    round(_percentile([s.seconds for s in true], 50), 3),
                ]
            )
    wrong = null + [s for s in everything if s.kind == "true" and not s.right]
    rows.append(
        [
            "null (unrelated places)",
            len(null),
            f"{sum(s.result.passed for s in wrong)} false accepts of {len(wrong)} wrong",
            "",
            "",
            round(max(s.result.confidence for s in wrong), 3),
            round(_percentile([s.seconds for s in null], 50), 3),
        ]
    )
    rows.extend(_timing(quick))
    return {
        "name": "registration",
        "columns": [
            "case",
            "n",
            "passed & right",
            "error p95 px",
            "angle error p95 deg",
            "min confidence (right) / max (wrong)",
            "median s",
        ],
        "rows": rows,
        "notes": (
            f"{FIELD_PX}² fields of {SPECIMEN_PX}² synthetic specimens; shifts up to 45 % of the "
            f"field, rotations up to 15°; right = within {RIGHT_WITHIN_PX} px. Null ceilings seen "
            f"here: PSR {psr_ceiling:.2f}, r·sqrt(n) {z_ceiling:.1f} (the constants in "
            f"semphony.roi.registration are these maxima from the full run). Gate "
            f"{CONFIDENCE_GATE}."
        ),
    }
