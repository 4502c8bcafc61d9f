"""Pydantic request and response models of the control-server API (openapi/semphony.yaml)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

__all__ = [
    "AcquisitionConfig",
    "AcquisitionResult",
    "BeamRequest",
    "CalibrationRequest",
    "DetectorRequest",
    "InstrumentState",
    "Operation",
    "OpticsSettings",
    "Problem",
    "Progress",
    "StageMove",
    "StagePose",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
IMAGE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"

# Every number of a request is finite and bounded, and openapi/semphony.yaml states the same
# bounds. Where the device decides (its own limits are in GET /v1/device) they are generous; the
# acquisition's share the SDK model's (`semphony.models.AcquisitionConfig`): finite and positive.
DBL_MAX = sys.float_info.max
MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8259 §6: integers every JSON implementation reads exactly
_STAGE_MM = 1000.0
_ROTATION_DEG = 360.0
_TILT_DEG = 180.0
_FOV_UM = 1e6
_DISTANCE_MM = 1000.0
_SHIFT_UM = 10000.0
_HV_KV = 1000.0
_CURRENT_NA = 1e6
_CHANNELS = 64


def _integral(value: object) -> object:
    """JSON Schema counts 3.0 as the integer 3, so an integral float is read as that int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A strict int that also takes an integral JSON number (`3.0`); still refuses `"3"` and `true`.
# Its bounds come before the validator, or the JSON Schema would not state them as its own.
_Pixels = Annotated[int, Field(ge=1, le=65536), BeforeValidator(_integral), Strict()]
_Channel = Annotated[int, Field(ge=0, le=_CHANNELS), BeforeValidator(_integral), Strict()]
_Index = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER), BeforeValidator(_integral), Strict()]
_Bits = Annotated[int, Field(ge=1, le=64), BeforeValidator(_integral), Strict()]
# JSON has no tuples: a [width, height] array is read laxly as a tuple, its items stay strict.
_Resolution = Annotated[tuple[_Pixels, _Pixels] | None, Field(strict=False)]
_Slug = Annotated[str, Field(pattern=NAME_PATTERN)]


class _Model(BaseModel):
    """A response (or nested) model: what the server sends, exactly."""

    model_config = ConfigDict(extra="forbid")


