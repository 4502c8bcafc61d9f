"""Imaging: acquire an image (optionally straight to disk), read its pixels, and the ROI hooks."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy.typing as npt
from semphony_api.api.acquisitions import start_acquisition
from semphony_api.models.operation import Operation

from semphony._capabilities._base import (
    Capability,
    ProgressArg,
    acquisition_body,
    acquisition_result_of,
    artifact_of,
    local_image,
    read_tiff,
)
from semphony._capabilities._operations import wait_operation
from semphony._state import AcquireCommand
from semphony.models import AcquisitionConfig, AcquisitionResult, FindRoiResult, RoiSpec

if TYPE_CHECKING:
    from semphony.roi._records import RoiRecord

__all__ = ["Imaging"]


class Imaging(Capability):
    """Image acquisition: `acquire`, `read`, and the ROI pyramid's `save_roi` / `find_roi`."""

    def acquire(
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
        lines scanned; a callable gets `(done, total, unit)`. Ctrl-C or `timeout_s` cancels the
        scan on the server.
        """
        config = config if config is not None else AcquisitionConfig()
        self._guard(AcquireCommand(config))
        operation = self._transport.call(
            start_acquisition.sync_detailed,
            Operation,
            session_id=self._session.id,
            body=acquisition_body(config),
        )
        done = wait_operation(
            self._transport, operation, timeout_s=timeout_s, progress=progress, description="scan"
        )
        result = acquisition_result_of(done)
        if target_path is not None:
            result = self.download(result, target_path)
        return result

    def read(self, result: AcquisitionResult) -> npt.NDArray[Any]:
        """The image's pixels (rows × columns), from `local_path` or downloaded for the purpose."""
        local = local_image(result)
        if local is not None:
            return read_tiff(local)
        with tempfile.TemporaryDirectory(prefix="semphony-") as tmp:
            return read_tiff(self._download(result, Path(tmp) / "image.tiff"))

    def download(
        self, result: AcquisitionResult, target_path: str | os.PathLike[str]
    ) -> AcquisitionResult:
        """Stream the result's TIFF to `target_path`, atomically and digest-checked."""
        path = self._download(result, Path(target_path))
        return dataclasses.replace(result, local_path=str(path))

    def _download(self, result: AcquisitionResult, target: Path) -> Path:
        image_id, sha256 = artifact_of(result)
        return self._transport.download(image_id, target, expected_sha256=sha256).path

    def save_roi(
        self,
        spec: RoiSpec,
        config: AcquisitionConfig | None = None,
        *,
        specimen_id: str | None = None,
        overwrite: bool = False,
    ) -> RoiRecord:
        """Acquire the pyramid `spec` describes at the current pose, finest level first; store it.

        Levels whose FOV is 0 are skipped; each image is tagged with `roi_name` and `roi_level`. An
        existing name is an error unless `overwrite=True`.
        """
        # semphony.roi sits above the capabilities (it orchestrates them); import it when used.
        from semphony.roi._save import save_roi

        return save_roi(self._session, spec, config, specimen_id=specimen_id, overwrite=overwrite)

    def find_roi(
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

        `found` is True only when the final residual is under `tolerance_um` (default: one ROI
        pixel) at a passing confidence; otherwise `metrics["reason"]` says why. `report=path`
        writes a PNG.
        """
        from semphony.roi._find import find_roi

        return find_roi(
            self._session,
            name,
            config=config,
            start=start,
            tolerance_um=tolerance_um,
            max_iterations_per_level=max_iterations_per_level,
            report=None if report is None else Path(report),
            progress=progress,
        )
