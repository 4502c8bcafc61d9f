from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_config import AcquisitionConfig
    from ..models.detector_state import DetectorState
    from ..models.optics_snapshot import OpticsSnapshot
    from ..models.roi_level_record import RoiLevelRecord
    from ..models.roi_spec_fovs import RoiSpecFovs
    from ..models.stage_pose import StagePose


T = TypeVar("T", bound="RoiRecord")


@_attrs_define
class RoiRecord:
    """a saved ROI record"""

    name: str
    """ a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit, at most 64 characters """
    spec: RoiSpecFovs
    """ the FOV of each pyramid level in µm; 0 = the level was skipped """
    levels: list[RoiLevelRecord]
    pose: StagePose
    optics: OpticsSnapshot
    """ the optics at one moment, as read back (a beam that is off may read 0 kV, 0 nA) """
    detector: DetectorState
    specimen_id: None | str
    run_id: None | str
    created_at: datetime.datetime
    acquisition: AcquisitionConfig | None | Unset = UNSET
    instrument: str | Unset = UNSET
    """ the instrument the ROI was saved on (names are unique per instrument); finding it needs the same specimen on
    that instrument
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.acquisition_config import AcquisitionConfig

        name = self.name

        spec = self.spec.to_dict()

        levels = []
        for levels_item_data in self.levels:
            levels_item = levels_item_data.to_dict()
            levels.append(levels_item)

        pose = self.pose.to_dict()

        optics = self.optics.to_dict()

        detector = self.detector.to_dict()

        specimen_id: None | str
        specimen_id = self.specimen_id

        run_id: None | str
        run_id = self.run_id

        created_at = self.created_at.isoformat()

        acquisition: dict[str, Any] | None | Unset
        if isinstance(self.acquisition, Unset):
            acquisition = UNSET
        elif isinstance(self.acquisition, AcquisitionConfig):
            acquisition = self.acquisition.to_dict()
        else:
            acquisition = self.acquisition

        instrument = self.instrument

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "spec": spec,
                "levels": levels,
                "pose": pose,
                "optics": optics,
                "detector": detector,
                "specimen_id": specimen_id,
                "run_id": run_id,
                "created_at": created_at,
            }
        )
        if acquisition is not UNSET:
            field_dict["acquisition"] = acquisition
        if instrument is not UNSET:
            field_dict["instrument"] = instrument

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acquisition_config import AcquisitionConfig
        from ..models.detector_state import DetectorState
        from ..models.optics_snapshot import OpticsSnapshot
        from ..models.roi_level_record import RoiLevelRecord
        from ..models.roi_spec_fovs import RoiSpecFovs
        from ..models.stage_pose import StagePose

        d = dict(src_dict)
        name = d.pop("name")

        spec = RoiSpecFovs.from_dict(d.pop("spec"))

        levels = []
        _levels = d.pop("levels")
        for levels_item_data in _levels:
            levels_item = RoiLevelRecord.from_dict(levels_item_data)

            levels.append(levels_item)

        pose = StagePose.from_dict(d.pop("pose"))

        optics = OpticsSnapshot.from_dict(d.pop("optics"))

        detector = DetectorState.from_dict(d.pop("detector"))

        def _parse_specimen_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        specimen_id = _parse_specimen_id(d.pop("specimen_id"))

        def _parse_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        run_id = _parse_run_id(d.pop("run_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_acquisition(data: object) -> AcquisitionConfig | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                acquisition_type_0 = AcquisitionConfig.from_dict(data)

                return acquisition_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AcquisitionConfig | None | Unset, data)

        acquisition = _parse_acquisition(d.pop("acquisition", UNSET))

        instrument = d.pop("instrument", UNSET)

        roi_record = cls(
            name=name,
            spec=spec,
            levels=levels,
            pose=pose,
            optics=optics,
            detector=detector,
            specimen_id=specimen_id,
            run_id=run_id,
            created_at=created_at,
            acquisition=acquisition,
            instrument=instrument,
        )

        roi_record.additional_properties = d
        return roi_record

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
