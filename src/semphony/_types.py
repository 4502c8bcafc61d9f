"""Typed views of the documents the control server sends, beside the state types of `_state`.

Every public method returns one of these (or a state type) rather than a dict: the wire adapter
validates each answer once into them. Like the state types they are frozen pydantic models that
keep keys they do not know (a newer server never breaks an older client), with ``to_dict()`` and
``from_dict()`` that round-trip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from semphony._state import StagePose, WireModel

__all__ = [
    "AuditEntry",
    "AutoSignalResult",
    "AutofocusResult",
    "AxisCalibration",
    "CalibrationMove",
    "ClearancePoint",
    "Conventions",
    "DetectorInfo",
    "DeviceInfo",
    "DeviceLimits",
    "Health",
    "IntRange",
    "Operation",
    "OperationProgress",
    "Range",
    "ResolutionLimits",
    "RunInfo",
    "ScanSpeed",
    "SessionInfo",
    "SimFault",
    "SimTruth",
    "StageLimits",
    "StageXY",
]


class Range(WireModel):
    """An inclusive interval, in the unit its field's name says."""

    min: float
    max: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.min <= value <= self.max

    def __str__(self) -> str:
        return f"{self.min:g} to {self.max:g}"


class IntRange(WireModel):
    """An inclusive interval of integers."""

    min: int
    max: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.min <= value <= self.max

    def __str__(self) -> str:
        return f"{self.min} to {self.max}"


class StageLimits(WireModel):
    """Travel limits of each stage axis (mm, degrees)."""

    x_mm: Range
    y_mm: Range
    z_mm: Range
    r_deg: Range
    t_deg: Range


class ResolutionLimits(WireModel):
    """The image widths and heights the device can scan, in pixels."""

    width: IntRange
    height: IntRange


class ClearancePoint(WireModel):
    """The highest allowed z (mm) at a tilt (degrees)."""

    t_deg: float
    z_max_mm: float


class DeviceLimits(WireModel):
    """What the device can do, per setting; a request outside is refused, never clamped."""

    stage: StageLimits
    fov_um: Range
    working_distance_mm: Range
    scan_rotation_deg: Range
    beam_shift_x_um: Range
    beam_shift_y_um: Range
    hv_kv: Range
    beam_current_na: Range
    resolution: ResolutionLimits
    dwell_time_us: Range
    bit_depths: list[int] = Field(default_factory=list)
    stage_clearance: list[ClearancePoint] | None = None


class ScanSpeed(WireModel):
    """One entry of the scan-speed table: an index and its pixel dwell (µs)."""

    index: int
    dwell_time_us: float


class DetectorInfo(WireModel):
    """A detector the device has: its mode (SE, BSE) and channel."""

    mode: str
    channel: int
    name: str | None = None


class Conventions(WireModel):
    """How image axes, rotations and beam shift relate to the stage (`GET /v1/device`)."""

    image_x_axis: str
    image_y_axis: str
    stage_rotation_sense: str
    scan_rotation_sense: str
    rotation_centre: str
    beam_shift_axes: str


class CalibrationMove(WireModel):
    """One calibration move: the stage's (read back) and where the image showed it (µm)."""

    stage_dx_um: float
    stage_dy_um: float
    image_dx_um: float
    image_dy_um: float


class AxisCalibration(WireModel):
    """The measured image-to-stage axes (`semphony calibrate`, `GET /v1/calibration`).

    `matrix` maps an image offset (pixels × pixel size in µm, x right, y down) to the column
    offset along the stage axes (µm) at zero scan rotation, stage rotation and tilt; the
    simulator's own convention is ``[[1, 0], [0, -1]]``, against which `scale`, `mirrored_y` and
    `rotation_deg` describe it. `residual_um` is the fit's root-mean-square misfit."""

    instrument: str
    matrix: list[list[float]]
    scale: float
    mirrored_y: bool
    rotation_deg: float
    residual_um: float
    fov_um: float
    step_um: float
    resolution: int
    moves: list[CalibrationMove]
    measured_at: datetime


class DeviceInfo(WireModel):
    """The device (`GET /v1/device`): driver, model, capabilities, limits, conventions."""

    driver: str
    model: str
    serial: str
    api_version: str
    server_version: str
    capabilities: list[str]
    acquisition_fields: list[str]
    detectors: list[DetectorInfo]
    limits: DeviceLimits
    scan_speeds: list[ScanSpeed]
    stage_repeatability_um: float
    conventions: Conventions
    calibration: AxisCalibration | None = None

    @property
    def detector_modes(self) -> list[str]:
        """The detector modes the device offers, as it names them."""
        return [d.mode for d in self.detectors]


