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

from benchmarks.confidence_fit import binned_side
from semphony.roi._confidence import NULL_CEILINGS, ceiling
from semphony.roi._synthetic import IntensityMap, degrade, field, specimen
from semphony.roi.registration import (
    EVIDENCE_GATE,
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


def raw_evidence(result: Registration, binned_side: int) -> float:
    """PSR · A, the figure the null ceilings are measured in."""
    return result.evidence * ceiling(binned_side)


def agreement(result: Registration, binned_side: int) -> float:
    """The tile agreement the evidence used, recovered from the evidence and the PSR."""
    if result.psr <= 0.0:
        return 0.0
    return raw_evidence(result, binned_side) / result.psr


def null_ceilings(null: list[Registration], binned_side: int) -> tuple[float, float]:
    """The largest peak-to-sidelobe ratio and tile agreement seen against unrelated places."""
    return max(r.psr for r in null), max(agreement(r, binned_side) for r in null)


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


SIM_PAIRS = 25  # per specimen kind and level: 300 null and 300 true pairs in all
SIM_SIDE_PX = 256
SIM_SEED = 11
CEILING_SIDES = (512, 1024)
CEILING_PAIRS = 25  # per kind and level, as SIM_PAIRS
CEILING_SEED = 601


def _ceiling_row(samples: list[SimSample], side_px: int) -> list[object]:
    """The null ceiling of PSR · A at one frame size against the one the model uses."""
    binned = binned_side(side_px)
    # The periodic specimen's finer levels repeat by design: no null can calibrate them.
    null = [
        s
        for s in samples
        if s.kind == "null" and (s.specimen_kind != "periodic" or s.level == "L0")
    ]
    right = [s for s in samples if s.kind == "true" and s.error_px <= RIGHT_WITHIN_PX]
    top = max(raw_evidence(s.result, binned) for s in null)
    low = min((raw_evidence(s.result, binned) for s in right), default=math.nan)
    return [
        f"simulator null ceiling, {side_px}² frames (binned {binned})",
        len(null),
        f"{sum(s.result.passed for s in null)} of {len(null)} unrelated pass",
        "",
        "",
        f"PSR·A: highest unrelated {top:.1f}, lowest right {low:.1f}; model {ceiling(binned):.0f}",
        "",
    ]


def _ceiling_rows(quick: bool) -> list[list[object]]:
    """Frames that bin to 512 px have a null of their own: the model's 512 px ceiling."""
    pairs = 3 if quick else CEILING_PAIRS
    out: list[list[object]] = []
    for side_px in CEILING_SIDES[:1] if quick else CEILING_SIDES:
        samples = [
            sample
            for kind in SIM_KINDS
            for sample in simulator_samples(kind, pairs=pairs, side_px=side_px, seed=CEILING_SEED)
        ]
        out.append(_ceiling_row(samples, side_px))
    return out


def _sim_rows(quick: bool) -> tuple[list[list[object]], list[Registration]]:
    pairs = 3 if quick else SIM_PAIRS
    sims = [
        sample
        for kind in SIM_KINDS
        for sample in simulator_samples(kind, pairs=pairs, side_px=SIM_SIDE_PX, seed=SIM_SEED)
    ]
    rows: list[list[object]] = []
    for kind in SIM_KINDS:
        for level in SIM_LEVELS_UM:
            mine = [s for s in sims if s.specimen_kind == kind and s.level == level]
            null = [s.result for s in mine if s.kind == "null"]
            true = [s for s in mine if s.kind == "true"]
            right = [s for s in true if s.error_px <= RIGHT_WITHIN_PX]
            # A true pair matched more than 2 px off: at L0 mostly the right place at an angle
            # a few degrees off (the finer levels correct it), else a wrong place.
            missed = [s.result for s in true if s.error_px > RIGHT_WITHIN_PX]
            wrong = null + missed
            rows.append(
                [
                    f"simulator {kind} {level}",
                    len(true),
                    f"{sum(s.result.passed for s in right)}/{len(true)}; false accepts: "
                    f"{sum(r.passed for r in null)} of {len(null)} unrelated, "
                    f"{sum(r.passed for r in missed)} of {len(missed)} off by > 2 px",
                    round(_percentile([s.error_px for s in right], 95), 3),
                    round(_percentile([s.error_deg for s in right], 95), 3)
                    if level == "L0"
                    else "",
                    f"{min((s.result.confidence for s in right), default=math.nan):.3f} / "
                    f"{max(r.confidence for r in wrong):.3f}",
                    "",
                ]
            )
    rows.append(_ceiling_row(sims, SIM_SIDE_PX))
    return rows, [s.result for s in sims if s.kind == "null"]


def run(quick: bool) -> dict[str, object]:
    """Null calibration on the simulator, recovery per degradation on synthetic fields, timing."""
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
    rows, sim_null = _sim_rows(quick)
    rows.extend(_ceiling_rows(quick))
    psr_ceiling, agreement_ceiling = null_ceilings(sim_null, SIM_SIDE_PX)
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
    null = [s for s in everything if s.kind == "null"]
    wrong = null + [s for s in everything if s.kind == "true" and not s.right]
    rows.append(
        [
            "synthetic null (unrelated places)",
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
            f"Simulator rows: {SIM_SIDE_PX}² frames of the simulator's specimens at find_roi's "
            f"level FOVs {SIM_LEVELS_UM} µm, references at {_SIM_SAVE_DWELL_US} µs SE, the "
            "moving image at a random dwell, SE or BSE, contrast/gamma change, and at L0 a scan "
            "rotation up to 15° with the angle searched as find_roi does; null = a place 1.5 FOV "
            f"to 3 mm away. Null ceilings there: PSR {psr_ceiling:.2f}, tile agreement "
            f"{agreement_ceiling:.1f}. Synthetic rows: {FIELD_PX}² fields of {SPECIMEN_PX}² "
            "synthetic specimens, shifts up to 45 %, rotations up to 15°. Right = within "
            f"{RIGHT_WITHIN_PX} px. Gate: evidence {EVIDENCE_GATE} (PSR·A over the null "
            f"ceiling of its binned size, {NULL_CEILINGS})."
        ),
    }


# ---------------------------------------------------------------------------------------------
# The simulator's null: the gate's calibration on the specimens find_roi really meets.

SIM_LEVELS_UM = {"L0": 1500.0, "L1": 300.0, "L2": 150.0, "ROI": 50.0}
SIM_KINDS = ("texture", "periodic", "sparse")
_SIM_DWELLS_US = (8.0, 1.0, 1.0, 0.1)  # find-time noise: none, moderate (twice), heavy
_SIM_SAVE_DWELL_US = 2.0
_SIM_SEARCH_SIDE_PX = 256  # find_roi searches the L0 angle on images binned to about this


@dataclass(frozen=True)
class SimSample:
    """One registration of a simulator reference against an unrelated place or a true one."""

    specimen_kind: str
    level: str
    kind: str  # "null" or "true"
    result: Registration
    error_px: float
    error_deg: float


def _sim_frame(
    specimen: object,
    centre_um: tuple[float, float],
    fov_um: float,
    side_px: int,
    rng: np.random.Generator,
    *,
    dwell_us: float = _SIM_SAVE_DWELL_US,
    mode: str = "SE",
    scan_rotation_deg: float = 0.0,
    response: object = None,
) -> np.ndarray:
    from semphony.server.drivers.sim.optics import Geometry, Response, blur_um, render_frame
    from semphony.server.drivers.sim.specimen import Specimen

    assert isinstance(specimen, Specimen)
    geometry = Geometry(centre_um[0], centre_um[1], 0.0, 0.0, scan_rotation_deg, 0.0, 0.0)
    pixels = render_frame(
        specimen,
        geometry,
        mode=mode,
        resolution=(side_px, side_px),
        fov_um=fov_um,
        blur_sigma_um=blur_um(0.0, 0.1, 10.0),
        dwell_us=dwell_us,
        beam_current_na=0.1,
        response=response if isinstance(response, Response) else Response(),
        bit_depth=8,
        rng=rng,
    )
    return np.asarray(pixels, dtype=np.float64)


def _sim_register(reference: np.ndarray, moving: np.ndarray, *, search: bool) -> Registration:
    """What find_roi does: L0 searches the angle on binned images, then registers in full."""
    if not search:
        return register(reference, moving)
    from semphony.roi._find import _bin

    factor = max(1, round(moving.shape[0] / _SIM_SEARCH_SIDE_PX))
    coarse = register_rotation(_bin(reference, factor), _bin(moving, factor), max_angle_deg=20.0)
    return register(reference, moving, rotation_deg=coarse.rotation_deg)


def simulator_samples(
    specimen_kind: str, *, pairs: int, side_px: int, seed: int
) -> list[SimSample]:
    """Per level, ``pairs`` null pairs (the reference against a place 1.5 FOV to 3 mm away) and
    as many true pairs (shifted up to 45 % at L0 with the angle, 20 % at finer levels), each with
    a find-time degradation drawn from what the relocation benchmark varies."""
    from semphony.server.drivers.sim.optics import Response
    from semphony.server.drivers.sim.specimen import ProceduralSpecimen

    rng = np.random.default_rng(seed)
    source = ProceduralSpecimen(specimen_kind, int(rng.integers(1000)))
    out: list[SimSample] = []
    for level, fov_um in SIM_LEVELS_UM.items():
        coarsest = level == "L0"
        for _ in range(pairs):
            x, y = rng.uniform(-4000.0, 4000.0, 2)
            reference = _sim_frame(source, (x, y), fov_um, side_px, rng)
            find = {
                "dwell_us": float(rng.choice(_SIM_DWELLS_US)),
                "mode": "BSE" if rng.random() < 0.2 else "SE",
                "response": Response(1.4, -0.1, 1.8) if rng.random() < 0.2 else Response(),
                "scan_rotation_deg": float(rng.uniform(-15.0, 15.0)) if coarsest else 0.0,
            }
            distance = rng.uniform(1.5 * fov_um, 3000.0)
            direction = rng.uniform(0.0, 2.0 * math.pi)
            away = (x + distance * math.cos(direction), y + distance * math.sin(direction))
            null = _sim_frame(source, away, fov_um, side_px, rng, **find)  # type: ignore[arg-type]
            step = rng.uniform(-1.0, 1.0, 2) * (0.45 if coarsest else 0.2) * fov_um
            true = _sim_frame(source, (x + step[0], y + step[1]), fov_um, side_px, rng, **find)  # type: ignore[arg-type]
            # The view moved by `step` (stage axes, y up): content moved by -step, which in the
            # raster turned by ρ is R(-ρ)(-step), and image rows run downwards.
            rho = math.radians(float(find["scan_rotation_deg"]))  # type: ignore[arg-type]
            qx = -(math.cos(rho) * step[0] + math.sin(rho) * step[1])
            qy = -(-math.sin(rho) * step[0] + math.cos(rho) * step[1])
            expected = np.array([qx, -qy]) / (fov_um / side_px)
            for kind, moving in (("null", null), ("true", true)):
                result = _sim_register(reference, moving, search=coarsest)
                error_px = (
                    math.inf if kind == "null" else float(np.hypot(*(result.offset_px - expected)))
                )
                # The raster turned clockwise by ρ shows the content turned counter-clockwise by -ρ.
                error_deg = abs(result.rotation_deg + math.degrees(rho))
                out.append(SimSample(specimen_kind, level, kind, result, error_px, error_deg))
    return out
