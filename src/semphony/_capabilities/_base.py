"""What the sync and async capabilities share, none of it I/O.

Building and checking each command and its request body, parsing the results the server sends
back, and the bookkeeping of waiting for an operation (deadline, poll length, progress display,
outcome). The sync and async capabilities only send, wait and poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pydantic
import tifffile
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from semphony_api.models.acquisition_config import AcquisitionConfig as ConfigDoc
from semphony_api.models.acquisition_result import AcquisitionResult as ResultDoc
from semphony_api.models.move_result import MoveResult
from semphony_api.models.operation import Operation
from semphony_api.models.optics_settings import OpticsSettings
from semphony_api.models.stage_move import StageMove
from semphony_api.models.vacuum_result import VacuumResult

from semphony._base_client import ClientOptions
from semphony._exceptions import APITimeoutError, InvalidResponseError, error_from_operation
from semphony._state import (
    Command,
    InstrumentState,
    OpticsCommand,
    StageMoveCommand,
    StagePose,
)
from semphony._transport import SyncTransport
from semphony.models import AcquisitionConfig, AcquisitionResult

if TYPE_CHECKING:
    from semphony.session import Session

__all__ = [
    "TERMINAL",
    "Capability",
    "OperationWait",
    "ProgressArg",
    "ProgressSink",
    "acquisition_body",
    "acquisition_result_of",
    "artifact_of",
    "local_image",
    "move_body",
    "move_command",
    "moved_pose_of",
    "optics_body",
    "optics_command",
    "parse_pose",
    "parse_state",
    "read_tiff",
    "vacuum_of",
]

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# After asking for a cancel, how long to long-poll for the server to confirm the device stopped.
CANCEL_CONFIRM_WAIT_S = 10.0

ProgressArg = bool | Callable[[int, int, str], None] | None
"""`True` draws a rich progress bar; a callable gets `(done, total, unit)` after each poll."""

# With a progress display the client polls often enough for the bar to move smoothly.
_PROGRESS_POLL_S = 0.25


# ---------------------------------------------------------------------------------------------
# parsing what the server sent


def parse_state(doc: Mapping[str, Any]) -> InstrumentState:
    """An `InstrumentState` from a wire document; a malformed one is an `InvalidResponseError`."""
    try:
        return InstrumentState.from_wire(doc)
    except pydantic.ValidationError as exc:
        raise InvalidResponseError(
            f"the instrument state the server sent is malformed: {exc}"
        ) from exc


def parse_pose(doc: Mapping[str, Any]) -> StagePose:
    """A `StagePose` from a wire document; a malformed one is an `InvalidResponseError`."""
    try:
        return StagePose.model_validate(dict(doc))
    except pydantic.ValidationError as exc:
        raise InvalidResponseError(f"the stage pose the server sent is malformed: {exc}") from exc


def vacuum_of(done: Operation, action: str) -> str:
    """The vacuum state a finished pump or vent reports."""
    if not isinstance(done.result, VacuumResult):
        raise InvalidResponseError(f"the {action} operation {done.id} has no vacuum result")
    return done.result.vacuum


def moved_pose_of(done: Operation) -> StagePose:
    """The pose a finished move reports."""
    if not isinstance(done.result, MoveResult):
        raise InvalidResponseError(f"the move operation {done.id} has no pose in its result")
    return parse_pose(done.result.pose.to_dict())


def acquisition_result_of(done: Operation) -> AcquisitionResult:
    """The `AcquisitionResult` of a finished acquisition."""
    if not isinstance(done.result, ResultDoc):
        raise InvalidResponseError(f"the acquisition {done.id} succeeded without a result")
    return AcquisitionResult.from_dict(done.result.to_dict())


def artifact_of(result: AcquisitionResult) -> tuple[str, str | None]:
    """The image id to download for `result`, and the sha256 (hex) its metadata recorded."""
    if result.image_id is None:
        raise InvalidResponseError(
            f"acquisition {result.correlation_id} has no image_id: there is nothing to download"
        )
    sha = result.metadata.get("sha256")
    return result.image_id, sha if isinstance(sha, str) else None


def local_image(result: AcquisitionResult) -> Path | None:
    """The file `result` was downloaded to, if it is still there."""
    if result.local_path is not None and Path(result.local_path).exists():
        return Path(result.local_path)
    return None


def read_tiff(path: Path) -> npt.NDArray[Any]:
    """The pixels (rows × columns) of the TIFF at `path`."""
    return np.asarray(tifffile.imread(path))


# ---------------------------------------------------------------------------------------------
# building commands and request bodies


def move_command(
    name: str,
    *,
    x: float | None,
    y: float | None,
    z: float | None,
    r: float | None,
    t: float | None,
    relative: bool,
) -> StageMoveCommand:
    """The command of `stage.<name>`; refuses a move of no axis."""
    command = StageMoveCommand(x, y, z, r, t, relative=relative)
    if not command.axes:
        raise ValueError(f"stage.{name} needs at least one of x, y, z (mm), r, t (degrees)")
    return command


def move_body(command: StageMoveCommand) -> StageMove:
    """The request body of a move; only the moved axes are sent, so an absent axis stays."""
    axes = {k: v for k, v in vars(command).items() if k != "relative" and v is not None}
    return StageMove.from_dict({**axes, "relative": command.relative})


def optics_command(
    *,
    fov_um: float | None,
    working_distance_mm: float | None,
    scan_rotation_deg: float | None,
    beam_shift_um: tuple[float, float] | None,
    beam_shift_x_um: float | None,
    beam_shift_y_um: float | None,
    hv_kv: float | None,
    beam_current_na: float | None,
) -> OpticsCommand:
    """The command of `optics.set`; beam shift as a pair or per axis, not both, and at least one
    setting."""
    if beam_shift_um is not None:
        if beam_shift_x_um is not None or beam_shift_y_um is not None:
            raise ValueError(
                "optics.set: give beam_shift_um=(x, y) or beam_shift_x_um/beam_shift_y_um, not both"
            )
        if len(beam_shift_um) != 2:
            raise ValueError(
                f"optics.set: beam_shift_um must be a pair (x, y) in µm, got {beam_shift_um!r}"
            )
        beam_shift_x_um, beam_shift_y_um = beam_shift_um
    command = OpticsCommand(
        fov_um=fov_um,
        working_distance_mm=working_distance_mm,
        scan_rotation_deg=scan_rotation_deg,
        beam_shift_x_um=beam_shift_x_um,
        beam_shift_y_um=beam_shift_y_um,
        hv_kv=hv_kv,
        beam_current_na=beam_current_na,
    )
    if all(v is None for v in vars(command).values()):
        raise ValueError("optics.set needs at least one setting to change")
    return command


def optics_body(command: OpticsCommand) -> OpticsSettings:
    """The request body of `optics.set`: only the settings that change."""
    return OpticsSettings(**{k: v for k, v in vars(command).items() if v is not None})


def acquisition_body(config: AcquisitionConfig) -> ConfigDoc:
    """The request body of an acquisition."""
    return ConfigDoc.from_dict(config.to_dict())


def chamber_action(action: str) -> Literal["pump", "vent"]:
    """`action` as the chamber command's literal."""
    return "pump" if action == "pump" else "vent"


