"""The capabilities a session exposes: beam, chamber, stage, optics, imaging, and the ROI records.

Each command is written once, as steps (`_steps`, `_waiting`, `_rois`); `_sync` and `_async` are
the thin shells a `Session` and an `AsyncSession` hold.
"""

from semphony._capabilities._async import (
    AsyncBeamControl,
    AsyncChamberControl,
    AsyncDetectorControl,
    AsyncImaging,
    AsyncOpticsControl,
    AsyncRoiRecords,
    AsyncStageControl,
)
from semphony._capabilities._pair import AsyncSide, Pair, SyncSide
from semphony._capabilities._steps import Context, MoveArgs, OpticsArgs, WaitArgs
from semphony._capabilities._sync import (
    BeamControl,
    ChamberControl,
    DetectorControl,
    Imaging,
    OpticsControl,
    RoiRecords,
    StageControl,
    SyncRunner,
)
from semphony._capabilities._waiting import (
    TERMINAL,
    ProgressArg,
    ProgressSink,
    cancel_quietly,
    wait_operation,
)

__all__ = [
    "TERMINAL",
    "AsyncBeamControl",
    "AsyncChamberControl",
    "AsyncDetectorControl",
    "AsyncImaging",
    "AsyncOpticsControl",
    "AsyncRoiRecords",
    "AsyncSide",
    "AsyncStageControl",
    "BeamControl",
    "ChamberControl",
    "Context",
    "DetectorControl",
    "Imaging",
    "MoveArgs",
    "OpticsArgs",
    "OpticsControl",
    "Pair",
    "ProgressArg",
    "ProgressSink",
    "RoiRecords",
    "StageControl",
    "SyncRunner",
    "SyncSide",
    "WaitArgs",
    "cancel_quietly",
    "wait_operation",
]
