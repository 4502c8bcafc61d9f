"""Every API call the SDK makes, prepared: the one place that builds generated request bodies and
turns generated answers into the SDK's own types.

Each function returns a `Call` (nothing is sent here). Answers are validated once, into the
models of `semphony.models`, `_state`, `_types` and `_records`; a config crosses the SDK as an
`AcquisitionConfig` and becomes the generated body only here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from semphony_api.api.acquisitions import start_acquisition as _start_acquisition
from semphony_api.api.beam import set_beam as _set_beam
from semphony_api.api.chamber import pump_chamber as _pump_chamber
from semphony_api.api.chamber import vent_chamber as _vent_chamber
from semphony_api.api.detectors import auto_signal as _auto_signal
from semphony_api.api.detectors import set_detector as _set_detector
from semphony_api.api.operations import cancel_operation as _cancel_operation
from semphony_api.api.operations import get_operation as _get_operation
from semphony_api.api.operations import list_run_operations as _list_run_operations
from semphony_api.api.optics import autofocus as _autofocus
from semphony_api.api.optics import set_optics as _set_optics
from semphony_api.api.rois import get_roi as _get_roi
from semphony_api.api.rois import list_rois as _list_rois
from semphony_api.api.rois import save_roi as _save_roi
from semphony_api.api.runs import create_run as _create_run
from semphony_api.api.runs import get_run as _get_run
from semphony_api.api.runs import list_audit as _list_audit
from semphony_api.api.runs import list_run_audit as _list_run_audit
from semphony_api.api.runs import list_runs as _list_runs
from semphony_api.api.sessions import end_session as _end_session
from semphony_api.api.sessions import heartbeat_session as _heartbeat_session
from semphony_api.api.sessions import start_session as _start_session
from semphony_api.api.simulator import sim_clear_faults as _sim_clear_faults
from semphony_api.api.simulator import sim_inject_fault as _sim_inject_fault
from semphony_api.api.simulator import sim_reload as _sim_reload
from semphony_api.api.simulator import sim_set_detector as _sim_set_detector
from semphony_api.api.simulator import sim_truth as _sim_truth
from semphony_api.api.stage import calibrate_axes as _calibrate_axes
from semphony_api.api.stage import move_stage as _move_stage
from semphony_api.api.stage import stop_session as _stop_session
from semphony_api.api.system import get_device as _get_device
from semphony_api.api.system import get_health as _get_health
from semphony_api.api.system import get_state as _get_state
from semphony_api.models.acquisition_config import AcquisitionConfig as ConfigDoc
from semphony_api.models.audit_list import AuditList
from semphony_api.models.autofocus_request import AutofocusRequest
from semphony_api.models.beam import Beam
from semphony_api.models.calibration_request import CalibrationRequest
from semphony_api.models.detector_request import DetectorRequest
from semphony_api.models.device_info import DeviceInfo as DeviceDoc
from semphony_api.models.health import Health as HealthDoc
from semphony_api.models.instrument_state import InstrumentState as StateDoc
from semphony_api.models.operation import Operation as OperationDoc
from semphony_api.models.operation_list import OperationList
from semphony_api.models.optics_settings import OpticsSettings
from semphony_api.models.roi_record import RoiRecord as RecordDoc
from semphony_api.models.roi_record_create import RoiRecordCreate
from semphony_api.models.roi_record_list import RoiRecordList
from semphony_api.models.run import Run as RunDoc
from semphony_api.models.run_create import RunCreate
from semphony_api.models.run_list import RunList
from semphony_api.models.session import Session as SessionDoc
from semphony_api.models.session_start import SessionStart
from semphony_api.models.sim_detector import SimDetector
from semphony_api.models.sim_fault import SimFault as FaultDoc
from semphony_api.models.sim_fault_list import SimFaultList
from semphony_api.models.sim_reload import SimReload
from semphony_api.models.sim_truth import SimTruth as TruthDoc
from semphony_api.models.stage_move import StageMove
from semphony_api.types import UNSET

from semphony._records import RoiRecord
from semphony._state import (
    DetectorState,
    InstrumentState,
    OpticsCommand,
    StageMoveCommand,
    StagePose,
)
from semphony._types import (
    AuditEntry,
    DeviceInfo,
    Health,
    Operation,
    RunInfo,
    SessionInfo,
    SimFault,
    SimTruth,
)
from semphony._wire._requests import Call
from semphony.models import AcquisitionConfig

__all__ = [
    "audit_log",
    "audit_page",
    "auto_signal",
    "autofocus",
    "calibrate_axes",
    "cancel_operation",
    "chamber",
    "create_run",
    "device",
    "end_session",
    "get_operation",
    "get_roi",
    "get_run",
    "health",
    "heartbeat",
    "list_rois",
    "list_runs",
    "move_stage",
    "run_operations",
    "save_roi",
    "set_beam",
    "set_detector",
    "set_optics",
    "sim_clear_faults",
    "sim_inject_fault",
    "sim_reload",
    "sim_set_detector",
    "sim_truth",
    "start_acquisition",
    "start_session",
    "state",
    "stop_session",
]

T = TypeVar("T")
_Doc = Any  # a generated attrs document: each has `to_dict()`


def _into(cls: Callable[[dict[str, Any]], T]) -> Callable[[_Doc], T]:
    """Parse a generated document into `cls` (a `from_dict`), through its JSON-ready dict."""
    return lambda doc: cls(doc.to_dict())


def _items(cls: Callable[[dict[str, Any]], T]) -> Callable[[_Doc], list[T]]:
    return lambda page: [cls(item.to_dict()) for item in page.items]


def _unset(value: object) -> object:
    return UNSET if value is None else value


# --------------------------------------------------------------------------------- system


def health() -> Call[Health]:
    return Call(_get_health, HealthDoc, _into(Health.from_dict))


def device() -> Call[DeviceInfo]:
    return Call(_get_device, DeviceDoc, _into(DeviceInfo.from_dict))


def state() -> Call[InstrumentState]:
    return Call(_get_state, StateDoc, _into(InstrumentState.from_dict))


# ------------------------------------------------------------------------------- runs


def create_run(name: str, description: str | None) -> Call[RunInfo]:
    body = RunCreate(name=name, description=_unset(description))  # type: ignore[arg-type]
    return Call(_create_run, RunDoc, _into(RunInfo.from_dict), {"body": body})


def list_runs(instrument: str | None = None) -> Call[list[RunInfo]]:
    kwargs = {"instrument": _unset(instrument)}
    return Call(_list_runs, RunList, _items(RunInfo.from_dict), kwargs)


def get_run(run_id: str) -> Call[RunInfo]:
    return Call(_get_run, RunDoc, _into(RunInfo.from_dict), {"run_id": run_id})


def audit_log(filters: Mapping[str, Any]) -> Call[list[AuditEntry]]:
    """A page of the whole audit log (`GET /v1/audit`, operators), filtered."""
    kwargs = {k: v for k, v in filters.items() if v is not None}
    return Call(_list_audit, AuditList, _items(AuditEntry.from_dict), kwargs)


def audit_page(run_id: str, after_id: int | None) -> Call[list[AuditEntry]]:
    kwargs = {"run_id": run_id, "after_id": _unset(after_id)}
    return Call(_list_run_audit, AuditList, _items(AuditEntry.from_dict), kwargs)


def run_operations(run_id: str, kind: str | None, status: str | None) -> Call[list[Operation]]:
    kwargs = {"run_id": run_id, "kind": _unset(kind), "status": _unset(status)}
    return Call(_list_run_operations, OperationList, _items(Operation.from_dict), kwargs)


# --------------------------------------------------------------------------- sessions


def start_session(run_id: str, holder: str | None, lease_s: float) -> Call[SessionInfo]:
    body = SessionStart(holder=_unset(holder), lease_s=lease_s)  # type: ignore[arg-type]
    kwargs = {"run_id": run_id, "body": body}
    return Call(_start_session, SessionDoc, _into(SessionInfo.from_dict), kwargs)


def heartbeat(session_id: str) -> Call[SessionInfo]:
    kwargs = {"session_id": session_id}
    return Call(_heartbeat_session, SessionDoc, _into(SessionInfo.from_dict), kwargs)


def end_session(session_id: str) -> Call[SessionInfo]:
    kwargs = {"session_id": session_id}
    return Call(_end_session, SessionDoc, _into(SessionInfo.from_dict), kwargs, essential=True)


def stop_session(session_id: str) -> Call[InstrumentState]:
    kwargs = {"session_id": session_id}
    parse = _into(InstrumentState.from_dict)
    return Call(_stop_session, StateDoc, parse, kwargs, essential=True)


# --------------------------------------------------------------------------- commands


def set_beam(session_id: str, on: bool) -> Call[InstrumentState]:
    kwargs = {"session_id": session_id, "body": Beam(on=on)}
    return Call(_set_beam, StateDoc, _into(InstrumentState.from_dict), kwargs)


def set_detector(session_id: str, settings: Mapping[str, Any]) -> Call[InstrumentState]:
    body = DetectorRequest.from_dict({k: v for k, v in settings.items() if v is not None})
    kwargs = {"session_id": session_id, "body": body}
    return Call(_set_detector, StateDoc, _into(InstrumentState.from_dict), kwargs)


def chamber(session_id: str, action: Literal["pump", "vent"]) -> Call[Operation]:
    endpoint = _pump_chamber if action == "pump" else _vent_chamber
    kwargs = {"session_id": session_id}
    return Call(endpoint, OperationDoc, _into(Operation.from_dict), kwargs, starts=True)


def move_stage(session_id: str, command: StageMoveCommand) -> Call[Operation]:
    # Only the moved axes are sent, so an absent axis stays where it is.
    axes = {k: v for k, v in vars(command).items() if k != "relative" and v is not None}
    body = StageMove.from_dict({**axes, "relative": command.relative})
    kwargs = {"session_id": session_id, "body": body}
    return Call(_move_stage, OperationDoc, _into(Operation.from_dict), kwargs, starts=True)


def autofocus(session_id: str, fov_um: float, span_mm: float | None) -> Call[Operation]:
    values: dict[str, float] = {"fov_um": fov_um}
    if span_mm is not None:
        values["span_mm"] = span_mm
    kwargs = {"session_id": session_id, "body": AutofocusRequest.from_dict(values)}
    return Call(_autofocus, OperationDoc, _into(Operation.from_dict), kwargs, starts=True)


def auto_signal(session_id: str) -> Call[Operation]:
    kwargs = {"session_id": session_id}
    return Call(_auto_signal, OperationDoc, _into(Operation.from_dict), kwargs, starts=True)


def calibrate_axes(
    session_id: str, fov_um: float | None, step_fraction: float | None, resolution: int | None
) -> Call[Operation]:
    given = {"fov_um": fov_um, "step_fraction": step_fraction, "resolution": resolution}
    body = CalibrationRequest.from_dict({k: v for k, v in given.items() if v is not None})
    kwargs = {"session_id": session_id, "body": body}
    return Call(_calibrate_axes, OperationDoc, _into(Operation.from_dict), kwargs, starts=True)


def set_optics(session_id: str, command: OpticsCommand) -> Call[InstrumentState]:
    body = OpticsSettings(**{k: v for k, v in vars(command).items() if v is not None})
    kwargs = {"session_id": session_id, "body": body}
    return Call(_set_optics, StateDoc, _into(InstrumentState.from_dict), kwargs)


def start_acquisition(session_id: str, config: AcquisitionConfig) -> Call[Operation]:
    kwargs = {"session_id": session_id, "body": ConfigDoc.from_dict(config.to_dict())}
    parse = _into(Operation.from_dict)
    return Call(_start_acquisition, OperationDoc, parse, kwargs, starts=True)


# ------------------------------------------------------------------------- operations


def get_operation(
    operation_id: str, *, wait_s: float, read_timeout_s: float, essential: bool = False
) -> Call[Operation]:
    """A long-poll of the operation: the server answers when it ends or after `wait_s`."""
    kwargs = {"operation_id": operation_id, "wait_s": wait_s}
    parse = _into(Operation.from_dict)
    return Call(_get_operation, OperationDoc, parse, kwargs, read_timeout_s, essential)


def cancel_operation(operation_id: str) -> Call[Operation]:
    kwargs = {"operation_id": operation_id}
    parse = _into(Operation.from_dict)
    return Call(_cancel_operation, OperationDoc, parse, kwargs, essential=True)


# ------------------------------------------------------------------------------- rois


def save_roi(record: RoiRecord, *, overwrite: bool) -> Call[RoiRecord]:
    """Store a record (its `created_at` is the server's to set)."""
    doc = record.to_dict()
    doc.pop("created_at", None)
    doc.pop("instrument", None)  # the server's: a record is saved on the instrument it is sent to
    # Only the contract's fields: keys a newer server added to a pose are not ours to send back.
    doc["pose"] = record.pose.model_dump(include=set(StagePose.model_fields))
    doc["detector"] = record.detector.model_dump(include=set(DetectorState.model_fields))
    kwargs = {"body": RoiRecordCreate.from_dict(doc), "overwrite": overwrite}
    return Call(_save_roi, RecordDoc, _into(RoiRecord.from_dict), kwargs)


def get_roi(name: str, instrument: str | None = None) -> Call[RoiRecord]:
    kwargs = {"name": name, "instrument": _unset(instrument)}
    return Call(_get_roi, RecordDoc, _into(RoiRecord.from_dict), kwargs)


def list_rois(specimen_id: str | None, instrument: str | None = None) -> Call[list[RoiRecord]]:
    kwargs = {"specimen_id": _unset(specimen_id), "instrument": _unset(instrument)}
    return Call(_list_rois, RoiRecordList, _items(RoiRecord.from_dict), kwargs)


# -------------------------------------------------------------------------- simulator


def sim_reload(values: dict[str, float]) -> Call[SimTruth]:
    body = SimReload.from_dict(values)
    return Call(_sim_reload, TruthDoc, _into(SimTruth.from_dict), {"body": body})


def sim_truth(x_mm: float | None, y_mm: float | None) -> Call[SimTruth]:
    kwargs = {"x_mm": _unset(x_mm), "y_mm": _unset(y_mm)}
    return Call(_sim_truth, TruthDoc, _into(SimTruth.from_dict), kwargs)


def sim_inject_fault(fault: str, params: dict[str, Any]) -> Call[list[SimFault]]:
    try:
        body = FaultDoc.from_dict({"fault": fault, **params})
    except TypeError as exc:  # the generated Literal check of the fault name
        raise ValueError(f"simulator.inject: {exc}") from exc
    return Call(_sim_inject_fault, SimFaultList, _items(SimFault.from_dict), {"body": body})


def sim_clear_faults() -> Call[list[SimFault]]:
    return Call(_sim_clear_faults, SimFaultList, _items(SimFault.from_dict))


def sim_set_detector(values: dict[str, float]) -> Call[InstrumentState]:
    body = SimDetector.from_dict(values)
    return Call(_sim_set_detector, StateDoc, _into(InstrumentState.from_dict), {"body": body})
