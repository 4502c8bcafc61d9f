"""Every capability command, written once as steps (see `semphony._wire`).

Each builds its command, reads the state afresh, asks the session's guardrails, and only then
sends; a refusal sends nothing. Reads are never judged. The sync and async capabilities run these
steps on their transport and do nothing else.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt
import tifffile

from semphony._base_client import ClientOptions
from semphony._capabilities._waiting import ProgressArg, wait_operation
from semphony._exceptions import InvalidResponseError
from semphony._state import (
    AcquireCommand,
    BeamCommand,
    ChamberCommand,
    Command,
    InstrumentState,
    OpticsCommand,
    StageMoveCommand,
    StagePose,
)
from semphony._types import AutofocusResult, AutoSignalResult, AxisCalibration, Operation
from semphony._wire import Download, Downloaded, Offload, Steps, calls
from semphony.guardrails import ImagingGuardrails
from semphony.models import AcquisitionConfig, AcquisitionResult

__all__ = [
    "Context",
    "MoveArgs",
    "OpticsArgs",
    "WaitArgs",
    "acquire",
    "beam",
    "chamber",
    "download",
    "move",
    "optics",
    "read",
    "record_name",
]


class MoveArgs(TypedDict, total=False):
    """A stage move's axes (x, y, z in mm; r, t in degrees; None or absent stay) and timeout."""

    x: float | None
    y: float | None
    z: float | None
    r: float | None
    t: float | None
    timeout_s: float | None


class WaitArgs(TypedDict, total=False):
    """How to wait for an operation: a progress display (`True`, or a callback of
    `(done, total, unit)`) and a timeout (s) after which it is cancelled."""

    progress: ProgressArg
    timeout_s: float | None


class DetectorArgs(TypedDict, total=False):
    """The detector to select and its response; absent or None stay."""

    mode: str | None
    channel: int | None
    bit_depth: int | None
    gain: float | None
    offset: float | None


class OpticsArgs(TypedDict, total=False):
    """The optics settings to change (µm, mm, degrees, kV, nA); absent or None stay."""

    fov_um: float | None
    working_distance_mm: float | None
    scan_rotation_deg: float | None
    beam_shift_um: tuple[float, float] | None
    beam_shift_x_um: float | None
    beam_shift_y_um: float | None
    hv_kv: float | None
    beam_current_na: float | None


@dataclass(frozen=True)
class Context:
    """What a capability needs of its session: whose lease, which run, which guardrails, and
    the client's options."""

    session_id: str
    run_id: str
    guardrails: ImagingGuardrails
    options: ClientOptions


def _guarded(context: Context, command: Command) -> Steps[InstrumentState]:
    """Raise `SemphonyGuardrailException` unless the guardrails allow `command` now."""
    state: InstrumentState = yield calls.state()
    context.guardrails.check(command, state)
    return state


def beam(context: Context, on: bool) -> Steps[InstrumentState]:
    """Switch the beam on or off; the state after."""
    yield from _guarded(context, BeamCommand(on=on))
    state: InstrumentState = yield calls.set_beam(context.session_id, on)
    return state


def chamber(
    context: Context,
    action: Literal["pump", "vent"],
    timeout_s: float | None,
    progress: ProgressArg,
) -> Steps[str]:
    """Pump or vent and wait; the vacuum state reached."""
    yield from _guarded(context, ChamberCommand(action=action))
    operation: Operation = yield calls.chamber(context.session_id, action)
    done = yield from wait_operation(
        operation, context.options, timeout_s=timeout_s, progress=progress, description=action
    )
    vacuum = (done.result or {}).get("vacuum")
    if not isinstance(vacuum, str):
        raise InvalidResponseError(f"the {action} operation {done.id} has no vacuum result")
    return vacuum


