"""The typed answers of the SDK, for annotations: what `client.device()`, `session.state()`,
`run.audit()`, `client.simulator.truth()`, `session.stage.calibrate()` and `client.rois` return.

Each is frozen, keeps keys a newer server adds, and has `to_dict()` and `from_dict()`.
"""

from semphony._records import OpticsSnapshot, RoiLevelRecord, RoiRecord
from semphony._state import DetectorState, InstrumentState, Lease, StagePose
from semphony._types import (
    AuditEntry,
    AxisCalibration,
    CalibrationMove,
    Conventions,
    DetectorInfo,
    DeviceInfo,
    DeviceLimits,
    Health,
    IntRange,
    Operation,
    OperationProgress,
    Range,
    ResolutionLimits,
    RunInfo,
    ScanSpeed,
    SessionInfo,
    SimFault,
    SimTruth,
    StageLimits,
    StageXY,
)

__all__ = [
    "AuditEntry",
    "AxisCalibration",
    "CalibrationMove",
    "Conventions",
    "DetectorInfo",
    "DetectorState",
    "DeviceInfo",
    "DeviceLimits",
    "Health",
    "InstrumentState",
    "IntRange",
    "Lease",
    "Operation",
    "OperationProgress",
    "OpticsSnapshot",
    "Range",
    "ResolutionLimits",
    "RoiLevelRecord",
    "RoiRecord",
    "RunInfo",
    "ScanSpeed",
    "SessionInfo",
    "SimFault",
    "SimTruth",
    "StageLimits",
    "StagePose",
    "StageXY",
]
