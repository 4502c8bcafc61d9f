"""Imaging: acquire an image (optionally straight to disk), read its pixels, and the ROI hooks."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

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
            path = self._download(result, Path(target_path))
            result = dataclasses.replace(result, local_path=str(path))
        return result

    def read(self, result: AcquisitionResult) -> npt.NDArray[Any]:
        """The image's pixels (rows × columns), from `local_path` or downloaded for the purpose."""
        local = local_image(result)
        if local is not None:
            return read_tiff(local)
        with tempfile.TemporaryDirectory(prefix="semphony-") as tmp:
            return read_tiff(self._download(result, Path(tmp) / "image.tiff"))

    def _download(self, result: AcquisitionResult, target: Path) -> Path:
        image_id, sha256 = artifact_of(result)
        return self._transport.download(image_id, target, expected_sha256=sha256).path

    # The ROI pyramid (semphony.roi) replaces these two methods; until then they say so.
    def save_roi(self, spec: RoiSpec, **options: Any) -> Any:
        """Acquire and save the ROI pyramid `spec` describes (finest level first)."""
        raise NotImplementedError(
            f"imaging.save_roi({spec.name!r}) is not available in this build: the ROI pyramid "
            "(semphony.roi) is not wired into the SDK yet"
        )

    def find_roi(self, name: str, **options: Any) -> FindRoiResult:
        """Relocate the saved ROI `name` from the coarsest level down; see `FindRoiResult`."""
        raise NotImplementedError(
            f"imaging.find_roi({name!r}) is not available in this build: the ROI pyramid "
            "(semphony.roi) is not wired into the SDK yet"
        )
