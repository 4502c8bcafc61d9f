"""What the ROI engine needs of a session: its public capabilities, nothing below them.

A sync `Session` is one; `AsyncSession` hands the engine an `EngineView` of the same capabilities
whose requests are answered on its event loop. The capability classes are the sync ones of
`semphony._capabilities`, so the engine sees exactly what a script sees.
"""

from __future__ import annotations

from typing import Protocol

from semphony._capabilities import Imaging, OpticsControl, RoiRecords, StageControl
from semphony._state import InstrumentState
from semphony._types import DeviceInfo
from semphony.guardrails import ImagingGuardrails

__all__ = ["RoiSession"]


class RoiSession(Protocol):
    """The part of a session the ROI engine drives."""

    @property
    def imaging(self) -> Imaging: ...

    @property
    def stage(self) -> StageControl: ...

    @property
    def optics(self) -> OpticsControl: ...

    @property
    def rois(self) -> RoiRecords: ...

    @property
    def guardrails(self) -> ImagingGuardrails: ...

    @property
    def run_id(self) -> str: ...

    def state(self) -> InstrumentState: ...

    def device(self) -> DeviceInfo: ...
