"""The capabilities of an `AsyncSession`: thin shells that await the steps of `_steps`."""

from __future__ import annotations

import os
from typing import Any, Unpack

import numpy.typing as npt

from semphony._capabilities import _steps
from semphony._capabilities._rois import find_record
from semphony._capabilities._steps import Context, DetectorArgs, MoveArgs, OpticsArgs, WaitArgs
from semphony._capabilities._waiting import ProgressArg
from semphony._records import RoiRecord
from semphony._state import InstrumentState, StagePose
from semphony._types import AutofocusResult, AutoSignalResult, AxisCalibration
from semphony._wire import AsyncTransport, calls, one
from semphony.models import AcquisitionConfig, AcquisitionResult

__all__ = [
    "AsyncBeamControl",
    "AsyncChamberControl",
    "AsyncDetectorControl",
    "AsyncImaging",
    "AsyncOpticsControl",
    "AsyncRoiRecords",
    "AsyncStageControl",
]

PathArg = str | os.PathLike[str]
Config = AcquisitionConfig | None


class _Capability:
    def __init__(self, context: Context, runner: AsyncTransport) -> None:
        self._context = context
        self._runner = runner


class AsyncBeamControl(_Capability):
    """The electron beam (high voltage)."""

    async def on(self) -> InstrumentState:
        """Switch the beam on; the state after."""
        return await self._runner.run(_steps.beam(self._context, True))

    async def off(self) -> InstrumentState:
        """Switch the beam off; the state after."""
        return await self._runner.run(_steps.beam(self._context, False))


class AsyncChamberControl(_Capability):
    """The specimen chamber's vacuum. `progress=True` draws a bar of seconds; a callable gets
    `(done, total, unit)`. At most `timeout_s`, then the operation is cancelled."""

    async def pump(self, *, timeout_s: float | None = None, progress: ProgressArg = None) -> str:
        """Pump to vacuum and wait; the vacuum state after."""
        return await self._runner.run(_steps.chamber(self._context, "pump", timeout_s, progress))

    async def vent(self, *, timeout_s: float | None = None, progress: ProgressArg = None) -> str:
        """Vent to air and wait; the vacuum state after."""
        return await self._runner.run(_steps.chamber(self._context, "vent", timeout_s, progress))


class AsyncStageControl(_Capability):
    """The specimen stage: x, y, z in mm; rotation r and tilt t in degrees; axes left None stay."""

    async def position(self) -> StagePose:
        """Where the stage reports it is (a read: no guardrail)."""
        return (await self._runner.run(one(calls.state()))).stage

    async def move_to(self, **move: Unpack[MoveArgs]) -> StagePose:
        """Move to an absolute position (`x=`, `y=`, … and `timeout_s=`); the pose after."""
        return await self._runner.run(_steps.move(self._context, "move_to", False, move))

    async def move_by(self, **move: Unpack[MoveArgs]) -> StagePose:
        """Move by a step (`x=`, `y=`, … and `timeout_s=`); the pose after."""
        return await self._runner.run(_steps.move(self._context, "move_by", True, move))

    async def calibrate(
        self,
        *,
        fov_um: float | None = None,
        step_fraction: float | None = None,
        resolution: int | None = None,
        timeout_s: float | None = None,
        progress: ProgressArg = None,
    ) -> AxisCalibration:
        """Measure how image x/y map to stage x/y: a frame at `fov_um` (default the current FOV)
        after stage moves of ± `step_fraction` × FOV (default 0.25) in x and y, registered; the
        fitted matrix is stored for the instrument and `find_roi` uses it. The stage returns."""
        return await self._runner.run(
            _steps.calibrate(self._context, fov_um, step_fraction, resolution, timeout_s, progress)
        )


