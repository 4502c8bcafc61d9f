"""The one place wire schemas and driver or store types meet, field by field.

Requests become driver value types (no ``**model_dump()`` splats that would couple the two by field
name), and driver snapshots and store records become the contract's response models.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from semphony.server import schemas
from semphony.server.drivers.types import (
    DetectorSettings,
    DeviceInfo,
    InstrumentStateSnapshot,
    OpticsSettings,
    ScanRequest,
    StagePose,
    StageTarget,
)
from semphony.server.store import AuditRecord, JsonObject, Operation, Run, Session

__all__ = [
    "audit_model",
    "detector_settings",
    "device_document",
    "operation_model",
    "optics_settings",
    "roi_document",
    "run_model",
    "scan_request",
    "session_model",
    "stage_target",
    "state_model",
]

_DEFAULT_CONVENTIONS = {
    "image_x_axis": "+x",
    "image_y_axis": "-y",
    "stage_rotation_sense": "counter_clockwise_from_beam",
    "scan_rotation_sense": "counter_clockwise_from_beam",
    "rotation_centre": "optical_axis",
    "beam_shift_axes": "stage",
}


# ------------------------------------------------------------------------------------- requests


def scan_request(body: schemas.AcquisitionConfig) -> ScanRequest:
    """An acquisition request as the driver takes it (the ROI labels stay with the server)."""
    resolution = None
    if body.resolution is not None:
        resolution = (int(body.resolution[0]), int(body.resolution[1]))
    return ScanRequest(
        fov_um=body.fov_um,
        resolution=resolution,
        dwell_time_us=body.dwell_time_us,
        scan_speed_index=body.scan_speed_index,
        mode=body.mode,
        detector_mode=body.detector_mode,
        detector_channel=body.detector_channel,
        working_distance_mm=body.working_distance_mm,
        bit_depth=body.bit_depth,
    )


def stage_target(body: schemas.StageMove) -> StageTarget:
    """A stage move as the driver takes it."""
    return StageTarget(
        x_mm=body.x_mm,
        y_mm=body.y_mm,
        z_mm=body.z_mm,
        r_deg=body.r_deg,
        t_deg=body.t_deg,
        relative=body.relative,
    )


def optics_settings(body: schemas.OpticsSettings) -> OpticsSettings:
    """Optics changes as the driver takes them."""
    return OpticsSettings(
        fov_um=body.fov_um,
        working_distance_mm=body.working_distance_mm,
        scan_rotation_deg=body.scan_rotation_deg,
        beam_shift_x_um=body.beam_shift_x_um,
        beam_shift_y_um=body.beam_shift_y_um,
        hv_kv=body.hv_kv,
        beam_current_na=body.beam_current_na,
    )


def detector_settings(
    *,
    mode: str | None = None,
    channel: int | None = None,
    bit_depth: int | None = None,
    gain: float | None = None,
    offset: float | None = None,
) -> DetectorSettings:
    """A detector change as the driver takes it."""
    return DetectorSettings(
        mode=mode, channel=channel, bit_depth=bit_depth, gain=gain, offset=offset
    )


# ------------------------------------------------------------------------------------ responses


def _pose(pose: StagePose) -> schemas.StagePose:
    return schemas.StagePose(
        x_mm=pose.x_mm, y_mm=pose.y_mm, z_mm=pose.z_mm, r_deg=pose.r_deg, t_deg=pose.t_deg
    )


def state_model(
    snap: InstrumentStateSnapshot, lease: Session | None, active_operation_id: str | None
) -> schemas.InstrumentState:
    """`GET /v1/state`'s body: the driver's snapshot, the lease holder and the running operation."""
    d = snap.detector
    return schemas.InstrumentState(
        vacuum=snap.vacuum,
        beam_on=snap.beam_on,
        hv_kv=snap.hv_kv,
        beam_current_na=snap.beam_current_na,
        stage=_pose(snap.stage),
        fov_um=snap.fov_um,
        working_distance_mm=snap.working_distance_mm,
        scan_rotation_deg=snap.scan_rotation_deg,
        beam_shift_x_um=snap.beam_shift_x_um,
        beam_shift_y_um=snap.beam_shift_y_um,
        detector=schemas.DetectorState(
            mode=d.mode,
            channel=d.channel,
            gain=d.gain,
            offset=d.offset,
            gamma=d.gamma,
            bit_depth=d.bit_depth,
        ),
        clock_s=snap.clock_s,
        lease=(
            schemas.LeaseInfo(
                session_id=lease.id,
                holder=lease.holder,
                expires_at=lease.lease_expires_at,
                run_id=lease.run_id,
            )
            if lease is not None
            else None
        ),
        active_operation_id=active_operation_id,
    )


def operation_model(op: Operation) -> schemas.Operation:
    """The contract's `Operation` for a stored operation."""
    return schemas.Operation(
        id=op.id,
        kind=op.kind,
        status=op.status,
        run_id=op.run_id,
        session_id=op.session_id or "",
        created_at=op.created_at,
        updated_at=op.updated_at,
        progress=schemas.Progress(
            done=op.progress_done, total=op.progress_total, unit=op.progress_unit
        ),
        result=op.result,
        problem=op.problem,
    )


