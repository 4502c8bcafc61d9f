"""One relocation trial on the embedded simulator, and a worker that runs a batch of them.

A trial saves an ROI pyramid, remounts the specimen so the ROI moves by the case's fraction of the
L0 FOV in a random direction and turns by its angle (about the ROI), changes what the case changes
between save and find (dwell, detector response, SE↔BSE, focus), runs ``find_roi`` and measures
where the beam really points against the simulator's ground truth.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from typing import Any

import numpy as np

from benchmarks._reloc_cases import L0_FOV_UM, NOISE_DWELL_US, SPEC, Case
from benchmarks._reloc_reliability import label

__all__ = ["Task", "run_case", "worker"]

DEFOCUS_MM = 0.15
ABSENT_SHIFT_UM = 8000.0  # far beyond the 5x5 grid of L0 fields the search covers
_LEVEL_NAMES = ("roi_fov_um", "l2_fov_um", "l1_fov_um", "l0_fov_um")

# A batch: the specimen (procedural kind, or an image file and its pixel size), a server seed,
# and the cases to run on that one server.
Task = tuple[str, str | None, float | None, int, list[Case]]


def _rot(x: float, y: float, deg: float) -> tuple[float, float]:
    a = math.radians(deg)
    return x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)


def _beam_centre_mm(client: Any, session: Any) -> tuple[float, float]:
    true = client.simulator.truth()["stage_true"]
    state = session.state()
    bx, by = _rot(state.beam_shift_x_um, state.beam_shift_y_um, -true["r_deg"])
    return true["x_mm"] + bx / 1000.0, true["y_mm"] + by / 1000.0


def _first_load_mm(client: Any, x_mm: float, y_mm: float) -> tuple[float, float]:
    t = client.simulator.truth()
    ux, uy = _rot(x_mm * 1000 - t["shift_x_um"], y_mm * 1000 - t["shift_y_um"], -t["rotation_deg"])
    return ux / 1000.0, uy / 1000.0


def _spec(case: Case) -> dict[str, float]:
    if not case.levels_um:
        return dict(SPEC)
    # Finest first: two levels are the ROI and L0, three add L1.
    names = {2: ("roi_fov_um", "l0_fov_um"), 3: ("roi_fov_um", "l1_fov_um", "l0_fov_um")}
    return dict(zip(names.get(len(case.levels_um), _LEVEL_NAMES), case.levels_um, strict=True))


def run_case(client: Any, session: Any, case: Case) -> dict[str, Any]:
    """Save, remount, find; the outcome against the ground truth as a JSON-able dict."""
    from semphony.models import AcquisitionConfig, RoiSpec
    from semphony.roi._find import find_roi
    from semphony.roi._save import save_roi

    rng = np.random.default_rng(case.seed)
    if case.levels_um:
        # Undo earlier remounts of this server's specimen: the start is in first-load mm.
        client.simulator.reload(**_undo(client))
        x, y = case.start_mm
    else:
        x, y = rng.uniform(-3.0, 3.0, 2)
    session.optics.set(beam_shift_x_um=0.0, beam_shift_y_um=0.0, scan_rotation_deg=0.0)
    session.stage.move_to(x=float(x), y=float(y))
    # A microscopist focuses before saving an ROI; without this, a batch's saves inherit the last
    # remount's defocus (up to ±100 µm: the ROI level's references blurred), which no refocus at
    # find time can match.
    session.optics.set(working_distance_mm=float(client.simulator.truth()["in_focus_wd_mm"]))
    resolution = (case.resolution, case.resolution)
    save_config = AcquisitionConfig(resolution=resolution, dwell_time_us=2.0)
    spec = _spec(case)
    record = save_roi(session, RoiSpec(name="bench", **spec), save_config, overwrite=True)
    centre_now = _beam_centre_mm(client, session)
    saved = _first_load_mm(client, *centre_now)
    # Remount so the ROI moves by the case's offset and turns by its angle about itself.
    direction = rng.uniform(0.0, 2 * math.pi)
    l0_um = max(spec.values()) if case.levels_um else L0_FOV_UM
    magnitude_um = ABSENT_SHIFT_UM if case.absent else case.offset * l0_um
    hx, hy = centre_now[0] * 1000.0, centre_now[1] * 1000.0
    rx, ry = _rot(hx, hy, case.rotation_deg)
    remounted = client.simulator.reload(
        shift_x_um=hx + magnitude_um * math.cos(direction) - rx,
        shift_y_um=hy + magnitude_um * math.sin(direction) - ry,
        rotation_deg=case.rotation_deg,
    )
    find: dict[str, Any] = {"dwell_time_us": NOISE_DWELL_US[case.noise]}
    if case.change == "se_bse":
        find["mode"] = "BSE"
    if case.change == "defocus":
        find["working_distance_mm"] = session.state().working_distance_mm + DEFOCUS_MM
    if case.change == "contrast":
        client.simulator.set_detector(gain=1.4, offset=-0.1, gamma=1.8)
    try:
        started = time.perf_counter()
        result = find_roi(session, "bench", config=AcquisitionConfig(**find))
        wall_s = time.perf_counter() - started
    finally:
        if case.change == "contrast":
            client.simulator.set_detector(gain=1.0, offset=0.0, gamma=1.0)
    now = client.simulator.truth(x_mm=saved[0], y_mm=saved[1])["point_now"]
    bx, by = _beam_centre_mm(client, session)
    m = result.metrics
    roi_px = record.levels[0].pixel_size_um or spec["roi_fov_um"] / case.resolution
    autofocus = m.get("autofocus")
    return {
        "case": asdict(case),
        "found": bool(result.found),
        "error_um": math.hypot(bx - now["x_mm"], by - now["y_mm"]) * 1000.0,
        "roi_pixel_um": float(roi_px),
        "rotation_error_deg": abs(float(m["rotation_deg"]) - case.rotation_deg),
        # The remount's height change as the simulator reports it (None where a remount, as the
        # emulator's side channel's, does not say).
        "height_um": _height_um(remounted),
        "confidence": float(m["final_confidence"] or 0.0),
        # Every frame counts: find_roi's own and an autofocus's (its sweep's frames are the
        # server's, so find_roi's `acquisitions` leaves them out), which are also shown apart.
        "acquisitions": int(m["acquisitions"]) + (_autofocus_frames(autofocus) or 0),
        "find_acquisitions": int(m["acquisitions"]),
        "autofocus_acquisitions": _autofocus_frames(autofocus),
        "stage_moves": int(m["stage_moves"]),
        "instrument_s": float(m["instrument_s"]),
        "wall_s": wall_s,
        "reason": m.get("reason"),
        # Every registration scored on the way, right or wrong against the truth (reliability).
        "candidates": label(
            result.level_history,
            None if case.absent else (now["x_mm"], now["y_mm"]),
            case.resolution,
        ),
    }


def _autofocus_frames(doc: object) -> int | None:
    if isinstance(doc, dict):
        for key in ("acquisitions", "frames"):
            if isinstance(doc.get(key), int):
                return int(doc[key])
    return None


def _undo(client: Any) -> dict[str, float]:
    """The reload that brings the placement back to the first load (shift 0, rotation 0)."""
    t = client.simulator.truth()
    sx, sy = _rot(t["shift_x_um"], t["shift_y_um"], -t["rotation_deg"])
    return {"shift_x_um": -sx, "shift_y_um": -sy, "rotation_deg": -t["rotation_deg"]}


def _height_um(remounted: Any) -> float | None:
    """The surface height a remount reports (SimTruth from the SDK; a side channel's dict may
    not carry it)."""
    height = remounted.get("height_um") if isinstance(remounted, dict) else remounted.height_um
    return None if height is None else float(height)


def worker(task: Task) -> list[dict[str, Any]]:
    """Run a batch of cases on one embedded server; a crash is an outcome too (not found)."""
    from semphony.client import Semphony

    kind, path, pixel_um, seed, cases = task
    out: list[dict[str, Any]] = []
    local: dict[str, Any] = (
        {"specimen": path, "specimen_pixel_um": pixel_um}
        if path is not None
        else {"specimen_kind": kind}
    )
    with Semphony.local(seed=seed, **local) as client:
        run = client.runs.create(name=f"relocation-{kind}")
        with run.session().start() as session:
            session.chamber.pump()
            session.beam.on()
            for case in cases:
                try:
                    out.append(run_case(client, session, case))
                except Exception as exc:
                    out.append({"case": asdict(case), "crashed": repr(exc)})
    return out
