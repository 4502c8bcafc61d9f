"""Render time of the simulated SEM: one frame per specimen kind and size, single thread.

The target is 0.1 s for 1024×1024, as fast as the fastest real scan (1024² × 0.1 µs).
"""

from __future__ import annotations

import os
import statistics
import time

from semphony.server.drivers import ScanRequest, SimDriver
from semphony.server.drivers.sim import SPECIMEN_KINDS

TARGET_1024_S = 0.1


def _single_thread() -> None:
    # numpy/scipy are mostly single-threaded here already; pin BLAS pools anyway.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def run(quick: bool) -> dict[str, object]:
    """Median render time of whole acquisitions (specimen, optics, noise, quantisation)."""
    _single_thread()
    sizes = (512, 1024) if quick else (512, 1024, 2048)
    repeats = 3 if quick else 7
    rows: list[list[object]] = []
    for kind in SPECIMEN_KINDS:
        driver = SimDriver(seed=0, specimen_kind=kind)
        driver.pump()
        driver.set_beam(True)
        for size in sizes:
            request = ScanRequest(fov_um=100.0, resolution=(size, size), scan_speed_index=0)
            driver.acquire(request)  # warm-up
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                driver.acquire(request)
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            # Scale the 0.1 s target (set for 1024²) by pixel count for the other sizes.
            target = TARGET_1024_S * (size / 1024) ** 2
            rows.append(
                [kind, f"{size}x{size}", round(median, 4), round(target, 4), median <= target]
            )
    return {
        "name": "render",
        "columns": ["specimen", "resolution", "median_s", "target_s", "meets_target"],
        "rows": rows,
        "notes": (
            f"median of {repeats} acquisitions after a warm-up, FOV 100 µm, dwell 0.1 µs, one "
            "process; target 0.1 s for 1024² scaled by pixel count. Shared or loaded machines "
            "read slower."
        ),
    }


if __name__ == "__main__":
    result = run(quick=False)
    print(result["columns"])
    for row in result["rows"]:  # type: ignore[attr-defined]
        print(row)
