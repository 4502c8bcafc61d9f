"""ROI relocation: image registration (the core), and `save_roi` / `find_roi` built on it.

`save_roi(session, spec, ...)` and `find_roi(session, name, ...)` are what
`session.imaging.save_roi` / `find_roi` call; they drive the session's public capabilities only
(`RoiSession`). `RoiRecord` is what `client.rois` returns.
"""

from semphony._records import OpticsSnapshot, RoiLevelRecord, RoiRecord
from semphony.roi._find import find_roi
from semphony.roi._findability import FINDABILITY_THRESHOLD, LowFindabilityWarning, bland_levels
from semphony.roi._options import FindArgs, SaveArgs
from semphony.roi._port import RoiSession
from semphony.roi._report import REPORT_FORMATS
from semphony.roi._save import save_roi
from semphony.roi.registration import (
    BINNED_SIZE_PX,
    EVIDENCE_GATE,
    Registration,
    register,
    register_rotation,
)

__all__ = [
    "BINNED_SIZE_PX",
    "EVIDENCE_GATE",
    "FINDABILITY_THRESHOLD",
    "REPORT_FORMATS",
    "FindArgs",
    "LowFindabilityWarning",
    "OpticsSnapshot",
    "Registration",
    "RoiLevelRecord",
    "RoiRecord",
    "RoiSession",
    "SaveArgs",
    "bland_levels",
    "find_roi",
    "register",
    "register_rotation",
    "save_roi",
]