def move(context: Context, name: str, relative: bool, args: MoveArgs) -> Steps[StagePose]:
    """Move the stage (`move_to` or `move_by`) and wait; the pose after."""
    command = StageMoveCommand(
        args.get("x"), args.get("y"), args.get("z"), args.get("r"), args.get("t"), relative=relative
    )
    if not command.axes:
        raise ValueError(f"stage.{name} needs at least one of x, y, z (mm), r, t (degrees)")
    yield from _guarded(context, command)
    operation: Operation = yield calls.move_stage(context.session_id, command)
    done = yield from wait_operation(operation, context.options, timeout_s=args.get("timeout_s"))
    pose = (done.result or {}).get("pose")
    if not isinstance(pose, dict):
        raise InvalidResponseError(f"the move operation {done.id} has no pose in its result")
    return StagePose.from_dict(pose)


def calibrate(
    context: Context,
    fov_um: float | None,
    step_fraction: float | None,
    resolution: int | None,
    timeout_s: float | None,
    progress: ProgressArg,
) -> Steps[AxisCalibration]:
    """Measure the image-to-stage axes with stage moves ± x, ± y and wait; the calibration."""
    state: InstrumentState = yield calls.state()
    step_mm = (step_fraction or 0.25) * (fov_um or state.fov_um) / 1000
    # The server makes each move from the start pose; the guardrails judge them all first.
    for x, y in ((step_mm, 0.0), (-step_mm, 0.0), (0.0, step_mm), (0.0, -step_mm)):
        context.guardrails.check(StageMoveCommand(x, y, None, None, None, relative=True), state)
    operation: Operation = yield calls.calibrate_axes(
        context.session_id, fov_um, step_fraction, resolution
    )
    done = yield from wait_operation(
        operation, context.options, timeout_s=timeout_s, progress=progress, description="calibrate"
    )
    if not isinstance(done.result, dict):
        raise InvalidResponseError(f"the calibration operation {done.id} has no result")
    return AxisCalibration.from_dict(done.result)


def autofocus(
    context: Context,
    fov_um: float,
    span_mm: float | None,
    timeout_s: float | None,
    progress: ProgressArg,
) -> Steps[AutofocusResult]:
    """Focus on the surface under the beam and wait; what was found."""
    operation: Operation = yield calls.autofocus(context.session_id, fov_um, span_mm)
    done = yield from wait_operation(
        operation, context.options, timeout_s=timeout_s, progress=progress, description="focus"
    )
    if not isinstance(done.result, dict):
        raise InvalidResponseError(f"the autofocus operation {done.id} has no result")
    return AutofocusResult.from_dict(done.result)


def auto_signal(
    context: Context, timeout_s: float | None, progress: ProgressArg
) -> Steps[AutoSignalResult]:
    """Set contrast and brightness so the image fills the range and wait; what it reached."""
    operation: Operation = yield calls.auto_signal(context.session_id)
    done = yield from wait_operation(
        operation, context.options, timeout_s=timeout_s, progress=progress, description="signal"
    )
    if not isinstance(done.result, dict):
        raise InvalidResponseError(f"the auto signal operation {done.id} has no result")
    return AutoSignalResult.from_dict(done.result)


def _optics_command(args: OpticsArgs) -> OpticsCommand:
    values: dict[str, Any] = dict(args)
    pair = values.pop("beam_shift_um", None)
    if pair is not None:
        if values.get("beam_shift_x_um") is not None or values.get("beam_shift_y_um") is not None:
            raise ValueError(
                "optics.set: give beam_shift_um=(x, y) or beam_shift_x_um/beam_shift_y_um, not both"
            )
        if len(pair) != 2:
            raise ValueError(f"optics.set: beam_shift_um must be a pair (x, y) in µm, got {pair!r}")
        values["beam_shift_x_um"], values["beam_shift_y_um"] = pair
    command = OpticsCommand(**values)
    if all(v is None for v in vars(command).values()):
        raise ValueError("optics.set needs at least one setting to change")
    return command


