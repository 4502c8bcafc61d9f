from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.applied_settings import AppliedSettings
    from ..models.stage_pose import StagePose


T = TypeVar("T", bound="AcquisitionMetadata")


@_attrs_define
class AcquisitionMetadata:
    """Everything else the server knows about the acquisition. The listed members are what the reference server sends;
    others may appear and clients keep them.

    """

    applied: AppliedSettings | Unset = UNSET
    """ the settings the device really used (after quantisation), null where unknown """
    ignored_fields: list[str] | Unset = UNSET
    """ the given AcquisitionConfig fields the device does not honour """
    roi_name: None | str | Unset = UNSET
    roi_level: None | str | Unset = UNSET
    stage: StagePose | Unset = UNSET
    clock_s_start: float | Unset = UNSET
    clock_s_end: float | Unset = UNSET
    sha256: None | str | Unset = UNSET
    """ hex SHA-256 of the artifact's bytes """
    run_id: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        applied: dict[str, Any] | Unset = UNSET
        if not isinstance(self.applied, Unset):
            applied = self.applied.to_dict()

        ignored_fields: list[str] | Unset = UNSET
        if not isinstance(self.ignored_fields, Unset):
            ignored_fields = self.ignored_fields

        roi_name: None | str | Unset
        if isinstance(self.roi_name, Unset):
            roi_name = UNSET
        else:
            roi_name = self.roi_name

        roi_level: None | str | Unset
        if isinstance(self.roi_level, Unset):
            roi_level = UNSET
        else:
            roi_level = self.roi_level

        stage: dict[str, Any] | Unset = UNSET
        if not isinstance(self.stage, Unset):
            stage = self.stage.to_dict()

        clock_s_start = self.clock_s_start

        clock_s_end = self.clock_s_end

        sha256: None | str | Unset
        if isinstance(self.sha256, Unset):
            sha256 = UNSET
        else:
            sha256 = self.sha256

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        else:
            run_id = self.run_id

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if applied is not UNSET:
            field_dict["applied"] = applied
        if ignored_fields is not UNSET:
            field_dict["ignored_fields"] = ignored_fields
        if roi_name is not UNSET:
            field_dict["roi_name"] = roi_name
        if roi_level is not UNSET:
            field_dict["roi_level"] = roi_level
        if stage is not UNSET:
            field_dict["stage"] = stage
        if clock_s_start is not UNSET:
            field_dict["clock_s_start"] = clock_s_start
        if clock_s_end is not UNSET:
            field_dict["clock_s_end"] = clock_s_end
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256
        if run_id is not UNSET:
            field_dict["run_id"] = run_id
        if session_id is not UNSET:
            field_dict["session_id"] = session_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.applied_settings import AppliedSettings
        from ..models.stage_pose import StagePose

        d = dict(src_dict)
        _applied = d.pop("applied", UNSET)
        applied: AppliedSettings | Unset
        if isinstance(_applied, Unset):
            applied = UNSET
        else:
            applied = AppliedSettings.from_dict(_applied)

        ignored_fields = cast(list[str], d.pop("ignored_fields", UNSET))

        def _parse_roi_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        roi_name = _parse_roi_name(d.pop("roi_name", UNSET))

        def _parse_roi_level(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        roi_level = _parse_roi_level(d.pop("roi_level", UNSET))

        _stage = d.pop("stage", UNSET)
        stage: StagePose | Unset
        if isinstance(_stage, Unset):
            stage = UNSET
        else:
            stage = StagePose.from_dict(_stage)

        clock_s_start = d.pop("clock_s_start", UNSET)

        clock_s_end = d.pop("clock_s_end", UNSET)

        def _parse_sha256(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sha256 = _parse_sha256(d.pop("sha256", UNSET))

        def _parse_run_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        run_id = _parse_run_id(d.pop("run_id", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        acquisition_metadata = cls(
            applied=applied,
            ignored_fields=ignored_fields,
            roi_name=roi_name,
            roi_level=roi_level,
            stage=stage,
            clock_s_start=clock_s_start,
            clock_s_end=clock_s_end,
            sha256=sha256,
            run_id=run_id,
            session_id=session_id,
        )

        acquisition_metadata.additional_properties = d
        return acquisition_metadata

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
