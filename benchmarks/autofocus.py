"""Autofocus alone after a remount: is the working distance it sets within the depth of field?

Each case remounts a simulated specimen (texture, periodic and sparse, 60 cases each: a random
height within ±100 µm and a small tilt, as `simulator.reload` draws them), leaves the working
distance where it was, and runs
`session.optics.autofocus(fov_um=50)` on the simulator (a WD sweep scored by sharpness, refined).
The depth of field is the simulator's own: the working-distance range in which its defocus blur
(the cone's disc, `CONVERGENCE_RAD` × defocus, beside the probe) stays under one pixel at the ROI's
pixel size (50 µm over 256 px). A case is in focus when |WD − the truth's in-focus WD| is within
half that range. The rate comes with its Wilson 95 % interval; instrument seconds and frames are
the SDK's `AutofocusResult` figures (virtual clock).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks._reloc_stats import percentile, wilson

__all__ = ["depth_of_field_mm", "run"]

ROI_FOV_UM = 50.0
SIDE_PX = 256
CASES = (60, 6)  # per specimen kind: full, quick
KINDS = ("texture", "periodic", "sparse")
SEED = 4242
_BATCH = 15  # cases per embedded server


def depth_of_field_mm(pixel_um: float, beam_current_na: float, hv_kv: float) -> float:
    """Half the WD range whose defocus blur stays under ``pixel_um`` (the simulator's optics)."""
    from semphony.server.drivers.sim.optics import CONVERGENCE_RAD, blur_um

    probe = blur_um(0.0, beam_current_na, hv_kv)
    if probe >= pixel_um:
        return 0.0
    return math.sqrt(pixel_um**2 - probe**2) / (1000.0 * CONVERGENCE_RAD)


def _batch(kind: str, seed: int, count: int) -> list[dict[str, Any]]:
    from semphony.client import Semphony

    out: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    with (
        Semphony.local(seed=seed, specimen_kind=kind) as client,
        client.runs.create(name="autofocus").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        for _ in range(count):
            x, y = rng.uniform(-3.0, 3.0, 2)
            session.stage.move_to(x=float(x), y=float(y))
            client.simulator.reload(shift_x_um=0.0, shift_y_um=0.0, rotation_deg=0.0)
            before = client.simulator.truth()
            start_wd = session.state().working_distance_mm
            found = session.optics.autofocus(fov_um=ROI_FOV_UM)
            truth = client.simulator.truth()
            state = session.state()
            half = depth_of_field_mm(ROI_FOV_UM / SIDE_PX, state.beam_current_na, state.hv_kv)
            assert truth.in_focus_wd_mm is not None
            assert before.in_focus_wd_mm is not None
            error_mm = abs(found.working_distance_mm - truth.in_focus_wd_mm)
            out.append(
                {
                    "specimen": kind,
                    "height_um": before.height_um,
                    "start_defocus_mm": abs(start_wd - before.in_focus_wd_mm),
                    "error_mm": error_mm,
                    "half_depth_mm": half,
                    "in_focus": error_mm <= half,
                    "instrument_s": found.instrument_s,
                    "frames": found.frames,
                    "method": found.method,
                }
            )
    return out


def _row(kind: str, cases: list[dict[str, Any]]) -> list[object]:
    hits = sum(1 for c in cases if c["in_focus"])
    low, high = wilson(hits, len(cases))
    error_um = [c["error_mm"] * 1000.0 for c in cases]
    start_um = [c["start_defocus_mm"] * 1000.0 for c in cases]
    seconds = [c["instrument_s"] for c in cases]
    return [
        kind,
        len(cases),
        f"{hits}/{len(cases)}",
        f"{hits / len(cases):.3f} ({low:.3f}-{high:.3g})",
        "≥ 0.95",
        f"{percentile(start_um, 50):.1f} / {max(start_um):.1f}",
        f"{percentile(error_um, 50):.1f} / {percentile(error_um, 95):.1f}",
        percentile([float(c["frames"]) for c in cases], 50),
        f"{percentile(seconds, 50):.1f} / {percentile(seconds, 95):.1f}",
        ", ".join(sorted({str(c["method"]) for c in cases})),
    ]


def run(quick: bool) -> dict[str, object]:
    """Autofocus after random remounts of each specimen kind, judged against the depth of field."""
    per_kind = CASES[1] if quick else CASES[0]
    cases: list[dict[str, Any]] = []
    rows: list[list[object]] = []
    for number, kind in enumerate(KINDS):
        mine: list[dict[str, Any]] = []
        for start in range(0, per_kind, _BATCH):
            seed = SEED + 1000 * number + start
            mine += _batch(kind, seed, min(_BATCH, per_kind - start))
        rows.append(_row(kind, mine))
        cases += mine
    rows.append(_row("every kind", cases))
    half_um = cases[0]["half_depth_mm"] * 1000.0 if cases else math.nan
    return {
        "name": "autofocus",
        "columns": [
            "specimen",
            "cases",
            "in depth of field",
            "rate (Wilson 95 %)",
            "target",
            "defocus before median / max µm",
            "WD error after median / p95 µm",
            "frames median",
            "instrument s median / p95",
            "method",
        ],
        "rows": rows,
        "notes": (
            f"{len(cases)} remounts of the simulated specimens (random height within ±100 µm and "
            f"a small tilt), autofocus(fov_um={ROI_FOV_UM:g}) each; in focus = the WD set within "
            f"the depth of field at the ROI's pixel size ({ROI_FOV_UM:g} µm over {SIDE_PX} px: "
            f"± {half_um:.1f} µm)."
        ),
        "cases": cases,
    }
