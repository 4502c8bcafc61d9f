"""`semphony acquire` and `semphony roi save | find | list`: parse, call the SDK, print."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from semphony._cli_connect import (
    CliInputError,
    add_connection_arguments,
    check_output,
    open_client,
    open_session,
)
from semphony._cli_render import find_table, roi_list_table, summarise_acquisition
from semphony._limits import check_acquisition
from semphony.models import AcquisitionConfig, AcquisitionResult, RoiSpec
from semphony.roi import FINDABILITY_THRESHOLD, REPORT_FORMATS, bland_levels
from semphony.roi._report import residual_text
from semphony.session import Session

__all__ = ["add_acquire_parser", "add_roi_parser"]


def _resolution(text: str) -> tuple[int, int]:
    """`WIDTHxHEIGHT` (or one number for a square) as (width, height) pixels."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        if len(parts) == 1:
            side = int(parts[0])
            return side, side
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"resolution must be WIDTHxHEIGHT in pixels (e.g. 1024x1024), got {text!r}"
    )


def _add_imaging_arguments(parser: argparse.ArgumentParser) -> None:
    """The acquisition settings (all optional: the instrument's current ones otherwise)."""
    group = parser.add_argument_group("acquisition")
    group.add_argument("--resolution", type=_resolution, default=None, help="WIDTHxHEIGHT px")
    group.add_argument("--mode", default=None, help="detector mode, e.g. SE or BSE")
    group.add_argument("--dwell-us", type=float, default=None, help="pixel dwell time (µs)")
    group.add_argument("--scan-speed-index", type=int, default=None, help="device scan speed")
    group.add_argument("--detector-channel", type=int, default=None, help="detector channel")
    group.add_argument("--working-distance-mm", type=float, default=None, help="focus (mm)")
    group.add_argument("--bit-depth", type=int, default=None, help="8 or 16")


def _add_position_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("stage (moved to first, if given)")
    group.add_argument("--x-mm", type=float, default=None, help="stage x (mm)")
    group.add_argument("--y-mm", type=float, default=None, help="stage y (mm)")


def _config(args: argparse.Namespace, *, fov_um: float | None = None) -> AcquisitionConfig:
    """The acquisition config the options describe (pydantic refuses what is out of range)."""
    return AcquisitionConfig(
        fov_um=fov_um,
        resolution=args.resolution,
        mode=args.mode,
        dwell_time_us=args.dwell_us,
        scan_speed_index=args.scan_speed_index,
        detector_channel=args.detector_channel,
        working_distance_mm=args.working_distance_mm,
        bit_depth=args.bit_depth,
    )


def _go_to(session: Session, args: argparse.Namespace, console: Console) -> None:
    if args.x_mm is None and args.y_mm is None:
        return
    pose = session.stage.move_to(x=args.x_mm, y=args.y_mm)
    console.print(f"stage at x {pose.x_mm:.4f} mm, y {pose.y_mm:.4f} mm")


# --------------------------------------------------------------------------------- acquire


_TIFF = (".tiff", ".tif")


def _download(session: Session, image_id: str, target: Path) -> Path:
    """Stream the stored image `image_id` to `target` (TIFF, digest checked)."""
    result = AcquisitionResult(correlation_id=image_id, image_id=image_id)
    return Path(session.imaging.download(result, target).local_path or target)


def _acquire(args: argparse.Namespace, console: Console) -> int:
    config = _config(args, fov_um=args.fov_um)  # checked before any instrument is touched
    output = check_output(args.output, "-o/--output", overwrite=args.overwrite, suffixes=_TIFF)
    with open_session(args, console, run_name="semphony acquire") as (_, session):
        _go_to(session, args, console)
        check_acquisition(session.device(), config)
        result = session.imaging.acquire(config, target_path=output, progress=True)
    console.print(f"acquired {summarise_acquisition(result)}")
    return 0


