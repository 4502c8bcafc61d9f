"""`semphony state | beam | stop | chamber | autofocus | auto-signal | calibrate | sim | local`."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from rich.console import Console

from semphony._cli_connect import (
    CliInputError,
    add_connection_arguments,
    local_dir,
    open_client,
    open_session,
)
from semphony._cli_render import state_table

__all__ = ["add_instrument_parsers"]


def _state(args: argparse.Namespace, console: Console) -> int:
    with open_client(args, console) as client:
        console.print(state_table(client))
    return 0


def _beam(args: argparse.Namespace, console: Console) -> int:
    with open_session(args, console, run_name=f"semphony beam {args.subcommand}") as (_, session):
        state = session.beam.on() if args.subcommand == "on" else session.beam.off()
    console.print(f"beam {'on' if state.beam_on else 'off'} ({state.hv_kv:g} kV)")
    return 0


def _stop(args: argparse.Namespace, console: Console) -> int:
    with open_session(args, console, run_name="semphony stop") as (_, session):
        state = session.stop()
    console.print(f"stopped: stage at {state.stage}; beam {'on' if state.beam_on else 'off'}")
    return 0


def _chamber(args: argparse.Namespace, console: Console) -> int:
    with open_session(args, console, run_name=f"semphony chamber {args.subcommand}") as (_, s):
        act = s.chamber.pump if args.subcommand == "pump" else s.chamber.vent
        vacuum = act(progress=True)
    console.print(f"chamber {vacuum}")
    return 0


def _autofocus(args: argparse.Namespace, console: Console) -> int:
    with open_session(args, console, run_name="semphony autofocus") as (_, session):
        found = session.optics.autofocus(fov_um=args.fov_um, span_mm=args.span_mm, progress=True)
    console.print(
        f"in focus at WD {found.working_distance_mm:.4f} mm ({found.method}, {found.frames} "
        f"frames, {found.instrument_s:.2f} s); sharpness {found.start_sharpness:.3g} -> "
        f"{found.sharpness:.3g}"
    )
    return 0


def _auto_signal(args: argparse.Namespace, console: Console) -> int:
    with open_session(args, console, run_name="semphony auto-signal") as (_, session):
        got = session.detector.auto_signal(progress=True)
    response = "" if got.gain is None else f"; gain {got.gain:.3g}, offset {got.offset:+.3g}"
    console.print(
        f"signal spans {got.low_fraction:.0%}-{got.high_fraction:.0%} of full scale "
        f"({got.method}, {got.frames} frames, {got.instrument_s:.2f} s){response}"
    )
    return 0


def _calibrate(args: argparse.Namespace, console: Console) -> int:
    with open_session(args, console, run_name="semphony calibrate") as (_, session):
        found = session.stage.calibrate(
            fov_um=args.fov_um,
            step_fraction=args.step_fraction,
            resolution=args.resolution,
            progress=True,
        )
    (a, b), (c, d) = found.matrix
    console.print(
        f"image-to-stage matrix for {found.instrument!r}: [[{a:+.4f}, {b:+.4f}], "
        f"[{c:+.4f}, {d:+.4f}]] (the simulator's own: [[+1, 0], [0, -1]])"
    )
    console.print(
        f"scale {found.scale:.4f}, {'mirrored y, ' if found.mirrored_y else ''}rotated "
        f"{found.rotation_deg:+.2f}°; residual {found.residual_um:.3f} µm over "
        f"{len(found.moves)} moves of {found.step_um:g} µm; stored, find_roi uses it"
    )
    return 0


def _sim_reload(args: argparse.Namespace, console: Console) -> int:
    with open_client(args, console) as client:
        truth = client.simulator.reload(
            shift_x_um=args.shift_x_um,
            shift_y_um=args.shift_y_um,
            rotation_deg=args.rotation_deg,
            height_um=args.height_um,
        )
    console.print(
        f"specimen remounted: shifted ({truth.shift_x_um:+.1f}, {truth.shift_y_um:+.1f}) µm, "
        f"rotated {truth.rotation_deg:+.3f}° and {truth.height_um:+.1f} µm higher than at its "
        f"first load, tilted ({truth.tilt_x_deg:+.2f}°, {truth.tilt_y_deg:+.2f}°) "
        f"(reload {truth.reloads})"
    )
    return 0


def _local_clean(args: argparse.Namespace, console: Console) -> int:
    folder = local_dir(args)
    if not folder.exists():
        console.print(f"nothing to clean: {folder} does not exist")
        return 0
    if not (folder / "cli-local.json").exists():
        raise CliInputError(
            f"--data-dir {folder} is not a --local simulator's folder (no cli-local.json); "
            "nothing was deleted"
        )
    shutil.rmtree(folder)
    console.print(f"deleted {folder} (the --local simulator starts afresh next time)")
    return 0


def _session_parser(sub: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    add_connection_arguments(parser, prepare=False)
    parser.set_defaults(func=func, prepare=False)
    return parser


def add_instrument_parsers(sub: Any) -> None:
    """Add `state`, `beam`, `stop`, `chamber`, `autofocus`, `auto-signal`, `calibrate`, `sim`,
    `local`."""
    state = sub.add_parser("state", help="the instrument's state (a read)")
    add_connection_arguments(state, prepare=False)
    state.set_defaults(func=_state)

    beam = _session_parser(sub, "beam", "switch the beam on or off", _beam)
    beam.add_argument("subcommand", choices=["on", "off"])
    _session_parser(sub, "stop", "stop the scan and the stage now; the beam stays", _stop)
    chamber = _session_parser(sub, "chamber", "pump the chamber to vacuum or vent it", _chamber)
    chamber.add_argument("subcommand", choices=["pump", "vent"])

    focus = _session_parser(
        sub, "autofocus", "find and set the WD that brings the surface into focus", _autofocus
    )
    focus.add_argument("--fov-um", type=float, required=True, help="FOV to focus at (µm)")
    focus.add_argument("--span-mm", type=float, default=None, help="sweep ± this WD (mm)")

    _session_parser(
        sub, "auto-signal", "set contrast and brightness so the image fills the range", _auto_signal
    )

    text = "measure how image x/y map to stage x/y with known stage moves, and store it"
    calibrate = sub.add_parser("calibrate", help=text, description=text)
    add_connection_arguments(calibrate)
    calibrate.set_defaults(func=_calibrate)
    calibrate.add_argument("--fov-um", type=float, default=None, help="FOV (µm; default current)")
    calibrate.add_argument(
        "--step-fraction", type=float, default=None, help="each move × FOV (default 0.25)"
    )
    calibrate.add_argument(
        "--resolution", type=int, default=None, help="square frames, pixels (default 256)"
    )

    sim = sub.add_parser("sim", help="the simulated SEM's controls")
    sim_sub = sim.add_subparsers(dest="subcommand", required=True, metavar="{reload}")
    reload = sim_sub.add_parser(
        "reload",
        help="remount the specimen: shifted, rotated, at a new height (as after a holder change)",
        description="Remount the simulated specimen; values left out are drawn from the seed.",
    )
    reload.add_argument("--shift-x-um", type=float, default=None, help="shift along x (µm)")
    reload.add_argument("--shift-y-um", type=float, default=None, help="shift along y (µm)")
    reload.add_argument("--rotation-deg", type=float, default=None, help="rotation (degrees)")
    reload.add_argument(
        "--height-um",
        type=float,
        default=None,
        help="the surface's height above its first load's (µm; the image defocuses)",
    )
    add_connection_arguments(reload, prepare=False)
    reload.set_defaults(func=_sim_reload)

    local = sub.add_parser("local", help="the --local simulator's folder")
    local_sub = local.add_subparsers(dest="subcommand", required=True, metavar="{clean}")
    clean = local_sub.add_parser(
        "clean",
        help="delete the --local simulator's folder (its specimen, stage, ROIs and images)",
    )
    clean.add_argument("--data-dir", default=None, help="the folder (default: as --local's)")
    clean.set_defaults(func=_local_clean)