def optics(context: Context, args: OpticsArgs) -> Steps[InstrumentState]:
    """Change the given optics settings (others stay); the state after."""
    command = _optics_command(args)
    yield from _guarded(context, command)
    state: InstrumentState = yield calls.set_optics(context.session_id, command)
    return state


def detector(context: Context, args: DetectorArgs) -> Steps[InstrumentState]:
    """Select the detector (mode or channel), its bit depth, gain and offset; the state after.

    No guardrail judges this: a detector change moves nothing and cannot harm the instrument.
    """
    state: InstrumentState = yield calls.set_detector(context.session_id, dict(args))
    return state


def acquire(
    context: Context,
    config: AcquisitionConfig | None,
    target_path: str | os.PathLike[str] | None,
    wait: WaitArgs,
) -> Steps[AcquisitionResult]:
    """Scan an image and wait; with `target_path`, also stream it to that file."""
    config = config if config is not None else AcquisitionConfig()
    target = None if target_path is None else _target(target_path)
    yield from _guarded(context, AcquireCommand(config))
    operation: Operation = yield calls.start_acquisition(context.session_id, config)
    done = yield from wait_operation(
        operation,
        context.options,
        timeout_s=wait.get("timeout_s"),
        progress=wait.get("progress"),
        description="scan",
    )
    if done.result is None:
        raise InvalidResponseError(f"the acquisition {done.id} succeeded without a result")
    result = AcquisitionResult.from_dict(done.result)
    if target is not None:
        result = yield from download(result, target)
    return result


def _target(path: str | os.PathLike[str]) -> Path:
    """A download target whose folder exists (a missing folder is an error, never created)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(2, f"the folder {target.parent} does not exist", str(target.parent))
    return target


def _artifact(result: AcquisitionResult, target: Path) -> Download:
    if result.image_id is None:
        raise InvalidResponseError(
            f"acquisition {result.correlation_id} has no image_id: there is nothing to download"
        )
    sha = result.metadata.get("sha256")
    return Download(result.image_id, target, sha if isinstance(sha, str) else None)


def download(
    result: AcquisitionResult, target_path: str | os.PathLike[str]
) -> Steps[AcquisitionResult]:
    """Stream the result's TIFF to `target_path` (atomically, digest-checked)."""
    downloaded: Downloaded = yield _artifact(result, _target(target_path))
    return dataclasses.replace(result, local_path=str(downloaded.path))


def _read_tiff(path: Path) -> npt.NDArray[Any]:
    return np.asarray(tifffile.imread(path))


def read(result: AcquisitionResult) -> Steps[npt.NDArray[Any]]:
    """The image's pixels (rows × columns), from `local_path` or downloaded for the purpose."""
    if result.local_path is not None and Path(result.local_path).exists():
        local = Path(result.local_path)
        pixels: npt.NDArray[Any] = yield Offload(lambda: _read_tiff(local))
        return pixels
    with tempfile.TemporaryDirectory(prefix="semphony-") as tmp:
        downloaded: Downloaded = yield _artifact(result, Path(tmp) / "image.tiff")
        pixels = yield Offload(lambda: _read_tiff(downloaded.path))
        return pixels


ROI_QUALIFIER = "/"


def record_name(name: str) -> str:
    """`name` if it can name a saved ROI record at all (the server checks the rest)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"rois: name must be a non-empty string, got {name!r}")
    return name


def qualified_name(name: str) -> tuple[str | None, str]:
    """``(instrument, name)`` of ``"name"`` (this instrument's ROI: None) or ``"sem2/name"``
    (instrument sem2's). Neither names nor instruments hold a ``/``, so one split is the rule."""
    record_name(name)
    if ROI_QUALIFIER not in name:
        return None, name
    instrument, _, bare = name.partition(ROI_QUALIFIER)
    if not instrument or not bare or ROI_QUALIFIER in bare:
        raise ValueError(
            f"rois: {name!r} is not a name nor an instrument-qualified name such as 'sem2/grain-7'"
        )
    return instrument, bare
