from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_config import AcquisitionConfig
    from ..models.detector_state import DetectorState
    from ..models.optics_snapshot import OpticsSnapshot
    from ..models.roi_level_record import RoiLevelRecord
    from ..models.roi_spec_fovs import RoiSpecFovs
    from ..models.stage_pose import StagePose


T = TypeVar("T", bound="RoiRecordCreate")


@_attrs_define
class RoiRecordCreate:
    """an ROI record to save"""

    name: str
    """ a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit, at most 64 characters """
    spec: RoiSpecFovs
    """ the FOV of each pyramid level in µm; 0 = the level was skipped """
    levels: list[RoiLevelRecord]
    """ the acquired levels, finest first """
    pose: StagePose
    optics: OpticsSnapshot
    """ the optics at one moment, as read back (a beam that is off may read 0 kV, 0 nA) """
    detector: DetectorState
    acquisition: AcquisitionConfig | None | Unset = UNSET
    """ the acquisition settings the levels shared (FOV aside) """
    specimen_id: None | str | Unset = UNSET
    run_id: None | str | Unset = UNSET

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

        acquisition: dict[str, Any] | None | Unset
        if isinstance(self.acquisition, Unset):
            acquisition = UNSET
        elif isinstance(self.acquisition, AcquisitionConfig):
            acquisition = self.acquisition.to_dict()
        else:
            acquisition = self.acquisition

        specimen_id: None | str | Unset
        if isinstance(self.specimen_id, Unset):
            specimen_id = UNSET
        else:
            specimen_id = self.specimen_id

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        else:
            run_id = self.run_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "spec": spec,
                "levels": levels,
                "pose": pose,
                "optics": optics,
                "detector": detector,
            }
        )
        if acquisition is not UNSET:
            field_dict["acquisition"] = acquisition
        if specimen_id is not UNSET:
            field_dict["specimen_id"] = specimen_id
        if run_id is not UNSET:
            field_dict["run_id"] = run_id

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

        def _parse_specimen_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        specimen_id = _parse_specimen_id(d.pop("specimen_id", UNSET))

        def _parse_run_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        run_id = _parse_run_id(d.pop("run_id", UNSET))

        roi_record_create = cls(
            name=name,
            spec=spec,
            levels=levels,
            pose=pose,
            optics=optics,
            detector=detector,
            acquisition=acquisition,
            specimen_id=specimen_id,
            run_id=run_id,
        )

        return roi_record_create
