"""The relocation benchmark's cases: one regime at a time, each drawn from its own seed.

Each regime is drawn on purpose rather than sorted out of one random mix afterwards, so a full run
has as many cases per regime as its target needs (300 core cases over 256, 512 and 1024 px; 100
absent; 60 in each other regime) and ``--quick`` keeps the same regimes with a handful each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CORE",
    "L0_FOV_UM",
    "NOISE_DWELL_US",
    "REAL",
    "REGIMES",
    "SPEC",
    "Case",
    "synthetic_cases",
]

L0_FOV_UM = 1500.0
SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": L0_FOV_UM}
NOISE_DWELL_US = {"none": 8.0, "moderate": 1.0, "heavy": 0.1}
CORE = "core"
REAL = "real image"
# Regime name → (full-run count, quick count, resolutions cycled through, what it varies).
REGIMES: dict[str, tuple[int, int, tuple[int, ...]]] = {
    CORE: (300, 9, (256, 512, 1024)),
    "hard geometry": (60, 3, (256, 512)),
    "heavy noise": (60, 3, (256, 512)),
    "off the overview": (60, 3, (256, 512)),
    "sparse specimen": (60, 3, (256, 512)),
    "detector or focus change": (60, 3, (256, 512)),
    # Absent cases are judged at 256 px only: a refusal images the whole 5x5 grid, and what is
    # measured (is anything accepted?) does not depend on the resolution of the ROI level.
    "absent ROI": (100, 4, (256,)),
}
_CORE_OFFSETS = (0.0, 0.05, 0.1, 0.2, 0.3)
_CORE_ROTATIONS = (0.0, 0.5, 2.0, 5.0, 10.0)
_CHANGES = ("contrast", "se_bse", "defocus")


@dataclass(frozen=True)
class Case:
    """One save-remount-find trial; `specimen` is a procedural kind or ``image:<name>``."""

    index: int
    regime: str
    specimen: str
    resolution: int
    offset: float  # fraction of the L0 FOV the remount moves the ROI by
    rotation_deg: float
    noise: str
    change: str
    absent: bool
    seed: int
    # Real-image cases only: the pyramid (µm) and the saved ROI centre (first-load mm).
    levels_um: tuple[float, ...] = ()
    start_mm: tuple[float, float] = (0.0, 0.0)
    findability: float = float("nan")


def _sign(rng: np.random.Generator) -> float:
    return float(rng.choice([-1.0, 1.0]))


def _draw(regime: str, index: int, i: int, rng: np.random.Generator, resolution: int) -> Case:
    """Case number `i` of its regime (`index` in the run)."""
    kind = ("texture", "periodic")[i % 2]
    offset = float(rng.choice(_CORE_OFFSETS))
    rotation = float(rng.choice(_CORE_ROTATIONS)) * _sign(rng)
    noise = str(rng.choice(["none", "moderate"], p=[0.3, 0.7]))
    change = "none"
    absent = False
    if regime == "hard geometry":
        # Either the offset or the angle at the edge of what the L0 search covers, or both.
        offset, rotation = [(0.45, rotation), (offset, 15.0 * _sign(rng)), (0.45, 15.0)][i % 3]
    elif regime == "heavy noise":
        noise = "heavy"
    elif regime == "off the overview":
        offset = 0.7  # the ROI starts outside the first L0 field: the grid search must find it
    elif regime == "sparse specimen":
        kind = "sparse"
    elif regime == "detector or focus change":
        change = _CHANGES[i % len(_CHANGES)]
    elif regime == "absent ROI":
        kind = ("texture", "periodic", "sparse")[i % 3]
        absent = True
    return Case(
        index=index,
        regime=regime,
        specimen=kind,
        resolution=resolution,
        offset=offset,
        rotation_deg=rotation,
        noise=noise,
        change=change,
        absent=absent,
        seed=int(rng.integers(1 << 30)),
    )


def synthetic_cases(quick: bool, seed: int = 2026) -> list[Case]:
    """Every procedural-specimen case of a run, regime by regime, seeded."""
    cases: list[Case] = []
    for number, (regime, (full, small, resolutions)) in enumerate(REGIMES.items()):
        rng = np.random.default_rng([seed, number])
        count = small if quick else full
        for i in range(count):
            cases.append(_draw(regime, len(cases), i, rng, resolutions[i % len(resolutions)]))
    return cases
