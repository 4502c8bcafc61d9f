"""`save_roi`: acquire an ROI pyramid at the current pose and store its record on the server."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony._exceptions import ConflictError
from semphony._limits import check_acquisition, check_fov
from semphony._records import OpticsSnapshot, RoiLevelRecord, RoiRecord
from semphony.models import AcquisitionConfig, AcquisitionResult, RoiSpec
from semphony.roi._findability import findability, warn_if_bland
from semphony.roi._port import RoiSession
from semphony.roi._progress import LevelProgress, ProgressOption

__all__ = ["save_roi"]

# The acquisition settings the levels share and `find_roi` reuses (the FOV is each level's own).
_SHARED_FIELDS = (
    "resolution",
    "mode",
    "dwell_time_us",
    "scan_speed_index",
    "detector_channel",
    "working_distance_mm",
    "bit_depth",
)


def _exists_error(name: str) -> ConflictError:
    detail = f"an ROI named {name!r} exists already; pass overwrite=True to replace it"
    return ConflictError(
        f"409 Conflict: {detail} (reason roi.exists)",
        status_code=409,
        problem={"title": "Conflict", "status": 409, "detail": detail, "reason": "roi.exists"},
    )


def _check_config(spec: RoiSpec, config: AcquisitionConfig) -> None:
    if config.fov_um is not None:
        raise ValueError(
            f"save_roi: config.fov_um ({config.fov_um:g} µm) must be None: the RoiSpec "
            "sets each level's FOV"
        )
    if config.roi_name is not None and config.roi_name != spec.name:
        raise ValueError(
            f"save_roi: config.roi_name {config.roi_name!r} must be None or the spec's name "
            f"{spec.name!r}"
        )
    if config.roi_level is not None:
        raise ValueError(
            f"save_roi: config.roi_level ({config.roi_level!r}) must be None: each level is "
            "tagged with its own"
        )


def _level_record(level: Any, fov_um: float, result: AcquisitionResult) -> RoiLevelRecord:
    applied = result.metadata.get("applied")
    applied = applied if isinstance(applied, dict) else {}
    pixel = applied.get("pixel_size_um")
    size = result.size
    if size is None and isinstance(applied.get("resolution"), list | tuple):
        size = (int(applied["resolution"][0]), int(applied["resolution"][1]))
    if result.image_id is None:
        raise ValueError(
            f"save_roi: the {level} acquisition {result.correlation_id} returned no image_id"
        )
    return RoiLevelRecord(
        level=level,
        fov_um=fov_um,
        image_id=result.image_id,
        correlation_id=result.correlation_id,
        resolution=size,
        pixel_size_um=float(pixel) if isinstance(pixel, int | float) else None,
    )


def _shared_settings(result: AcquisitionResult, config: AcquisitionConfig) -> AcquisitionConfig:
    """What the levels were acquired with, FOV aside: the applied values, else the requested."""
    applied = result.metadata.get("applied")
    applied = applied if isinstance(applied, dict) else {}
    values: dict[str, Any] = {}
    for name in _SHARED_FIELDS:
        value = applied.get(name, getattr(config, name))
        if value is not None:
            values[name] = value
    return AcquisitionConfig.from_dict(values)


def _with_findability(
    levels: list[RoiLevelRecord], images: list[NDArray[np.float64]]
) -> list[RoiLevelRecord]:
    """Each level with its findability against the next coarser level; bland ones warn."""
    out: list[RoiLevelRecord] = []
    for index, (level, image) in enumerate(zip(levels, images, strict=True)):
        coarser = levels[index + 1] if index + 1 < len(levels) else None
        figure = findability(
            image,
            fov_um=level.fov_um,
            coarser=images[index + 1] if coarser is not None else None,
            coarser_fov_um=coarser.fov_um if coarser is not None else None,
        )
        warn_if_bland(level.level, figure)
        out.append(dataclasses.replace(level, findability=round(figure, 3)))
    return out


def save_roi(
    session: RoiSession,
    spec: RoiSpec,
    config: AcquisitionConfig | None = None,
    *,
    specimen_id: str | None = None,
    overwrite: bool = False,
    progress: ProgressOption = None,
) -> RoiRecord:
    """Acquire the levels of `spec` at the current pose, finest first, and store the record.

    Each image is tagged with `roi_name` and `roi_level`; levels whose FOV is 0 are skipped.
    `config` holds the shared acquisition settings (resolution, detector, dwell); its FOV and ROI
    tags must be unset. Before anything is acquired, every level and setting is checked against
    the device's limits (`OutOfRangeError` naming the field) and an existing name is a
    `ConflictError` (reason `roi.exists`) unless `overwrite`. The FOV is set back to what it was.
    `progress=True` shows the levels acquired; a callable gets `(done, total, message)`.
    """
    base = config if config is not None else AcquisitionConfig()
    _check_config(spec, base)
    device = session.device()
    check_acquisition(device, base, where="save_roi")
    for level, fov_um in spec.levels():
        check_fov(device, f"{level}_fov_um", fov_um, where="save_roi")
    if not overwrite and session.rois.find(spec.name) is not None:
        raise _exists_error(spec.name)
    before = session.state()
    levels: list[RoiLevelRecord] = []
    finest: AcquisitionResult | None = None
    images: list[NDArray[np.float64]] = []
    with LevelProgress(progress, total=len(spec.levels()), label="save_roi") as display:
        for level, fov_um in spec.levels():
            display.step(f"acquiring {level} ({fov_um:g} µm)")
            tagged = dataclasses.replace(base, fov_um=fov_um, roi_name=spec.name, roi_level=level)
            result = session.imaging.acquire(tagged)
            finest = finest or result
            levels.append(_level_record(level, fov_um, result))
            images.append(np.asarray(session.imaging.read(result), dtype=np.float64))
            display.level_done(f"{level} acquired")
    assert finest is not None  # RoiSpec guarantees at least one level
    levels = _with_findability(levels, images)
    after = session.state()
    optics = OpticsSnapshot(
        fov_um=before.fov_um,
        working_distance_mm=after.working_distance_mm,
        scan_rotation_deg=after.scan_rotation_deg,
        beam_shift_x_um=after.beam_shift_x_um,
        beam_shift_y_um=after.beam_shift_y_um,
        hv_kv=after.hv_kv,
        beam_current_na=after.beam_current_na,
    )
    draft = RoiRecord(
        name=spec.name,
        spec=spec,
        levels=tuple(levels),
        pose=after.stage,
        optics=optics,
        detector=after.detector,
        acquisition=_shared_settings(finest, base),
        specimen_id=specimen_id,
        run_id=session.run_id,
    )
    record = session.rois.save(draft, overwrite=overwrite)
    if after.fov_um != before.fov_um:
        session.optics.set(fov_um=before.fov_um)
    return record