# ---------------------------------------------------------------------------------------------
# waiting for an operation


class ProgressSink:
    """Where an operation's progress goes: nowhere, a rich bar, or a callback."""

    def __init__(self, progress: ProgressArg, description: str) -> None:
        self._callback = progress if callable(progress) else None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if progress is True:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TimeElapsedColumn(),
            )
        self._description = description

    @property
    def active(self) -> bool:
        return self._bar is not None or self._callback is not None

    def __enter__(self) -> ProgressSink:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, operation: Operation) -> None:
        done, total, unit = (
            operation.progress.done,
            operation.progress.total,
            operation.progress.unit,
        )
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task(self._description, total=total or None, unit=unit)
            self._bar.update(self._task, completed=done, total=total or None)
        if self._callback is not None:
            self._callback(done, total, unit)


class OperationWait:
    """The bookkeeping of waiting for one operation: deadline, poll length, progress, outcome.

    The sync and async waits drive it and do only the polling and cancelling themselves.
    """

    def __init__(
        self,
        operation: Operation,
        options: ClientOptions,
        *,
        timeout_s: float | None,
        progress: ProgressArg,
        description: str,
    ) -> None:
        self.operation = operation
        self._options = options
        self._timeout_s = timeout_s
        self._deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.sink = ProgressSink(progress, description or operation.kind)

    @property
    def pending(self) -> bool:
        """Whether the operation has not ended yet."""
        return self.operation.status not in TERMINAL

    def update(self, operation: Operation) -> None:
        """Record the latest poll's answer and show its progress."""
        self.operation = operation
        self.sink.update(operation)

    def poll_arguments(self) -> dict[str, Any] | None:
        """The arguments of the next long-poll, or None when the timeout has passed."""
        wait_s = self._options.poll_wait_s
        if self.sink.active:
            wait_s = min(wait_s, _PROGRESS_POLL_S)
        if self._deadline is not None:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return None
            wait_s = min(wait_s, remaining)
        return {
            "operation_id": self.operation.id,
            "wait_s": wait_s,
            "read_timeout_s": self._options.long_poll_read_timeout_s(wait_s),
        }

    def timed_out(self) -> APITimeoutError:
        """The error for an operation that outlived its timeout (and has been cancelled)."""
        op = self.operation
        return APITimeoutError(
            f"operation {op.id} ({op.kind}) did not finish within {self._timeout_s:g} s "
            "and was cancelled",
            timeout_s=self._timeout_s,
        )

    def outcome(self) -> Operation:
        """The ended operation if it succeeded; its error otherwise."""
        op = self.operation
        if op.status != "succeeded":
            problem = op.problem.to_dict() if op.problem is not None else None
            raise error_from_operation(op.id, status=op.status, kind=op.kind, problem=problem)
        return op


# ---------------------------------------------------------------------------------------------
# the capability classes


class Capability:
    """One part of the instrument a sync `Session` controls (beam, chamber, stage, optics, imaging).

    Every command method builds its command, reads the state afresh, asks the session's
    guardrails, and only then sends; a refusal sends nothing. Reads are never judged.
    """

    def __init__(self, session: Session, transport: SyncTransport) -> None:
        self._session = session
        self._transport = transport

    def _guard(self, command: Command) -> InstrumentState:
        """Raise `SemphonyGuardrailException` unless the guardrails allow `command` now."""
        state = self._session.state()
        self._session.guardrails.check(command, state)
        return state
