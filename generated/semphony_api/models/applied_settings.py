from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AppliedSettings")


@_attrs_define
class AppliedSettings:
    """the settings the device really used (after quantisation), null where unknown"""

    fov_um: float | None | Unset = UNSET
    dwell_time_us: float | None | Unset = UNSET
    scan_speed_index: int | None | Unset = UNSET
    resolution: list[int] | None | Unset = UNSET
    mode: None | str | Unset = UNSET
    detector_channel: int | None | Unset = UNSET
    working_distance_mm: float | None | Unset = UNSET
    bit_depth: int | None | Unset = UNSET
    pixel_size_um: float | None | Unset = UNSET
    scan_rotation_deg: float | None | Unset = UNSET
    beam_shift_x_um: float | None | Unset = UNSET
    beam_shift_y_um: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fov_um: float | None | Unset
        if isinstance(self.fov_um, Unset):
            fov_um = UNSET
        else:
            fov_um = self.fov_um

        dwell_time_us: float | None | Unset
        if isinstance(self.dwell_time_us, Unset):
            dwell_time_us = UNSET
        else:
            dwell_time_us = self.dwell_time_us

        scan_speed_index: int | None | Unset
        if isinstance(self.scan_speed_index, Unset):
            scan_speed_index = UNSET
        else:
            scan_speed_index = self.scan_speed_index

        resolution: list[int] | None | Unset
        if isinstance(self.resolution, Unset):
            resolution = UNSET
        elif isinstance(self.resolution, list):
            resolution = self.resolution

        else:
            resolution = self.resolution

        mode: None | str | Unset
        if isinstance(self.mode, Unset):
            mode = UNSET
        else:
            mode = self.mode

        detector_channel: int | None | Unset
        if isinstance(self.detector_channel, Unset):
            detector_channel = UNSET
        else:
            detector_channel = self.detector_channel

        working_distance_mm: float | None | Unset
        if isinstance(self.working_distance_mm, Unset):
            working_distance_mm = UNSET
        else:
            working_distance_mm = self.working_distance_mm

        bit_depth: int | None | Unset
        if isinstance(self.bit_depth, Unset):
            bit_depth = UNSET
        else:
            bit_depth = self.bit_depth

        pixel_size_um: float | None | Unset
        if isinstance(self.pixel_size_um, Unset):
            pixel_size_um = UNSET
        else:
            pixel_size_um = self.pixel_size_um

        scan_rotation_deg: float | None | Unset
        if isinstance(self.scan_rotation_deg, Unset):
            scan_rotation_deg = UNSET
        else:
            scan_rotation_deg = self.scan_rotation_deg

        beam_shift_x_um: float | None | Unset
        if isinstance(self.beam_shift_x_um, Unset):
            beam_shift_x_um = UNSET
        else:
            beam_shift_x_um = self.beam_shift_x_um

        beam_shift_y_um: float | None | Unset
        if isinstance(self.beam_shift_y_um, Unset):
            beam_shift_y_um = UNSET
        else:
            beam_shift_y_um = self.beam_shift_y_um

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if fov_um is not UNSET:
            field_dict["fov_um"] = fov_um
        if dwell_time_us is not UNSET:
            field_dict["dwell_time_us"] = dwell_time_us
        if scan_speed_index is not UNSET:
            field_dict["scan_speed_index"] = scan_speed_index
        if resolution is not UNSET:
            field_dict["resolution"] = resolution
        if mode is not UNSET:
            field_dict["mode"] = mode
        if detector_channel is not UNSET:
            field_dict["detector_channel"] = detector_channel
        if working_distance_mm is not UNSET:
            field_dict["working_distance_mm"] = working_distance_mm
        if bit_depth is not UNSET:
            field_dict["bit_depth"] = bit_depth
        if pixel_size_um is not UNSET:
            field_dict["pixel_size_um"] = pixel_size_um
        if scan_rotation_deg is not UNSET:
            field_dict["scan_rotation_deg"] = scan_rotation_deg
        if beam_shift_x_um is not UNSET:
            field_dict["beam_shift_x_um"] = beam_shift_x_um
        if beam_shift_y_um is not UNSET:
            field_dict["beam_shift_y_um"] = beam_shift_y_um

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_fov_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        fov_um = _parse_fov_um(d.pop("fov_um", UNSET))

        def _parse_dwell_time_us(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        dwell_time_us = _parse_dwell_time_us(d.pop("dwell_time_us", UNSET))

        def _parse_scan_speed_index(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        scan_speed_index = _parse_scan_speed_index(d.pop("scan_speed_index", UNSET))

        def _parse_resolution(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                resolution_type_0 = cast(list[int], data)

                return resolution_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        resolution = _parse_resolution(d.pop("resolution", UNSET))

        def _parse_mode(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mode = _parse_mode(d.pop("mode", UNSET))

        def _parse_detector_channel(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        detector_channel = _parse_detector_channel(d.pop("detector_channel", UNSET))

        def _parse_working_distance_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        working_distance_mm = _parse_working_distance_mm(
            d.pop("working_distance_mm", UNSET)
        )

        def _parse_bit_depth(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        bit_depth = _parse_bit_depth(d.pop("bit_depth", UNSET))

        def _parse_pixel_size_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        pixel_size_um = _parse_pixel_size_um(d.pop("pixel_size_um", UNSET))

        def _parse_scan_rotation_deg(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        scan_rotation_deg = _parse_scan_rotation_deg(d.pop("scan_rotation_deg", UNSET))

        def _parse_beam_shift_x_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        beam_shift_x_um = _parse_beam_shift_x_um(d.pop("beam_shift_x_um", UNSET))

        def _parse_beam_shift_y_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        beam_shift_y_um = _parse_beam_shift_y_um(d.pop("beam_shift_y_um", UNSET))

        applied_settings = cls(
            fov_um=fov_um,
            dwell_time_us=dwell_time_us,
            scan_speed_index=scan_speed_index,
            resolution=resolution,
            mode=mode,
            detector_channel=detector_channel,
            working_distance_mm=working_distance_mm,
            bit_depth=bit_depth,
            pixel_size_um=pixel_size_um,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
        )

        applied_settings.additional_properties = d
        return applied_settings

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