class Health(WireModel):
    """Liveness (`GET /v1/health`): status, API and server versions, and the driver."""

    status: str
    api_version: str
    server_version: str
    driver: str


class RunInfo(WireModel):
    """A run as the server describes it."""

    id: str
    name: str
    created_at: datetime
    description: str | None = None
    instrument: str | None = None  # the instrument whose server created it


class SessionInfo(WireModel):
    """A session (the control lease) as the server describes it."""

    id: str
    run_id: str
    holder: str
    status: str
    lease_s: float
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    lease_secret: str | None = Field(default=None, repr=False, exclude=True)
    """Answered once, by the session's start: the transport sends it with every command of the
    session (the `Lease-Secret` header); never shown in a repr or a document."""


class OperationProgress(WireModel):
    """How far an operation is: `done` of `total` in `unit` (lines, steps, s)."""

    done: int
    total: int
    unit: str


class Operation(WireModel):
    """A long-running command (pump, vent, move, acquisition) and where it stands.

    `result` is the kind's own document once it succeeded; `problem` the RFC 9457 problem of a
    failed or cancelled one.
    """

    id: str
    kind: str
    status: str
    run_id: str
    session_id: str
    created_at: datetime
    updated_at: datetime
    progress: OperationProgress
    result: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None


class AuditEntry(WireModel):
    """One recorded command of a run: who, when, what, and its outcome."""

    id: int
    at: datetime
    actor: str
    action: str
    params: dict[str, Any]
    outcome: str
    status_code: int
    instrument: str | None = None  # the instrument whose server recorded it
    clock_s: float | None = None
    holder: str | None = None
    operation_id: str | None = None
    reason: str | None = None
    request_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    user: str | None = None
    source: str | None = None
    repeats: int = 1


class StageXY(WireModel):
    """A stage position in x and y (mm)."""

    x_mm: float
    y_mm: float


class SimTruth(WireModel):
    """The simulated specimen's placement relative to its first load (`GET /v1/sim/truth`).

    Rotated by `rotation_deg` (counter-clockwise seen from the beam) about the centre, then shifted
    (µm), its surface `height_um` above the first load's and tilted by `tilt_x_deg`, `tilt_y_deg`.
    With a query point, `point_now` is where the specimen point that lay at `point_at_load`
    lies now; `stage_true` is the stage's true pose (its readback hides an error).
    """

    shift_x_um: float
    shift_y_um: float
    rotation_deg: float
    centre_x_mm: float
    centre_y_mm: float
    specimen_kind: str
    seed: int | None
    reloads: int
    point_at_load: StageXY | None = None
    point_now: StageXY | None = None
    stage_true: StagePose | None = None
    height_um: float = 0.0
    """The mount's surface height (µm) above its first-load height."""
    tilt_x_deg: float = 0.0
    tilt_y_deg: float = 0.0
    in_focus_wd_mm: float | None = None
    """The working distance at which the surface under the beam is in focus."""


class AutofocusResult(WireModel):
    """What `session.optics.autofocus()` found: the WD it set (read back), the sharpness there
    and where it started, the instrument seconds and frames it took, and whether the instrument's
    own autofocus (`instrument`) or a WD sweep (`sweep`) found it."""

    working_distance_mm: float
    sharpness: float
    start_sharpness: float
    instrument_s: float
    frames: int
    method: str


class AutoSignalResult(WireModel):
    """What `session.detector.auto_signal()` reached: the range a frame taken afterwards covers
    (its 0.5 and 99.5 percentiles as fractions of full scale), the gain and offset set (None
    where the instrument keeps its own), the instrument seconds and frames it took, and whether
    the instrument's own auto signal (`instrument`) or a frame (`frames`) set it."""

    low_fraction: float
    high_fraction: float
    gain: float | None
    offset: float | None
    instrument_s: float
    frames: int
    method: str


class SimFault(WireModel):
    """An armed simulator fault and its parameters."""

    fault: str
    device_code: int | None = None
    device_message: str | None = None
    after_lines: int | None = None
    count: int | None = None
    factor: float | None = None
