"""`semphony demo`: mark a region, remount the specimen, find the region again; told step by step.

Everything runs on the embedded simulated SEM (`Semphony.local`), whose ground truth says where
the saved region really lies after the remount, so the demo can state its own error in µm.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from semphony import (
    ChamberBeamGuardrail,
    ImagingGuardrails,
    Semphony,
    StageAbsoluteLimits,
    StageRelativeLimits,
)
from semphony._cli_render import find_table
from semphony._state import InstrumentState
from semphony._types import SimTruth
from semphony.models import AcquisitionConfig, AcquisitionResult, FindRoiResult, RoiSpec
from semphony.session import Session

__all__ = ["SUMMARY_FILE", "run_demo"]

SUMMARY_FILE = "demo-summary.json"
_ROI_NAME = "demo_roi"
_SPEC = RoiSpec(name=_ROI_NAME, roi_fov_um=50, l2_fov_um=150, l1_fov_um=300, l0_fov_um=1500)
_GUARDRAILS = ImagingGuardrails(
    chamber_beam=ChamberBeamGuardrail(),
    stage_absolute=StageAbsoluteLimits(x=(-10.0, 10.0), y=(-10.0, 10.0)),
    stage_relative=StageRelativeLimits(x_pct=400, y_pct=400, r_max_deg=5),
)


def _rot(x: float, y: float, angle_deg: float) -> tuple[float, float]:
    a = math.radians(angle_deg)
    return math.cos(a) * x - math.sin(a) * y, math.sin(a) * x + math.cos(a) * y


def _true_centre_mm(truth: SimTruth, state: InstrumentState) -> tuple[float, float]:
    """Where the centre of the field really is, in stage coordinates (mm): the true stage
    position plus the beam shift, turned by stage rotation and stretched by tilt as the simulator
    does (`/v1/device` conventions)."""
    stage = truth.stage_true
    if stage is None:
        raise ValueError("the simulator did not report the stage's true pose")
    shift_x = state.beam_shift_x_um
    shift_y = state.beam_shift_y_um / math.cos(math.radians(stage.t_deg))
    dx_um, dy_um = _rot(shift_x, shift_y, -stage.r_deg)
    return stage.x_mm + dx_um / 1000.0, stage.y_mm + dy_um / 1000.0


def _at_first_load_mm(truth: SimTruth, x_mm: float, y_mm: float) -> tuple[float, float]:
    """The first-load coordinates of the specimen point at stage (x, y) now (inverse placement)."""
    cx, cy = truth.centre_x_mm, truth.centre_y_mm
    dx = (x_mm - cx) * 1000.0 - truth.shift_x_um
    dy = (y_mm - cy) * 1000.0 - truth.shift_y_um
    ux, uy = _rot(dx, dy, -truth.rotation_deg)
    return cx + ux / 1000.0, cy + uy / 1000.0


def _now_mm(truth: SimTruth) -> tuple[float, float]:
    point = truth.point_now
    if point is None:
        raise ValueError("the simulator did not answer where the point lies now")
    return point.x_mm, point.y_mm


def _download(session: Session, image_id: str, target: Path) -> Path:
    result = AcquisitionResult(correlation_id=image_id, image_id=image_id)
    return Path(session.imaging.download(result, target).local_path or target)


def _last_image_id(result: FindRoiResult) -> str | None:
    for entry in reversed(result.level_history):
        image_id = entry.get("image_id")
        if isinstance(image_id, str) and entry.get("level") == "roi":
            return image_id
    return None


def _error_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(
        title="against the simulator's ground truth", title_justify="left", show_header=False
    )
    table.add_column("")
    table.add_column("", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def run_demo(
    *,
    out: Path = Path("demo-output"),
    seed: int | None = None,
    resolution_px: int = 256,
    console: Console | None = None,
) -> int:
    """Tell the ROI story on the simulated SEM, writing images, report and summary into `out`;
    0 when the ROI is found within tolerance, 1 otherwise."""
    console = console if console is not None else Console(soft_wrap=True)
    if resolution_px < 64:
        raise ValueError(f"--resolution-px must be >= 64, got {resolution_px}")
    seed = secrets.randbelow(1_000_000) if seed is None else seed
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files: list[Path] = []
    say = console.print

    say(f"[bold]1.[/bold] starting the embedded simulated SEM (seed {seed}; --seed {seed} replays)")
    with Semphony.local(seed=seed) as client:
        run = client.runs.create(name="semphony demo")
        with run.session(guardrails=_GUARDRAILS).start() as session:
            say(
                "[bold]2.[/bold] session started with guardrails: beam only under vacuum, "
                "stage within ±10 mm and each move within 400 % of the field of view"
            )
            vacuum = session.chamber.pump()
            session.beam.on()
            state = session.state()
            say(
                f"[bold]3.[/bold] chamber {vacuum}, beam on at {state.hv_kv:g} kV "
                f"({state.clock_s:.0f} s of instrument time so far)"
            )
            session.optics.set(fov_um=_SPEC.l0_fov_um)  # a wide view, so the move is allowed
            x_mm, y_mm = (float(v) for v in rng.uniform(-2.0, 2.0, size=2))
            pose = session.stage.move_to(x=x_mm, y=y_mm)
            say(
                f"[bold]4.[/bold] stage moved to a spot at x {pose.x_mm:.3f} mm, "
                f"y {pose.y_mm:.3f} mm"
            )

            truth = client.simulator.truth()
            saved_true = _at_first_load_mm(truth, *_true_centre_mm(truth, session.state()))
            config = AcquisitionConfig(resolution=(resolution_px, resolution_px), mode="SE")
            levels = ", ".join(f"{level} {fov:g} µm" for level, fov in _SPEC.levels())
            say(f"[bold]5.[/bold] saving ROI {_ROI_NAME!r}: {levels} at {resolution_px} px")
            record = session.imaging.save_roi(_SPEC, config=config, overwrite=True)
            for level in record.levels:
                path = out / f"saved-{level.level}-{level.fov_um:g}um.tiff"
                files.append(_download(session, level.image_id, path))

            shift_um = float(rng.uniform(200.0, 500.0))
            direction = float(rng.uniform(0.0, 2.0 * math.pi))
            angle_deg = float(rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 4.0))
            shift_x_um, shift_y_um = shift_um * math.cos(direction), shift_um * math.sin(direction)
            client.simulator.reload(
                shift_x_um=shift_x_um, shift_y_um=shift_y_um, rotation_deg=angle_deg
            )
            say(
                f"[bold]6.[/bold] specimen remounted: shifted {shift_um:.0f} µm "
                f"({shift_x_um:+.0f}, {shift_y_um:+.0f}) and rotated {angle_deg:+.2f}°"
            )
            report = out / "find-report.png"
            say(f"[bold]7.[/bold] finding ROI {_ROI_NAME!r} from the overview down")
            try:
                result = session.imaging.find_roi(_ROI_NAME, report=report, progress=True)
            except NotImplementedError as exc:
                say(f"[yellow]the demo stops here: {exc}[/yellow]")
                _write_summary(out, {"seed": seed, "found": None, "stopped": str(exc)}, files)
                return 0
            files.append(report)
            found_id = _last_image_id(result)
            if found_id is not None:
                files.append(_download(session, found_id, out / "found-roi.tiff"))
            # Where the saved centre lies now, by the simulator's ground truth, against where the
            # field really is (true stage + beam shift) and where the SDK believes it is.
            truth = client.simulator.truth(x_mm=saved_true[0], y_mm=saved_true[1])
            target = _now_mm(truth)
            reached = _true_centre_mm(truth, session.state())
            saved_readback = client.simulator.truth(
                x_mm=record.centre_mm[0], y_mm=record.centre_mm[1]
            )
            believed_target = _now_mm(saved_readback)

    error_um = 1000.0 * math.hypot(reached[0] - target[0], reached[1] - target[1])
    believed = result.metrics.get("roi_centre_mm")
    readback_error_um = (
        1000.0 * math.hypot(believed[0] - believed_target[0], believed[1] - believed_target[1])
        if isinstance(believed, list) and len(believed) == 2
        else None
    )
    metrics = result.metrics
    tolerance = metrics.get("tolerance_um")
    tolerance_um = float(tolerance) if isinstance(tolerance, int | float) else None
    angle_found = metrics.get("rotation_deg")
    console.print(find_table(result, title=f"find_roi {_ROI_NAME!r}, level by level"))
    rows = [
        ("remount (shift, rotation)", f"{shift_um:.0f} µm, {angle_deg:+.2f}°"),
        ("rotation found", f"{angle_found:+.3f}°" if isinstance(angle_found, float) else "–"),
        ("final error (true position of the field)", f"{error_um:.3f} µm"),
        (
            "readback estimate vs truth (hidden stage error)",
            f"{readback_error_um:.3f} µm" if readback_error_um is not None else "–",
        ),
        ("tolerance (one ROI pixel)", f"{tolerance_um:.3f} µm" if tolerance_um else "–"),
        (
            "acquisitions, stage moves",
            f"{metrics.get('acquisitions')}, {metrics.get('stage_moves')}",
        ),
        ("instrument time", f"{float(metrics.get('instrument_s') or 0.0):.1f} s"),
    ]
    console.print(_error_table(rows))
    summary = {
        "seed": seed,
        "found": result.found,
        "error_um": error_um,
        "readback_error_um": readback_error_um,
        "tolerance_um": tolerance_um,
        "remount": {"shift_x_um": shift_x_um, "shift_y_um": shift_y_um, "rotation_deg": angle_deg},
        "final_pose": result.final_pose,
        "iterations": result.iterations,
        "metrics": metrics,
    }
    _write_summary(out, summary, files)
    files.append(out / SUMMARY_FILE)
    verdict = "[green]found[/green]" if result.found else "[red]not found[/red]"
    say(
        f"[bold]8.[/bold] {verdict}: {error_um:.3f} µm from where the ROI really is, in "
        f"{time.perf_counter() - started:.0f} s; wrote {len(files)} files into {out.resolve()}:"
    )
    for path in files:
        say(f"   {path.name}")
    return 0 if result.found else 1


def _write_summary(out: Path, summary: dict[str, Any], files: list[Path]) -> None:
    doc = {**summary, "files": [p.name for p in files]}
    (out / SUMMARY_FILE).write_text(json.dumps(doc, indent=2, default=str) + "\n")
