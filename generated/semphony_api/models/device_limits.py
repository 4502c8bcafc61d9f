from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.clearance_point import ClearancePoint
    from ..models.range_ import Range
    from ..models.resolution_limits import ResolutionLimits
    from ..models.stage_limits import StageLimits


T = TypeVar("T", bound="DeviceLimits")


@_attrs_define
class DeviceLimits:
    stage: StageLimits
    """ travel limits of each stage axis """
    fov_um: Range
    """ an inclusive interval """
    working_distance_mm: Range
    """ an inclusive interval """
    scan_rotation_deg: Range
    """ an inclusive interval """
    beam_shift_x_um: Range
    """ an inclusive interval """
    beam_shift_y_um: Range
    """ an inclusive interval """
    hv_kv: Range
    """ an inclusive interval """
    beam_current_na: Range
    """ an inclusive interval """
    resolution: ResolutionLimits
    dwell_time_us: Range
    """ an inclusive interval """
    stage_clearance: list[ClearancePoint] | None | Unset = UNSET
    """ the pole-piece clearance rule: highest allowed z by tilt, linearly interpolated between points, sorted by
    t_deg (null when the device states none)
     """
    bit_depths: list[int] | Unset = UNSET
    """ the image bit depths the device can write """
    detector_gain: Range | Unset = UNSET
    """ an inclusive interval """
    detector_offset: Range | Unset = UNSET
    """ an inclusive interval """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        stage = self.stage.to_dict()

        fov_um = self.fov_um.to_dict()

        working_distance_mm = self.working_distance_mm.to_dict()

        scan_rotation_deg = self.scan_rotation_deg.to_dict()

        beam_shift_x_um = self.beam_shift_x_um.to_dict()

        beam_shift_y_um = self.beam_shift_y_um.to_dict()

        hv_kv = self.hv_kv.to_dict()

        beam_current_na = self.beam_current_na.to_dict()

        resolution = self.resolution.to_dict()

        dwell_time_us = self.dwell_time_us.to_dict()

        stage_clearance: list[dict[str, Any]] | None | Unset
        if isinstance(self.stage_clearance, Unset):
            stage_clearance = UNSET
        elif isinstance(self.stage_clearance, list):
            stage_clearance = []
            for stage_clearance_type_0_item_data in self.stage_clearance:
                stage_clearance_type_0_item = stage_clearance_type_0_item_data.to_dict()
                stage_clearance.append(stage_clearance_type_0_item)

        else:
            stage_clearance = self.stage_clearance

        bit_depths: list[int] | Unset = UNSET
        if not isinstance(self.bit_depths, Unset):
            bit_depths = self.bit_depths

        detector_gain: dict[str, Any] | Unset = UNSET
        if not isinstance(self.detector_gain, Unset):
            detector_gain = self.detector_gain.to_dict()

        detector_offset: dict[str, Any] | Unset = UNSET
        if not isinstance(self.detector_offset, Unset):
            detector_offset = self.detector_offset.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "stage": stage,
                "fov_um": fov_um,
                "working_distance_mm": working_distance_mm,
                "scan_rotation_deg": scan_rotation_deg,
                "beam_shift_x_um": beam_shift_x_um,
                "beam_shift_y_um": beam_shift_y_um,
                "hv_kv": hv_kv,
                "beam_current_na": beam_current_na,
                "resolution": resolution,
                "dwell_time_us": dwell_time_us,
            }
        )
        if stage_clearance is not UNSET:
            field_dict["stage_clearance"] = stage_clearance
        if bit_depths is not UNSET:
            field_dict["bit_depths"] = bit_depths
        if detector_gain is not UNSET:
            field_dict["detector_gain"] = detector_gain
        if detector_offset is not UNSET:
            field_dict["detector_offset"] = detector_offset

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.clearance_point import ClearancePoint
        from ..models.range_ import Range
        from ..models.resolution_limits import ResolutionLimits
        from ..models.stage_limits import StageLimits

        d = dict(src_dict)
        stage = StageLimits.from_dict(d.pop("stage"))

        fov_um = Range.from_dict(d.pop("fov_um"))

        working_distance_mm = Range.from_dict(d.pop("working_distance_mm"))

        scan_rotation_deg = Range.from_dict(d.pop("scan_rotation_deg"))

        beam_shift_x_um = Range.from_dict(d.pop("beam_shift_x_um"))

        beam_shift_y_um = Range.from_dict(d.pop("beam_shift_y_um"))

        hv_kv = Range.from_dict(d.pop("hv_kv"))

        beam_current_na = Range.from_dict(d.pop("beam_current_na"))

        resolution = ResolutionLimits.from_dict(d.pop("resolution"))

        dwell_time_us = Range.from_dict(d.pop("dwell_time_us"))

        def _parse_stage_clearance(data: object) -> list[ClearancePoint] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                stage_clearance_type_0 = []
                _stage_clearance_type_0 = data
                for stage_clearance_type_0_item_data in _stage_clearance_type_0:
                    stage_clearance_type_0_item = ClearancePoint.from_dict(
                        stage_clearance_type_0_item_data
                    )

                    stage_clearance_type_0.append(stage_clearance_type_0_item)

                return stage_clearance_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ClearancePoint] | None | Unset, data)

        stage_clearance = _parse_stage_clearance(d.pop("stage_clearance", UNSET))

        bit_depths = cast(list[int], d.pop("bit_depths", UNSET))

        _detector_gain = d.pop("detector_gain", UNSET)
        detector_gain: Range | Unset
        if isinstance(_detector_gain, Unset):
            detector_gain = UNSET
        else:
            detector_gain = Range.from_dict(_detector_gain)

        _detector_offset = d.pop("detector_offset", UNSET)
        detector_offset: Range | Unset
        if isinstance(_detector_offset, Unset):
            detector_offset = UNSET
        else:
            detector_offset = Range.from_dict(_detector_offset)

        device_limits = cls(
            stage=stage,
            fov_um=fov_um,
            working_distance_mm=working_distance_mm,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
            hv_kv=hv_kv,
            beam_current_na=beam_current_na,
            resolution=resolution,
            dwell_time_us=dwell_time_us,
            stage_clearance=stage_clearance,
            bit_depths=bit_depths,
            detector_gain=detector_gain,
            detector_offset=detector_offset,
        )

        device_limits.additional_properties = d
        return device_limits

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