def add_acquire_parser(sub: Any) -> None:
    """`semphony acquire --fov-um 100 --resolution 1024x1024 -o out.tiff`."""
    parser = sub.add_parser(
        "acquire",
        help="acquire one image (a TIFF with its pixel size)",
        description="Acquire one image with the given settings and save it as a TIFF.",
    )
    parser.add_argument("--fov-um", type=float, default=None, help="field of view (µm)")
    _add_imaging_arguments(parser)
    _add_position_arguments(parser)
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="TIFF file to write (its folder must exist)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    add_connection_arguments(parser)
    parser.set_defaults(func=_acquire)


# ------------------------------------------------------------------------------------- roi


def _roi_save(args: argparse.Namespace, console: Console) -> int:
    spec = RoiSpec(
        name=args.name,
        roi_fov_um=args.roi_fov_um,
        l2_fov_um=args.l2_fov_um,
        l1_fov_um=args.l1_fov_um,
        l0_fov_um=args.l0_fov_um,
    )
    config = _config(args)
    files = _level_files(args, spec)
    with open_session(args, console, run_name=f"semphony roi save {spec.name}") as (
        _,
        session,
    ):
        _go_to(session, args, console)
        levels = ", ".join(f"{level} {fov:g} µm" for level, fov in spec.levels())
        console.print(f"saving ROI {spec.name!r}: acquiring {levels}")
        record = session.imaging.save_roi(
            spec, config, specimen_id=args.specimen_id, overwrite=args.overwrite, progress=True
        )
        pose = record.pose
        console.print(
            f"saved ROI {record.name!r} at x {pose.x_mm:.4f} mm, y {pose.y_mm:.4f} mm, "
            f"r {pose.r_deg:.2f}° with {len(record.levels)} level(s)"
        )
        for level in bland_levels(record.levels):
            console.print(
                f"warning: level {level.level} has findability {level.findability:.2f} "
                f"(below {FINDABILITY_THRESHOLD:g}): find_roi may not find it again"
            )
        for level in record.levels:
            if level.level in files:
                path = _download(session, level.image_id, files[level.level])
                console.print(f"wrote {path} ({level.level}, {level.fov_um:g} µm)")
    return 0


def _level_files(args: argparse.Namespace, spec: RoiSpec) -> dict[str, Path]:
    """The files `--out-dir` asks for, per level, checked before anything is acquired."""
    if args.out_dir is None:
        return {}
    folder = Path(args.out_dir)
    if not folder.is_dir():
        raise CliInputError(f"--out-dir {str(folder)!r}: the folder does not exist")
    return {
        level: check_output(
            folder / f"{spec.name}-{level}.tiff", "--out-dir", overwrite=args.overwrite
        )
        or folder
        for level, _ in spec.levels()
    }


def _roi_find(args: argparse.Namespace, console: Console) -> int:
    if args.tolerance_um is not None and not args.tolerance_um > 0:
        raise CliInputError(f"--tolerance-um must be > 0, got {args.tolerance_um:g}")
    if args.max_iterations_per_level < 1:
        raise CliInputError(
            f"--max-iterations-per-level must be >= 1, got {args.max_iterations_per_level}"
        )
    overwrite = args.overwrite
    report = check_output(
        args.report, "--report", overwrite=overwrite, suffixes=tuple(REPORT_FORMATS)
    )
    output = check_output(args.output, "-o/--output", overwrite=overwrite, suffixes=_TIFF)
    override = AcquisitionConfig(mode=args.mode) if args.mode is not None else None
    with open_session(args, console, run_name=f"semphony roi find {args.name}") as (
        _,
        session,
    ):
        console.print(f"finding ROI {args.name!r} (start: {args.start} pose)")
        result = session.imaging.find_roi(
            args.name,
            config=override,
            start=args.start,
            tolerance_um=args.tolerance_um,
            max_iterations_per_level=args.max_iterations_per_level,
            report=report,
            progress=True,
        )
        console.print(find_table(result, title=f"find_roi {args.name!r}"))
        last_image = next(
            (h.get("image_id") for h in reversed(result.level_history) if h.get("image_id")),
            None,
        )
        if output is not None and result.found and isinstance(last_image, str):
            _download(session, last_image, output)
            console.print(f"wrote the found ROI image to {output}")
    metrics = result.metrics
    pose = result.final_pose or {}
    if report is not None:
        console.print(f"wrote the report to {report}")
    if not result.found:
        console.print(f"[red]not found[/red]: {metrics.get('reason') or 'no reason given'}")
        return 1
    console.print(
        f"[green]found[/green] ROI {args.name!r} at x {pose.get('x', float('nan')):.4f} mm, "
        f"y {pose.get('y', float('nan')):.4f} mm, r {pose.get('r', 0.0):.2f}°; residual "
        # The report's title shows the same figure, formatted by the same function.
        f"{residual_text(result)} after "
        f"{result.iterations} iteration(s), {metrics.get('acquisitions', '?')} acquisitions"
    )
    return 0