def run_model(run: Run) -> schemas.Run:
    """The contract's `Run`."""
    description = run.metadata.get("description")
    return schemas.Run(
        id=run.id,
        name=run.name,
        description=description if isinstance(description, str) else None,
        created_at=run.created_at,
        instrument=run.instrument,
    )


def session_model(
    session: Session, *, now: datetime, lease_s: float, expired_reason: str
) -> schemas.Session:
    """The contract's `Session`, with its status as of `now`."""
    if session.ended_at is None:
        status = "active" if session.lease_expires_at > now else "expired"
    else:
        status = "expired" if session.end_reason == expired_reason else "ended"
    return schemas.Session(
        id=session.id,
        run_id=session.run_id,
        holder=session.holder,
        status=status,
        lease_s=lease_s,
        created_at=session.created_at,
        expires_at=session.lease_expires_at,
        ended_at=session.ended_at,
    )


def audit_model(record: AuditRecord, holder: str | None) -> schemas.AuditEntry:
    """The contract's `AuditEntry`."""
    return schemas.AuditEntry(
        id=record.seq,
        instrument=record.instrument,
        at=record.at,
        actor=record.actor_role or "server",
        holder=holder,
        run_id=record.run_id,
        session_id=record.session_id,
        action=record.command,
        params=record.params,
        outcome=record.outcome,
        status_code=record.status_code if record.status_code is not None else 200,
        reason=record.reason,
        operation_id=record.operation_id,
        clock_s=record.clock_s,
        request_id=record.request_id,
        user=record.user,
        source=record.source,
        repeats=record.repeats,
    )


def roi_document(
    record: JsonObject, created_at: datetime, instrument: str = "local"
) -> dict[str, Any]:
    """An ROI record as the contract answers it."""
    doc = dict(record)
    doc.setdefault("specimen_id", None)
    doc.setdefault("run_id", None)
    doc["created_at"] = created_at.isoformat()
    doc["instrument"] = instrument
    return doc


def _range(bounds: tuple[float, float]) -> dict[str, float]:
    return {"min": float(bounds[0]), "max": float(bounds[1])}


def device_document(
    info: DeviceInfo, *, api_version: str, server_version: str, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """`GET /v1/device`'s body: what the driver honours, its limits and speed table."""
    limits = info.limits
    res_lo, res_hi = limits.resolution
    speeds = info.scan_speeds_us
    return {
        "driver": info.driver,
        "model": info.model,
        "serial": info.serial,
        "api_version": api_version,
        "server_version": server_version,
        "capabilities": list(info.capabilities),
        "acquisition_fields": list(info.honoured_fields),
        "detectors": [
            {"mode": d.mode, "channel": d.channel, "name": d.name} for d in info.detectors
        ],
        "limits": {
            "stage": {
                "x_mm": _range(limits.x_mm),
                "y_mm": _range(limits.y_mm),
                "z_mm": _range(limits.z_mm),
                "r_deg": _range(limits.r_deg),
                "t_deg": _range(limits.t_deg),
            },
            "stage_clearance": [
                {"t_deg": float(t), "z_max_mm": float(z)} for t, z in limits.clearance
            ]
            or None,
            "fov_um": _range(limits.fov_um),
            "working_distance_mm": _range(limits.working_distance_mm),
            "scan_rotation_deg": _range(limits.scan_rotation_deg),
            "beam_shift_x_um": _range(limits.beam_shift_um),
            "beam_shift_y_um": _range(limits.beam_shift_um),
            "hv_kv": _range(limits.hv_kv),
            "beam_current_na": _range(limits.beam_current_na),
            "resolution": {
                "width": {"min": int(res_lo), "max": int(res_hi)},
                "height": {"min": int(res_lo), "max": int(res_hi)},
            },
            "dwell_time_us": {"min": float(min(speeds)), "max": float(max(speeds))},
            "bit_depths": [int(b) for b in limits.bit_depths],
            "detector_gain": _range(limits.detector_gain),
            "detector_offset": _range(limits.detector_offset),
        },
        "scan_speeds": [{"index": i, "dwell_time_us": float(d)} for i, d in enumerate(speeds)],
        "stage_repeatability_um": float(info.stage_repeatability_um),
        "conventions": {**_DEFAULT_CONVENTIONS, **info.conventions},
        **extra,
    }
