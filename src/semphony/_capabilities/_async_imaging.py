"""Imaging of an `AsyncSession`: the async twin of `_imaging`."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy.typing as npt
from semphony_api.api.acquisitions import start_acquisition

from semphony._capabilities._async_instrument import AsyncCapability
from semphony._capabilities._async_operations import async_start_operation, async_wait_operation
from semphony._capabilities._base import (
    ProgressArg,
    acquisition_body,
    acquisition_result_of,
    artifact_of,
    local_image,
    read_tiff,
)
from semphony._state import AcquireCommand
from semphony.models import AcquisitionConfig, AcquisitionResult, FindRoiResult, RoiSpec

if TYPE_CHECKING:
    from semphony.roi._records import RoiRecord

__all__ = ["AsyncImaging"]


class AsyncImaging(AsyncCapability):
    """Image acquisition: `acquire`, `read`, and the ROI pyramid's `save_roi` / `find_roi`."""

    async def acquire(
        self,
        config: AcquisitionConfig | None = None,
        target_path: str | os.PathLike[str] | None = None,
        progress: ProgressArg = None,
        *,
        timeout_s: float | None = None,
    ) -> AcquisitionResult:
        """Scan an image with `config` and wait for it.

        With `target_path` the TIFF is streamed to that file (written atomically and checked
        against the server's digest) and `local_path` is set. `progress=True` draws a bar of
        lines scanned; a callable gets `(done, total, unit)`. Cancelling the task or `timeout_s`
        cancels the scan on the server.
        """
        config = config if config is not None else AcquisitionConfig()
        await self._guard(AcquireCommand(config))
        operation = await async_start_operation(
            self._transport,
            start_acquisition.asyncio_detailed,
            session_id=self._session.id,
            body=acquisition_body(config),
        )
        done = await async_wait_operation(
            self._transport, operation, timeout_s=timeout_s, progress=progress, description="scan"
        )
        result = acquisition_result_of(done)
        if target_path is not None:
            result = await self.download(result, target_path)
        return result

    async def read(self, result: AcquisitionResult) -> npt.NDArray[Any]:
        """The image's pixels (rows × columns), from `local_path` or downloaded for the purpose."""
        # Decoding a large TIFF takes a while; it runs in a worker thread, off the event loop.
        local = local_image(result)
        if local is not None:
            return await asyncio.to_thread(read_tiff, local)
        with tempfile.TemporaryDirectory(prefix="semphony-") as tmp:
            path = await self._download(result, Path(tmp) / "image.tiff")
            return await asyncio.to_thread(read_tiff, path)

    async def download(
        self, result: AcquisitionResult, target_path: str | os.PathLike[str]
    ) -> AcquisitionResult:
        """Stream the result's TIFF to `target_path`, atomically and digest-checked."""
        path = await self._download(result, Path(target_path))
        return dataclasses.replace(result, local_path=str(path))

    async def _download(self, result: AcquisitionResult, target: Path) -> Path:
        image_id, sha256 = artifact_of(result)
        return (await self._transport.download(image_id, target, expected_sha256=sha256)).path

    async def save_roi(
        self,
        spec: RoiSpec,
        config: AcquisitionConfig | None = None,
        *,
        specimen_id: str | None = None,
        overwrite: bool = False,
    ) -> RoiRecord:
        """Acquire the pyramid `spec` describes at the current pose, finest level first; store it.

        Levels whose FOV is 0 are skipped; each image is tagged with `roi_name` and `roi_level`. An
        existing name is an error unless `overwrite=True`. Cancelling the task stops it at the next
        instrument call (a scan in progress is cancelled on the server).
        """
        # The ROI engine is written once, blocking; the bridge runs it in a worker thread.
        from semphony.roi._bridge import run_engine
        from semphony.roi._save import save_roi

        return await run_engine(
            self._session,
            lambda port: save_roi(port, spec, config, specimen_id=specimen_id, overwrite=overwrite),
        )

    async def find_roi(
        self,
        name: str,
        *,
        config: AcquisitionConfig | None = None,
        start: Literal["saved", "current"] = "saved",
        tolerance_um: float | None = None,
        max_iterations_per_level: int = 4,
        report: str | os.PathLike[str] | None = None,
        progress: ProgressArg = None,
    ) -> FindRoiResult:
        """Relocate the saved ROI `name`, coarsest level first, and finish on it with beam shift.

        As `Imaging.find_roi`; a `progress` callback is called on the event loop's thread.
        Cancelling the task stops the search at its next instrument call.
        """
        from semphony.roi._bridge import progress_on_loop, run_engine
        from semphony.roi._find import find_roi

        on_loop = progress_on_loop(progress, asyncio.get_running_loop())
        return await run_engine(
            self._session,
            lambda port: find_roi(
                port,
                name,
                config=config,
                start=start,
                tolerance_um=tolerance_um,
                max_iterations_per_level=max_iterations_per_level,
                report=None if report is None else Path(report),
                progress=on_loop,
            ),
        )
