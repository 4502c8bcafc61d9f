from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.bit_depth import BitDepth, check_bit_depth
from ..models.roi_level import RoiLevel, check_roi_level
from ..types import UNSET, Unset

T = TypeVar("T", bound="AcquisitionConfig")


@_attrs_define
class AcquisitionConfig:
    """The settings of one acquisition (the SDK's `semphony.models.AcquisitionConfig`); every field optional, absent or
    null = the instrument's current setting. `mode` and `detector_mode`, when both given, must agree. Its numbers are
    only bounded to be finite and positive (the largest double) and its integers to 2^53 - 1: the device decides, and
    publishes its frame sizes, dwell table and detectors in `GET /v1/device`.

    """

    fov_um: float | None | Unset = UNSET
    """ field of view in µm """
    resolution: list[int] | None | Unset = UNSET
    """ [width, height] in pixels """
    mode: None | str | Unset = UNSET
    """ detector mode, e.g. `SE` or `BSE` """
    dwell_time_us: float | None | Unset = UNSET
    """ pixel dwell time in µs """
    working_distance_mm: float | None | Unset = UNSET
    scan_speed_index: int | None | Unset = UNSET
    """ scan speed index (ScSetSpeed), see the device's scan-speed table """
    detector_channel: int | None | Unset = UNSET
    detector_mode: None | str | Unset = UNSET
    """ detector mode string (SE, BSE, ...) """
    roi_name: None | str | Unset = UNSET
    """ ROI name stored in the acquisition's metadata """
    roi_level: None | RoiLevel | Unset = UNSET
    """ ROI level stored in the acquisition's metadata """
    bit_depth: BitDepth | None | Unset = UNSET
    """ bits per pixel of the image """

    def to_dict(self) -> dict[str, Any]:
        fov_um: float | None | Unset
        if isinstance(self.fov_um, Unset):
            fov_um = UNSET
        else:
            fov_um = self.fov_um

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

        dwell_time_us: float | None | Unset
        if isinstance(self.dwell_time_us, Unset):
            dwell_time_us = UNSET
        else:
            dwell_time_us = self.dwell_time_us

        working_distance_mm: float | None | Unset
        if isinstance(self.working_distance_mm, Unset):
            working_distance_mm = UNSET
        else:
            working_distance_mm = self.working_distance_mm

        scan_speed_index: int | None | Unset
        if isinstance(self.scan_speed_index, Unset):
            scan_speed_index = UNSET
        else:
            scan_speed_index = self.scan_speed_index

        detector_channel: int | None | Unset
        if isinstance(self.detector_channel, Unset):
            detector_channel = UNSET
        else:
            detector_channel = self.detector_channel

        detector_mode: None | str | Unset
        if isinstance(self.detector_mode, Unset):
            detector_mode = UNSET
        else:
            detector_mode = self.detector_mode

        roi_name: None | str | Unset
        if isinstance(self.roi_name, Unset):
            roi_name = UNSET
        else:
            roi_name = self.roi_name

        roi_level: None | str | Unset
        if isinstance(self.roi_level, Unset):
            roi_level = UNSET
        elif isinstance(self.roi_level, str):
            roi_level = self.roi_level
        else:
            roi_level = self.roi_level

        bit_depth: int | None | Unset
        if isinstance(self.bit_depth, Unset):
            bit_depth = UNSET
        elif isinstance(self.bit_depth, int):
            bit_depth = self.bit_depth
        else:
            bit_depth = self.bit_depth

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if fov_um is not UNSET:
            field_dict["fov_um"] = fov_um
        if resolution is not UNSET:
            field_dict["resolution"] = resolution
        if mode is not UNSET:
            field_dict["mode"] = mode
        if dwell_time_us is not UNSET:
            field_dict["dwell_time_us"] = dwell_time_us
        if working_distance_mm is not UNSET:
            field_dict["working_distance_mm"] = working_distance_mm
        if scan_speed_index is not UNSET:
            field_dict["scan_speed_index"] = scan_speed_index
        if detector_channel is not UNSET:
            field_dict["detector_channel"] = detector_channel
        if detector_mode is not UNSET:
            field_dict["detector_mode"] = detector_mode
        if roi_name is not UNSET:
            field_dict["roi_name"] = roi_name
        if roi_level is not UNSET:
            field_dict["roi_level"] = roi_level
        if bit_depth is not UNSET:
            field_dict["bit_depth"] = bit_depth

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

        def _parse_dwell_time_us(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        dwell_time_us = _parse_dwell_time_us(d.pop("dwell_time_us", UNSET))

        def _parse_working_distance_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        working_distance_mm = _parse_working_distance_mm(
            d.pop("working_distance_mm", UNSET)
        )

        def _parse_scan_speed_index(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        scan_speed_index = _parse_scan_speed_index(d.pop("scan_speed_index", UNSET))

        def _parse_detector_channel(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        detector_channel = _parse_detector_channel(d.pop("detector_channel", UNSET))

        def _parse_detector_mode(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detector_mode = _parse_detector_mode(d.pop("detector_mode", UNSET))

        def _parse_roi_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        roi_name = _parse_roi_name(d.pop("roi_name", UNSET))

        def _parse_roi_level(data: object) -> None | RoiLevel | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                roi_level_type_0 = check_roi_level(data)

                return roi_level_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RoiLevel | Unset, data)

        roi_level = _parse_roi_level(d.pop("roi_level", UNSET))

        def _parse_bit_depth(data: object) -> BitDepth | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, int):
                    raise TypeError()
                bit_depth_type_0 = check_bit_depth(data)

                return bit_depth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BitDepth | None | Unset, data)

        bit_depth = _parse_bit_depth(d.pop("bit_depth", UNSET))

        acquisition_config = cls(
            fov_um=fov_um,
            resolution=resolution,
            mode=mode,
            dwell_time_us=dwell_time_us,
            working_distance_mm=working_distance_mm,
            scan_speed_index=scan_speed_index,
            detector_channel=detector_channel,
            detector_mode=detector_mode,
            roi_name=roi_name,
            roi_level=roi_level,
            bit_depth=bit_depth,
        )

        return acquisition_config
