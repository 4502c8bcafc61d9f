"""Saved ROI records: the typed `RoiRecord` and the calls that store and fetch them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from semphony_api.api.rois import get_roi, list_rois, save_roi
from semphony_api.models.roi_record import RoiRecord as RecordDoc
from semphony_api.models.roi_record_create import RoiRecordCreate
from semphony_api.models.roi_record_list import RoiRecordList
from semphony_api.types import UNSET

from semphony._exceptions import InvalidResponseError, NotFoundError
from semphony._state import DetectorState, StagePose
from semphony.models import ROI_LEVELS, AcquisitionConfig, RoiLevel, RoiSpec
from semphony.roi._plan import Frame

if TYPE_CHECKING:
    from semphony.roi._port import RoiTransport

__all__ = [
    "OpticsSnapshot",
    "RoiLevelRecord",
    "RoiRecord",
    "fetch_record",
    "find_record",
    "list_records",
    "store_record",
]


@dataclass(frozen=True)
class RoiLevelRecord:
    """One acquired level of a saved pyramid: its FOV (µm), image and pixel size."""

    level: RoiLevel
    fov_um: float
    image_id: str
    correlation_id: str
    resolution: tuple[int, int] | None = None
    pixel_size_um: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire document (`RoiLevelRecord`)."""
        return {
            "level": self.level,
            "fov_um": self.fov_um,
            "image_id": self.image_id,
            "correlation_id": self.correlation_id,
            "resolution": list(self.resolution) if self.resolution is not None else None,
            "pixel_size_um": self.pixel_size_um,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RoiLevelRecord:
        """Parse a wire `RoiLevelRecord`."""
        level = doc["level"]
        if level not in ROI_LEVELS:
            raise ValueError(f"level must be one of {ROI_LEVELS}, got {level!r}")
        resolution = doc.get("resolution")
        pixel = doc.get("pixel_size_um")
        return cls(
            level=level,
            fov_um=float(doc["fov_um"]),
            image_id=str(doc["image_id"]),
            correlation_id=str(doc["correlation_id"]),
            resolution=(int(resolution[0]), int(resolution[1])) if resolution else None,
            pixel_size_um=float(pixel) if pixel is not None else None,
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

    def level(self, level: RoiLevel) -> RoiLevelRecord | None:
        """The saved level `level`, None if it was skipped."""
        return next((lv for lv in self.levels if lv.level == level), None)

    @property
    def frame(self) -> Frame:
        """How the saved images' axes sat on the stage's."""
        return Frame(
            r_deg=self.pose.r_deg,
            scan_rotation_deg=self.optics.scan_rotation_deg,
            t_deg=self.pose.t_deg,
        )

    @property
    def centre_mm(self) -> tuple[float, float]:
        """The stage x/y (mm) of the ROI's centre: the pose plus the beam shift."""
        bx, by = self.frame.column_to_stage_um(
            self.optics.beam_shift_x_um, self.optics.beam_shift_y_um
        )
        return self.pose.x_mm + bx / 1000.0, self.pose.y_mm + by / 1000.0

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (`RoiRecord` on the wire; `created_at` ISO 8601)."""
        return {
            "name": self.name,
            "spec": _spec_fovs(self.spec),
            "levels": [lv.to_dict() for lv in self.levels],
            "pose": self.pose.model_dump(),
            "optics": self.optics.to_dict(),
            "detector": self.detector.model_dump(),
            "acquisition": self.acquisition.to_dict() if self.acquisition is not None else None,
            "specimen_id": self.specimen_id,
            "run_id": self.run_id,
            "created_at": self.created_at.isoformat() if self.created_at is not None else None,
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
                pose=StagePose.from_wire(doc["pose"]),
                optics=OpticsSnapshot.from_dict(doc["optics"]),
                detector=DetectorState.model_validate(dict(doc["detector"])),
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
            )
        except KeyError as exc:
            raise ValueError(f"ROI record is missing the field {exc.args[0]!r}") from exc


def _spec_fovs(spec: RoiSpec) -> dict[str, float]:
    return {
        "roi_fov_um": spec.roi_fov_um,
        "l2_fov_um": spec.l2_fov_um,
        "l1_fov_um": spec.l1_fov_um,
        "l0_fov_um": spec.l0_fov_um,
    }


def _parse(doc: RecordDoc) -> RoiRecord:
    try:
        return RoiRecord.from_dict(doc.to_dict())
    except ValueError as exc:
        raise InvalidResponseError(f"the ROI record the server sent is malformed: {exc}") from exc


def store_record(
    transport: RoiTransport,
    *,
    name: str,
    spec: RoiSpec,
    levels: list[RoiLevelRecord],
    pose: StagePose,
    optics: OpticsSnapshot,
    detector: DetectorState,
    acquisition: AcquisitionConfig | None,
    specimen_id: str | None,
    run_id: str | None,
    overwrite: bool,
) -> RoiRecord:
    """Save the record; a taken name is `ConflictError` (409 `roi.exists`) unless overwrite."""
    acquisition_doc = acquisition.to_dict() if acquisition is not None else None
    body = RoiRecordCreate.from_dict(
        {
            "name": name,
            "spec": _spec_fovs(spec),
            "levels": [lv.to_dict() for lv in levels],
            "pose": pose.model_dump(include=set(StagePose.model_fields)),
            "optics": optics.to_dict(),
            "detector": detector.model_dump(include=set(DetectorState.model_fields)),
            "acquisition": acquisition_doc,
            "specimen_id": specimen_id,
            "run_id": run_id,
        }
    )
    doc = transport.call(save_roi.sync_detailed, RecordDoc, body=body, overwrite=overwrite)
    return _parse(doc)


def fetch_record(transport: RoiTransport, name: str) -> RoiRecord:
    """The record `name` (`NotFoundError` if there is none)."""
    return _parse(transport.call(get_roi.sync_detailed, RecordDoc, name=name))


def find_record(transport: RoiTransport, name: str) -> RoiRecord | None:
    """The record `name`, None if there is none."""
    try:
        return fetch_record(transport, name)
    except NotFoundError:
        return None


def list_records(transport: RoiTransport, specimen_id: str | None = None) -> list[RoiRecord]:
    """Every saved record, or those of one specimen."""
    page = transport.call(
        list_rois.sync_detailed,
        RoiRecordList,
        specimen_id=UNSET if specimen_id is None else specimen_id,
    )
    return [_parse(doc) for doc in page.items]
