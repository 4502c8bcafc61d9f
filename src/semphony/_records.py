"""Saved ROI records: the typed `RoiRecord` that `client.rois` and `save_roi` return.

They sit with the other typed documents (below the wire adapter, which parses them once), so
nothing above needs the ROI engine to read a record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from semphony._state import DetectorState, StagePose
from semphony.models import ROI_LEVELS, AcquisitionConfig, RoiLevel, RoiSpec

__all__ = ["OpticsSnapshot", "RoiLevelRecord", "RoiRecord"]


@dataclass(frozen=True)
class RoiLevelRecord:
    """One acquired level of a saved pyramid: its FOV (µm), image and pixel size."""

    level: RoiLevel
    fov_um: float
    image_id: str
    correlation_id: str
    resolution: tuple[int, int] | None = None
    pixel_size_um: float | None = None
    # How far the reference stands above its neighbours at save time (see roi._findability).
    findability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire document (`RoiLevelRecord`)."""
        return {
            "level": self.level,
            "fov_um": self.fov_um,
            "image_id": self.image_id,
            "correlation_id": self.correlation_id,
            "resolution": list(self.resolution) if self.resolution is not None else None,
            "pixel_size_um": self.pixel_size_um,
            "findability": self.findability,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RoiLevelRecord:
        """Parse a wire `RoiLevelRecord`."""
        level = doc["level"]
        if level not in ROI_LEVELS:
            raise ValueError(f"level must be one of {ROI_LEVELS}, got {level!r}")
        resolution = doc.get("resolution")
        pixel = doc.get("pixel_size_um")
        figure = doc.get("findability")
        return cls(
            level=level,
            fov_um=float(doc["fov_um"]),
            image_id=str(doc["image_id"]),
            correlation_id=str(doc["correlation_id"]),
            resolution=(int(resolution[0]), int(resolution[1])) if resolution else None,
            pixel_size_um=float(pixel) if pixel is not None else None,
            findability=float(figure) if figure is not None else None,
        )


@dataclass(frozen=True)
class OpticsSnapshot:
    """The optics when the ROI was saved (µm, mm, degrees, kV, nA)."""

    fov_um: float
    working_distance_mm: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    hv_kv: float
    beam_current_na: float

    def to_dict(self) -> dict[str, float]:
        """The wire document (`OpticsSnapshot`)."""
        return dict(vars(self))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> OpticsSnapshot:
        """Parse a wire `OpticsSnapshot` (extra keys are ignored)."""
        return cls(**{name: float(doc[name]) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class RoiRecord:
    """A saved ROI pyramid: where it was (pose, optics), how it was imaged, and its levels.

    `levels` is finest first, as saved; `centre_mm` is the stage position of the ROI's centre
    (the pose plus the beam shift in stage axes).
    """

    name: str
    spec: RoiSpec
    levels: tuple[RoiLevelRecord, ...]
    pose: StagePose
    optics: OpticsSnapshot
    detector: DetectorState
    acquisition: AcquisitionConfig | None = None
    specimen_id: str | None = None
    run_id: str | None = None
    created_at: datetime | None = None
    # The instrument it was saved on (ROI names are unique per instrument); None before saving.
    instrument: str | None = None

    def level(self, level: RoiLevel) -> RoiLevelRecord | None:
        """The saved level `level`, None if it was skipped."""
        return next((lv for lv in self.levels if lv.level == level), None)

    @property
    def centre_mm(self) -> tuple[float, float]:
        """The stage x/y (mm) of the ROI's centre: the pose plus the beam shift.

        The beam shift (column axes, µm) reaches the stage point R(−r)·(bx, by / cos t), the
        conventions `GET /v1/device` publishes (see `semphony.roi._plan`).
        """
        bx = self.optics.beam_shift_x_um
        by = self.optics.beam_shift_y_um / math.cos(math.radians(self.pose.t_deg))
        a = math.radians(-self.pose.r_deg)
        dx, dy = math.cos(a) * bx - math.sin(a) * by, math.sin(a) * bx + math.cos(a) * by
        return self.pose.x_mm + dx / 1000.0, self.pose.y_mm + dy / 1000.0

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (`RoiRecord` on the wire; `created_at` ISO 8601)."""
        return {
            "name": self.name,
            "spec": spec_fovs(self.spec),
            "levels": [lv.to_dict() for lv in self.levels],
            "pose": self.pose.model_dump(),
            "optics": self.optics.to_dict(),
            "detector": self.detector.model_dump(),
            "acquisition": self.acquisition.to_dict() if self.acquisition is not None else None,
            "specimen_id": self.specimen_id,
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat() if self.created_at is not None else None,
            "instrument": self.instrument,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RoiRecord:
        """Parse a wire `RoiRecord`; a malformed one raises `ValueError` naming the field."""
        try:
            fovs = doc["spec"]
            spec = RoiSpec(
                name=doc["name"],
                roi_fov_um=float(fovs["roi_fov_um"]),
                l2_fov_um=float(fovs["l2_fov_um"]),
                l1_fov_um=float(fovs["l1_fov_um"]),
                l0_fov_um=float(fovs["l0_fov_um"]),
            )
            acquisition = doc.get("acquisition")
            created = doc.get("created_at")
            return cls(
                name=str(doc["name"]),
                spec=spec,
                levels=tuple(RoiLevelRecord.from_dict(lv) for lv in doc["levels"]),
                pose=StagePose.from_dict(doc["pose"]),
                optics=OpticsSnapshot.from_dict(doc["optics"]),
                detector=DetectorState.from_dict(doc["detector"]),
                acquisition=(
                    AcquisitionConfig.from_dict(
                        {k: v for k, v in acquisition.items() if v is not None}
                    )
                    if acquisition
                    else None
                ),
                specimen_id=doc.get("specimen_id"),
                run_id=doc.get("run_id"),
                created_at=(
                    created
                    if isinstance(created, datetime)
                    else datetime.fromisoformat(created)
                    if created
                    else None
                ),
                instrument=doc.get("instrument") or None,
            )
        except KeyError as exc:
            raise ValueError(f"ROI record is missing the field {exc.args[0]!r}") from exc


def spec_fovs(spec: RoiSpec) -> dict[str, float]:
    """The level FOVs of `spec` as the wire's `RoiSpecFovs`."""
    return {
        "roi_fov_um": spec.roi_fov_um,
        "l2_fov_um": spec.l2_fov_um,
        "l1_fov_um": spec.l1_fov_um,
        "l0_fov_um": spec.l0_fov_um,
    }