class _Request(BaseModel):
    """A request body: closed (an unknown member is a 422), strict (no `"1"` for 1, no
    `false` for 0) and finite (no NaN or infinity), so what the contract calls invalid is refused
    rather than coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class _OpenRequest(BaseModel):
    """A nested request object the contract leaves open: unknown members are dropped."""

    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False)


class FieldError(_Model):
    """One invalid field of a request: which, which rule it broke, and a sentence."""

    field: str
    rule: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    reason: str | None = None
    device_code: int | None = None
    device_message: str | None = None
    lease_holder: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class StagePose(_Model):
    """Stage position: x, y, z in mm, rotation and tilt in degrees."""

    x_mm: float
    y_mm: float
    z_mm: float
    r_deg: float
    t_deg: float


class DetectorState(_Model):
    mode: str
    channel: int
    gain: float
    offset: float
    gamma: float
    bit_depth: int


class LeaseInfo(_Model):
    session_id: str
    holder: str
    expires_at: datetime
    run_id: str | None = None


class InstrumentState(_Model):
    """What GET /v1/state answers."""

    vacuum: str
    beam_on: bool
    hv_kv: float
    beam_current_na: float
    stage: StagePose
    fov_um: float
    working_distance_mm: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    detector: DetectorState
    clock_s: float
    lease: LeaseInfo | None = None
    active_operation_id: str | None = None


class StageMove(_Request):
    """A stage move; an absent or null axis is left where it is."""

    x_mm: float | None = Field(default=None, ge=-_STAGE_MM, le=_STAGE_MM)
    y_mm: float | None = Field(default=None, ge=-_STAGE_MM, le=_STAGE_MM)
    z_mm: float | None = Field(default=None, ge=-_STAGE_MM, le=_STAGE_MM)
    r_deg: float | None = Field(default=None, ge=-_ROTATION_DEG, le=_ROTATION_DEG)
    t_deg: float | None = Field(default=None, ge=-_TILT_DEG, le=_TILT_DEG)
    relative: bool = False


class AutofocusRequest(_Request):
    """Focus on the surface under the beam at `fov_um`, a sweep looking ±`span_mm` around."""

    fov_um: float = Field(gt=0, le=_FOV_UM)
    span_mm: float | None = Field(default=None, ge=0.001, le=10)


class CalibrationRequest(_Request):
    """Measure the image-to-stage axes with stage moves of `step_fraction` × `fov_um` (± x, ± y)."""

    fov_um: float | None = Field(default=None, gt=0, le=_FOV_UM)
    step_fraction: float = Field(default=0.25, ge=0.05, le=0.5)
    resolution: Annotated[int, Field(ge=64, le=2048), BeforeValidator(_integral), Strict()] = 256


class OpticsSettings(_Request):
    """Optics to change; an absent or null field is left unchanged."""

    fov_um: float | None = Field(default=None, gt=0, le=_FOV_UM)
    working_distance_mm: float | None = Field(default=None, gt=0, le=_DISTANCE_MM)
    scan_rotation_deg: float | None = Field(default=None, ge=-_ROTATION_DEG, le=_ROTATION_DEG)
    beam_shift_x_um: float | None = Field(default=None, ge=-_SHIFT_UM, le=_SHIFT_UM)
    beam_shift_y_um: float | None = Field(default=None, ge=-_SHIFT_UM, le=_SHIFT_UM)
    hv_kv: float | None = Field(default=None, gt=0, le=_HV_KV)
    beam_current_na: float | None = Field(default=None, gt=0, le=_CURRENT_NA)


class DetectorRequest(_Request):
    """A detector change; an absent or null field stays."""

    mode: str | None = Field(default=None, max_length=32)
    channel: _Channel | None = None
    bit_depth: Literal[8, 16] | None = None
    gain: float | None = Field(default=None, ge=0.01, le=100)
    offset: float | None = Field(default=None, ge=-1, le=1)


class BeamRequest(_Request):
    on: bool


class AcquisitionConfig(_Request):
    """What an acquisition asks for; every field is optional."""

    fov_um: float | None = Field(default=None, gt=0, le=DBL_MAX)
    resolution: _Resolution = None
    mode: str | None = None
    dwell_time_us: float | None = Field(default=None, gt=0, le=DBL_MAX)
    working_distance_mm: float | None = Field(default=None, gt=0, le=DBL_MAX)
    scan_speed_index: _Index | None = None
    detector_channel: _Index | None = None
    detector_mode: str | None = None
    roi_name: str | None = Field(default=None, pattern=NAME_PATTERN)
    roi_level: Literal["roi", "l2", "l1", "l0"] | None = None
    bit_depth: Literal[8, 16] | None = None


class AcquisitionResult(_Model):
    """The result of a finished acquisition operation."""

    correlation_id: str
    image_id: str | None = None
    remote_path: str | None = None
    mime: str | None = None
    size: tuple[int, int] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Progress(_Model):
    done: int
    total: int
    unit: str


class Operation(_Model):
    """A long-running command: its status, progress and, when done, result or problem."""

    id: str
    kind: str
    status: str
    run_id: str
    session_id: str
    created_at: datetime
    updated_at: datetime
    progress: Progress
    result: dict[str, Any] | None
    problem: dict[str, Any] | None


class OperationList(_Model):
    items: list[Operation]


class Health(_Model):
    status: str
    api_version: str
    server_version: str
    driver: str


class RunCreate(_Request):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class Run(_Model):
    id: str
    name: str
    description: str | None = None
    created_at: datetime
    instrument: str = "local"


class RunList(_Model):
    items: list[Run]


class AuditEntry(_Model):
    id: int
    instrument: str = "local"
    at: datetime
    clock_s: float | None = None
    actor: str
    holder: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    action: str
    params: dict[str, Any]
    outcome: str
    status_code: int
    reason: str | None = None
    operation_id: str | None = None
    request_id: str | None = None
    user: str | None = None
    source: str | None = None
    repeats: int = 1


class AuditList(_Model):
    items: list[AuditEntry]


class SessionStart(_Request):
    holder: str | None = Field(default=None, min_length=1, max_length=200)
    lease_s: float = Field(default=30.0, ge=1, le=600)


class Session(_Model):
    id: str
    run_id: str
    holder: str
    status: str
    lease_s: float
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    lease_secret: str | None = None


class RoiSpecFovs(_OpenRequest):
    roi_fov_um: float = Field(ge=0, le=_FOV_UM)
    l2_fov_um: float = Field(ge=0, le=_FOV_UM)
    l1_fov_um: float = Field(ge=0, le=_FOV_UM)
    l0_fov_um: float = Field(ge=0, le=_FOV_UM)


class RoiLevelRecord(_OpenRequest):
    level: Literal["roi", "l2", "l1", "l0"]
    fov_um: float = Field(gt=0, le=_FOV_UM)
    image_id: str = Field(pattern=IMAGE_ID_PATTERN)
    correlation_id: str
    resolution: _Resolution = None
    pixel_size_um: float | None = Field(default=None, gt=0, le=_FOV_UM)
    findability: float | None = Field(default=None, ge=0, le=1e6)


class OpticsSnapshot(_OpenRequest):
    """The optics as the device read them back (a beam that is off may read 0 kV and 0 nA)."""

    fov_um: float = Field(gt=0, le=_FOV_UM)
    working_distance_mm: float = Field(ge=0, le=_DISTANCE_MM)
    scan_rotation_deg: float = Field(ge=-_ROTATION_DEG, le=_ROTATION_DEG)
    beam_shift_x_um: float = Field(ge=-_SHIFT_UM, le=_SHIFT_UM)
    beam_shift_y_um: float = Field(ge=-_SHIFT_UM, le=_SHIFT_UM)
    hv_kv: float = Field(ge=0, le=_HV_KV)
    beam_current_na: float = Field(ge=0, le=_CURRENT_NA)


class DetectorSnapshot(_OpenRequest):
    mode: str
    channel: _Channel
    gain: float = Field(ge=0, le=1000)
    offset: float = Field(ge=-1000, le=1000)
    gamma: float = Field(ge=0, le=100)
    bit_depth: _Bits


class PoseSnapshot(_OpenRequest):
    x_mm: float = Field(ge=-_STAGE_MM, le=_STAGE_MM)
    y_mm: float = Field(ge=-_STAGE_MM, le=_STAGE_MM)
    z_mm: float = Field(ge=-_STAGE_MM, le=_STAGE_MM)
    r_deg: float = Field(ge=-_ROTATION_DEG, le=_ROTATION_DEG)
    t_deg: float = Field(ge=-_TILT_DEG, le=_TILT_DEG)


class RoiRecordCreate(_Request):
    name: _Slug
    spec: RoiSpecFovs
    levels: list[RoiLevelRecord] = Field(min_length=1, max_length=4)
    pose: PoseSnapshot
    optics: OpticsSnapshot
    detector: DetectorSnapshot
    acquisition: AcquisitionConfig | None = None
    specimen_id: str | None = Field(default=None, max_length=200)
    run_id: str | None = Field(default=None, max_length=128)
