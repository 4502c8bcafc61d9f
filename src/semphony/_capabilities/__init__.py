"""The capabilities a session exposes: beam, chamber, stage, optics and imaging."""

from semphony._capabilities._base import ProgressArg
from semphony._capabilities._imaging import Imaging
from semphony._capabilities._instrument import (
    BeamControl,
    ChamberControl,
    OpticsControl,
    StageControl,
)
from semphony._capabilities._operations import wait_operation

__all__ = [
    "BeamControl",
    "ChamberControl",
    "Imaging",
    "OpticsControl",
    "ProgressArg",
    "StageControl",
    "wait_operation",
]
