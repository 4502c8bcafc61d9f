"""Contains all the data models used in inputs/outputs"""

from .acquisition_config import AcquisitionConfig
from .acquisition_metadata import AcquisitionMetadata
from .acquisition_result import AcquisitionResult
from .applied_settings import AppliedSettings
from .audit_entry import AuditEntry
from .audit_entry_params import AuditEntryParams
from .audit_list import AuditList
from .auto_signal_result import AutoSignalResult
from .autofocus_request import AutofocusRequest
from .autofocus_result import AutofocusResult
from .axis_calibration import AxisCalibration
from .beam import Beam
from .bit_depth import BitDepth
from .calibration_move import CalibrationMove
from .calibration_request import CalibrationRequest
from .clearance_point import ClearancePoint
from .conventions import Conventions
from .detector import Detector
from .detector_request import DetectorRequest
from .detector_state import DetectorState
from .device_info import DeviceInfo
from .device_limits import DeviceLimits
from .field_error import FieldError
from .health import Health
from .instrument_state import InstrumentState
from .int_range import IntRange
from .lease import Lease
from .move_result import MoveResult
from .operation import Operation
from .operation_list import OperationList
from .optics_settings import OpticsSettings
from .optics_snapshot import OpticsSnapshot
from .problem import Problem
from .progress import Progress
from .range_ import Range
from .resolution_limits import ResolutionLimits
from .roi_level import RoiLevel
from .roi_level_record import RoiLevelRecord
from .roi_record import RoiRecord
from .roi_record_create import RoiRecordCreate
from .roi_record_list import RoiRecordList
from .roi_spec_fovs import RoiSpecFovs
from .run import Run
from .run_create import RunCreate
from .run_list import RunList
from .scan_speed import ScanSpeed
from .session import Session
from .session_start import SessionStart
from .sim_detector import SimDetector
from .sim_fault import SimFault
from .sim_fault_fault import SimFaultFault
from .sim_fault_list import SimFaultList
from .sim_reload import SimReload
from .sim_truth import SimTruth
from .stage_limits import StageLimits
from .stage_move import StageMove
from .stage_pose import StagePose
from .stage_xy import StageXY
from .vacuum_result import VacuumResult

__all__ = (
    "AcquisitionConfig",
    "AcquisitionMetadata",
    "AcquisitionResult",
    "AppliedSettings",
    "AuditEntry",
    "AuditEntryParams",
    "AuditList",
    "AutoSignalResult",
    "AutofocusRequest",
    "AutofocusResult",
    "AxisCalibration",
    "Beam",
    "BitDepth",
    "CalibrationMove",
    "CalibrationRequest",
    "ClearancePoint",
    "Conventions",
    "Detector",
    "DetectorRequest",
    "DetectorState",
    "DeviceInfo",
    "DeviceLimits",
    "FieldError",
    "Health",
    "InstrumentState",
    "IntRange",
    "Lease",
    "MoveResult",
    "Operation",
    "OperationList",
    "OpticsSettings",
    "OpticsSnapshot",
    "Problem",
    "Progress",
    "Range",
    "ResolutionLimits",
    "RoiLevel",
    "RoiLevelRecord",
    "RoiRecord",
    "RoiRecordCreate",
    "RoiRecordList",
    "RoiSpecFovs",
    "Run",
    "RunCreate",
    "RunList",
    "ScanSpeed",
    "Session",
    "SessionStart",
    "SimDetector",
    "SimFault",
    "SimFaultFault",
    "SimFaultList",
    "SimReload",
    "SimTruth",
    "StageLimits",
    "StageMove",
    "StagePose",
    "StageXY",
    "VacuumResult",
)
