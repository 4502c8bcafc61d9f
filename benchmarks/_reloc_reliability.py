"""Is `confidence` a probability? Every registration find_roi scored, labelled against the truth.

Each entry of a find's ``level_history`` says where the ROI's centre would be if that match were
right (the stage pose, plus the beam shift, plus the measured shift). The simulator's ground truth
says where it is; the match is *right* when the two lie within `RIGHT_WITHIN_FOV` of the level's
field of view (at least `RIGHT_WITHIN_UM`, the stage's own readback error): wrong places are a
sizeable part of a field away. Every scored candidate counts (grid screens, below-gate matches and
every candidate of an absent ROI, which are all wrong), not accepted matches alone.

The reliability table bins the candidates by confidence and compares each bin's mean confidence
with its fraction right; the expected calibration error (ECE) is their gap weighted by the bins'
counts. A confidence that reads as the probability of a right match has ECE near 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from benchmarks._reloc_stats import wilson
from semphony.roi._plan import Frame

__all__ = ["BINS", "COLUMNS", "RIGHT_WITHIN_FOV", "ece", "label", "rows"]

RIGHT_WITHIN_FOV = 0.05
RIGHT_WITHIN_UM = 2.5
BINS = 10
COLUMNS = ["confidence", "candidates", "mean confidence", "right", "fraction right", "Wilson 95 %"]

# A labelled candidate: (confidence, right, resolution px, level, evidence, image side px).
Candidate = tuple[float, bool, int, str, float, int]


def label(
    history: Iterable[Mapping[str, Any]], truth_mm: tuple[float, float] | None, resolution: int
) -> list[Candidate]:
    """Each scored entry as (confidence, right); with no ROI to find (`truth_mm` None) all wrong."""
    out: list[Candidate] = []
    for entry in history:
        confidence = float(entry["confidence"])
        right = truth_mm is not None and _distance_um(entry, truth_mm) <= max(
            RIGHT_WITHIN_UM, RIGHT_WITHIN_FOV * float(entry["fov_um"])
        )
        side = round(float(entry["fov_um"]) / float(entry["pixel_um"]))
        out.append(
            (confidence, right, resolution, str(entry["level"]), float(entry["evidence"]), side)
        )
    return out


def _distance_um(entry: Mapping[str, Any], truth_mm: tuple[float, float]) -> float:
    pose = entry.get("pose")
    if not isinstance(pose, Mapping):
        return math.inf
    frame = Frame(
        float(pose.get("r_deg", 0.0)),
        float(entry.get("scan_rotation_deg") or 0.0),
        float(pose.get("t_deg", 0.0)),
    )
    bx, by = (float(v or 0.0) for v in entry.get("beam_shift_um") or (0.0, 0.0))
    beam_x, beam_y = frame.column_to_stage_um(bx, by)
    x_um = float(pose["x_mm"]) * 1000.0 + beam_x + float(entry["shift_x_um"])
    y_um = float(pose["y_mm"]) * 1000.0 + beam_y + float(entry["shift_y_um"])
    return math.hypot(x_um - truth_mm[0] * 1000.0, y_um - truth_mm[1] * 1000.0)


def _bin(confidence: float) -> int:
    return min(BINS - 1, max(0, int(confidence * BINS)))


def ece(candidates: Sequence[Candidate]) -> float:
    """Expected calibration error over `BINS` equal-width confidence bins (NaN for none)."""
    if not candidates:
        return math.nan
    total = 0.0
    for members in _binned(candidates):
        if members:
            mean = sum(c for c, *_ in members) / len(members)
            right = sum(1 for _, r, *_ in members if r) / len(members)
            total += len(members) * abs(mean - right)
    return total / len(candidates)


def _binned(candidates: Sequence[Candidate]) -> list[list[Candidate]]:
    bins: list[list[Candidate]] = [[] for _ in range(BINS)]
    for candidate in candidates:
        bins[_bin(candidate[0])].append(candidate)
    return bins


def rows(candidates: Sequence[Candidate]) -> list[list[Any]]:
    """The reliability table: one row per non-empty bin, then the ECE per resolution and overall."""
    table: list[list[Any]] = []
    for index, members in enumerate(_binned(candidates)):
        if not members:
            continue
        n = len(members)
        right = sum(1 for _, r, *_ in members if r)
        low, high = wilson(right, n)
        table.append(
            [
                f"{index / BINS:.1f}-{(index + 1) / BINS:.1f}",
                n,
                round(sum(c for c, *_ in members) / n, 3),
                right,
                round(right / n, 3),
                f"{low:.3f}-{high:.3g}",
            ]
        )
    for resolution in sorted({c[2] for c in candidates}):
        mine = [c for c in candidates if c[2] == resolution]
        table.append([f"ECE {resolution} px", len(mine), "", "", round(ece(mine), 4), ""])
    table.append(["ECE, every candidate", len(candidates), "", "", round(ece(candidates), 4), ""])
    return table
