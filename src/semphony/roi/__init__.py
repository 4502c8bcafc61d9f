"""ROI relocation: image registration (the core); the save/find orchestration builds on it."""

from semphony.roi.registration import (
    BINNED_SIZE_PX,
    CONFIDENCE_GATE,
    Registration,
    register,
    register_rotation,
)

__all__ = [
    "BINNED_SIZE_PX",
    "CONFIDENCE_GATE",
    "Registration",
    "register",
    "register_rotation",
]