def _roi_list(args: argparse.Namespace, console: Console) -> int:
    with open_client(args, console) as client:
        records = client.rois.list(specimen_id=args.specimen_id)
    console.print(roi_list_table(records))
    return 0


def add_roi_parser(sub: Any) -> None:
    """`semphony roi save | find | list`."""
    roi = sub.add_parser("roi", help="save, find and list ROI pyramids")
    roi_sub = roi.add_subparsers(dest="subcommand", required=True, metavar="{save,find,list}")

    save = roi_sub.add_parser(
        "save",
        help="acquire an ROI pyramid at the current (or given) position and store it",
        description="Acquire the ROI's levels, finest first, and store the ROI record.",
    )
    save.add_argument("name", metavar="NAME", help="the ROI's name")
    save.add_argument("--roi-fov-um", type=float, default=50.0, help="finest level (default 50)")
    save.add_argument("--l2-fov-um", type=float, default=150.0, help="level 2 (0 skips)")
    save.add_argument("--l1-fov-um", type=float, default=300.0, help="level 1 (0 skips)")
    save.add_argument("--l0-fov-um", type=float, default=1500.0, help="overview (0 skips)")
    save.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an ROI of that name (and its files in --out-dir)",
    )
    save.add_argument("--specimen-id", default=None, help="the specimen's identifier")
    save.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="also write the level images (TIFF) into this existing folder",
    )
    _add_imaging_arguments(save)
    _add_position_arguments(save)
    add_connection_arguments(save)
    save.set_defaults(func=_roi_save)

    find = roi_sub.add_parser(
        "find",
        help="relocate a saved ROI, coarse to fine",
        description="Relocate a saved ROI: register each level from the overview down, move "
        "there, and finish on it with beam shift. Exits 1 when it is not found.",
    )
    find.add_argument("name", metavar="NAME", help="the saved ROI's name")
    find.add_argument(
        "--start",
        choices=["saved", "current"],
        default="saved",
        help="start at the saved pose (default) or where the stage is",
    )
    find.add_argument(
        "--tolerance-um", type=float, default=None, help="final residual allowed (default 1 px)"
    )
    find.add_argument("--max-iterations-per-level", type=int, default=4, help="default 4")
    find.add_argument("--mode", default=None, help="detector mode to find with (e.g. BSE)")
    find.add_argument(
        "--report",
        type=Path,
        default=None,
        help="write the report here; its format follows the suffix: .png, .pdf or .svg",
    )
    find.add_argument(
        "-o", "--output", type=Path, default=None, help="write the found ROI image (TIFF) here"
    )
    find.add_argument(
        "--overwrite", action="store_true", help="replace an existing --report or -o file"
    )
    add_connection_arguments(find)
    find.set_defaults(func=_roi_find)

    listing = roi_sub.add_parser("list", help="the saved ROIs")
    listing.add_argument("--specimen-id", default=None, help="only this specimen's ROIs")
    add_connection_arguments(listing, prepare=False)
    listing.set_defaults(func=_roi_list)
