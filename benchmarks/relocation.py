"""ROI relocation on the simulated SEM at scale: save, remount, find, compare with the ground truth.

The cases (see `_reloc_cases` and `_reloc_real`): 300 core cases over 256, 512 and 1024 px; 60 in
each other regime (hard geometry, heavy noise, off the overview, sparse specimen, a detector or
focus change); 100 absent-ROI cases (any ``found=True`` is a false accept); 60 on real images
scikit-image ships. ``--quick`` keeps every regime with a few cases each. Cases are seeded (the
table is reproducible) and run in batches, each on its own embedded server, over two worker
processes; the costliest batches start first so the two workers finish together.

The table (see `_reloc_table`) gives each found rate with its Wilson 95 % interval, the bad
accepts (beam over one ROI pixel or angle over 0.2° off, and any accept of an absent ROI) with an
upper bound, the rotation error p95, median acquisitions and the instrument seconds of the virtual
clock (median, p95). benchmarks/results/relocation.json keeps every outcome too.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from benchmarks._reloc_cases import REGIMES, Case, synthetic_cases
from benchmarks._reloc_real import PIXEL_UM, image_path, real_cases
from benchmarks._reloc_reliability import COLUMNS as RELIABILITY_COLUMNS
from benchmarks._reloc_reliability import ece
from benchmarks._reloc_reliability import rows as reliability_rows
from benchmarks._reloc_run import Task, worker
from benchmarks._reloc_table import BAD_ROTATION_DEG, COLUMNS, rows

__all__ = ["REAL_COUNT", "plan", "run", "tasks"]

REAL_COUNT = (60, 6)  # full, quick
_BATCH = 10  # cases per embedded server: a server start costs about a second
# Relative wall cost of a case by resolution (registration and rendering scale with the pixels)
# and of an absent case (it images the whole 5x5 grid); only used to order the batches.
_COST = {256: 1.0, 512: 3.0, 1024: 12.0}
_ABSENT_COST = 9.0


def plan(quick: bool) -> list[Case]:
    """Every case of a run, synthetic then real."""
    cases = synthetic_cases(quick)
    return cases + real_cases(REAL_COUNT[1] if quick else REAL_COUNT[0], first_index=len(cases))


def _cost(case: Case) -> float:
    return _ABSENT_COST if case.absent else _COST.get(case.resolution, 1.0)


def tasks(cases: list[Case]) -> list[Task]:
    """Batches of cases sharing a specimen, costliest first."""
    by_specimen: dict[str, list[Case]] = {}
    for case in cases:
        by_specimen.setdefault(case.specimen, []).append(case)
    out: list[Task] = []
    for specimen, mine in by_specimen.items():
        mine.sort(key=_cost, reverse=True)
        for start in range(0, len(mine), _BATCH):
            batch = mine[start : start + _BATCH]
            seed = 1000 + batch[0].index
            if specimen.startswith("image:"):
                out.append((specimen, image_path(specimen[6:]), PIXEL_UM, seed, batch))
            else:
                out.append((specimen, None, None, seed, batch))
    out.sort(key=lambda t: sum(_cost(c) for c in t[4]), reverse=True)
    return out


def _brief(o: dict[str, Any]) -> str:
    c = o["case"]
    return (
        f"#{c['index']} {c['regime']} {c['specimen']} {c['resolution']} px off {c['offset']} "
        f"rot {c['rotation_deg']:.1f} {c['noise']} {c['change']}"
    )


def run(quick: bool) -> dict[str, object]:
    """Run the cases over two processes and tabulate them per regime."""
    cases = plan(quick)
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        chunks = list(pool.imap_unordered(worker, tasks(cases), chunksize=1))
    wall_s = time.perf_counter() - started
    results = sorted((o for chunk in chunks for o in chunk), key=lambda o: o["case"]["index"])
    crashes = [_brief(o) + f": {o['crashed']}" for o in results if "crashed" in o]
    done = [o for o in results if "crashed" not in o]
    misses = [
        _brief(o) + f": {o['reason']}" for o in done if not o["found"] and not o["case"]["absent"]
    ]
    bad = [
        _brief(o) + f": {o['error_um'] / o['roi_pixel_um']:.2f} ROI px, "
        f"{o['rotation_error_deg']:.3f}°"
        for o in done
        if o["found"]
        and (
            o["case"]["absent"]
            or o["error_um"] > o["roi_pixel_um"]
            or o["rotation_error_deg"] > BAD_ROTATION_DEG
        )
    ]
    candidates = [tuple(c) for o in done for c in o.get("candidates", ())]
    counts = {name: (full, small) for name, (full, small, _) in REGIMES.items()}
    return {
        "name": "relocation",
        "columns": COLUMNS,
        "rows": rows(results),
        "tables": [
            {
                "title": "confidence reliability (every scored candidate)",
                "columns": RELIABILITY_COLUMNS,
                "rows": reliability_rows(candidates),
            }
        ],
        "notes": (
            f"{len(cases)} seeded cases ({'quick' if quick else 'full'}; per regime full/quick "
            f"{counts}, real images {REAL_COUNT}), 2 workers, {wall_s:.0f} s wall. "
            "Rate = found (bland real images and absent ROIs: refused or found right) with its "
            "Wilson 95 % interval; bad accept = found with the beam over one ROI pixel or the "
            f"angle over {BAD_ROTATION_DEG}° off (absent: any accept), bounded by the Wilson "
            f"upper end over the accepts. Crashes: {crashes[:3]}. Bad accepts: {bad[:5]}. "
            f"Present cases not found ({len(misses)}): {misses[:6]}. Confidence: expected "
            f"calibration error {ece(candidates):.4f} over {len(candidates)} scored candidates "
            "(target ≤ 0.05)."
        ),
        # The candidates are summed up in the reliability table; kept per outcome they would
        # make the file ten times larger.
        "outcomes": [{k: v for k, v in o.items() if k != "candidates"} for o in results],
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1, default=str))
