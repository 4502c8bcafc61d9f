"""What the ROI engine needs of a session: a `Session`, or the bridge over an `AsyncSession`.

The engine (`save_roi`, `find_roi`) is synchronous; it reads the state, sets optics, moves the
stage, acquires and reads images, and calls the API for the device and the ROI records. These
protocols name exactly that, so `semphony.roi._bridge` can offer it over an async session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import numpy.typing as npt
from semphony_api.types import Response

from semphony._capabilities._base import ProgressArg
from semphony._state import InstrumentState, StagePose
from semphony.guardrails import ImagingGuardrails
from semphony.models import AcquisitionConfig, AcquisitionResult

__all__ = [
    "RoiImaging",
    "RoiOptics",
    "RoiRun",
    "RoiSession",
    "RoiStage",
    "RoiTransport",
]

T = TypeVar("T")


class RoiTransport(Protocol):
    """Blocking calls of generated `sync_detailed` functions (as `SyncTransport.call`)."""

    def call(
        self,
        fn: Callable[..., Response[Any]],
        expected: type[T] | None,
        *,
        read_timeout_s: float | None = None,
        **kwargs: Any,
    ) -> T: ...


class RoiImaging(Protocol):
    """`session.imaging`: acquire and read."""

    def acquire(
        self,
        config: AcquisitionConfig | None = None,
        target_path: str | os.PathLike[str] | None = None,
        progress: ProgressArg = None,
        *,
        timeout_s: float | None = None,
    ) -> AcquisitionResult: ...

    def read(self, result: AcquisitionResult) -> npt.NDArray[Any]: ...


class RoiStage(Protocol):
    """`session.stage`: relative moves."""

    def move_by(
        self,
        *,
        x: float | None = None,
        y: float | None = None,
        z: float | None = None,
        r: float | None = None,
        t: float | None = None,
        timeout_s: float | None = None,
    ) -> StagePose: ...


class RoiOptics(Protocol):
    """`session.optics`: set FOV, scan rotation, beam shift and the rest."""

    def set(
        self,
        *,
        fov_um: float | None = None,
        working_distance_mm: float | None = None,
        scan_rotation_deg: float | None = None,
        beam_shift_um: tuple[float, float] | None = None,
        beam_shift_x_um: float | None = None,
        beam_shift_y_um: float | None = None,
        hv_kv: float | None = None,
        beam_current_na: float | None = None,
    ) -> InstrumentState: ...


class RoiRun(Protocol):
    """`session.run`: its id tags the saved record."""

    @property
    def id(self) -> str: ...


class RoiSession(Protocol):
    """The part of a `Session` the ROI engine drives."""

    @property
    def imaging(self) -> RoiImaging: ...

    @property
    def stage(self) -> RoiStage: ...

    @property
    def optics(self) -> RoiOptics: ...

    @property
    def run(self) -> RoiRun: ...

    @property
    def guardrails(self) -> ImagingGuardrails: ...

    @property
    def _transport(self) -> RoiTransport: ...

    def state(self) -> InstrumentState: ...