class AsyncOpticsControl(_Capability):
    """Field of view, working distance, scan rotation, beam shift, high voltage, beam current."""

    async def set(self, **settings: Unpack[OpticsArgs]) -> InstrumentState:
        """Change the given settings (others stay); the state after. Beam shift is
        `beam_shift_um=(x, y)` or `beam_shift_x_um` / `beam_shift_y_um`, not both."""
        return await self._runner.run(_steps.optics(self._context, settings))

    async def autofocus(
        self,
        *,
        fov_um: float,
        span_mm: float | None = None,
        timeout_s: float | None = None,
        progress: ProgressArg = None,
    ) -> AutofocusResult:
        """Find and set the WD that brings the surface under the beam into focus at `fov_um`
        (the instrument's own autofocus, or a WD sweep over ±`span_mm`); what was found."""
        return await self._runner.run(
            _steps.autofocus(self._context, fov_um, span_mm, timeout_s, progress)
        )


class AsyncDetectorControl(_Capability):
    """The detector: which one feeds the image, its depth, gain (contrast), offset, auto signal."""

    async def set(self, **settings: Unpack[DetectorArgs]) -> InstrumentState:
        """Change the given settings (others stay); the state after."""
        return await self._runner.run(_steps.detector(self._context, settings))

    async def auto_signal(
        self, *, timeout_s: float | None = None, progress: ProgressArg = None
    ) -> AutoSignalResult:
        """Set contrast and brightness so the field under the beam fills the range (the
        instrument's own auto signal, or gain and offset from a frame); the range reached."""
        return await self._runner.run(_steps.auto_signal(self._context, timeout_s, progress))


class AsyncImaging(_Capability):
    """Image acquisition: `acquire` (optionally straight to a file), `read` and `download`."""

    async def acquire(
        self, config: Config = None, target_path: PathArg | None = None, **wait: Unpack[WaitArgs]
    ) -> AcquisitionResult:
        """Scan an image with `config` and wait for it (`progress=`, `timeout_s=`).

        With `target_path` the TIFF is streamed to that file (its folder must exist; written
        atomically and checked against the server's digest) and `local_path` is set.
        `progress=True` draws a bar of lines scanned; a callable gets `(done, total, unit)`.
        Cancelling the task or `timeout_s` cancels the scan on the server.
        """
        return await self._runner.run(_steps.acquire(self._context, config, target_path, wait))

    async def read(self, result: AcquisitionResult) -> npt.NDArray[Any]:
        """The image's pixels (rows × columns), from `local_path` or downloaded for the purpose."""
        return await self._runner.run(_steps.read(result))

    async def download(self, result: AcquisitionResult, target_path: PathArg) -> AcquisitionResult:
        """Stream the result's TIFF to `target_path`, atomically and digest-checked."""
        return await self._runner.run(_steps.download(result, target_path))


class AsyncRoiRecords:
    """The saved ROI records (`client.rois`, `session.rois`)."""

    def __init__(self, runner: AsyncTransport) -> None:
        self._runner = runner

    async def list(
        self, specimen_id: str | None = None, *, instrument: str | None = None
    ) -> list[RoiRecord]:
        """Every saved ROI of every instrument on the server's database (each names its
        `instrument`), or only those of `instrument` and/or saved with `specimen_id`."""
        return await self._runner.run(one(calls.list_rois(specimen_id, instrument)))

    async def retrieve(self, name: str) -> RoiRecord:
        """The saved ROI `name` of this server's instrument, or ``"sem2/name"``: instrument
        sem2's (404 `NotFoundError` if there is none)."""
        instrument, bare = _steps.qualified_name(name)
        return await self._runner.run(one(calls.get_roi(bare, instrument)))

    async def find(self, name: str) -> RoiRecord | None:
        """The saved ROI `name` (or ``"sem2/name"``), None if there is none."""
        instrument, bare = _steps.qualified_name(name)
        return await self._runner.run(find_record(bare, instrument))

    async def save(self, record: RoiRecord, *, overwrite: bool = False) -> RoiRecord:
        """Store `record` (409 `roi.exists` for a taken name unless `overwrite`); as stored."""
        return await self._runner.run(one(calls.save_roi(record, overwrite=overwrite)))
