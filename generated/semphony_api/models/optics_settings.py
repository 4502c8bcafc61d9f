from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="OpticsSettings")


@_attrs_define
class OpticsSettings:
    """optics settings to change; null or absent fields stay. The bounds are the contract's; the device's are in `GET
    /v1/device` (`limits`).

    """

    fov_um: float | None | Unset = UNSET
    working_distance_mm: float | None | Unset = UNSET
    scan_rotation_deg: float | None | Unset = UNSET
    beam_shift_x_um: float | None | Unset = UNSET
    beam_shift_y_um: float | None | Unset = UNSET
    hv_kv: float | None | Unset = UNSET
    beam_current_na: float | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        fov_um: float | None | Unset
        if isinstance(self.fov_um, Unset):
            fov_um = UNSET
        else:
            fov_um = self.fov_um

        working_distance_mm: float | None | Unset
        if isinstance(self.working_distance_mm, Unset):
            working_distance_mm = UNSET
        else:
            working_distance_mm = self.working_distance_mm

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

        hv_kv: float | None | Unset
        if isinstance(self.hv_kv, Unset):
            hv_kv = UNSET
        else:
            hv_kv = self.hv_kv

        beam_current_na: float | None | Unset
        if isinstance(self.beam_current_na, Unset):
            beam_current_na = UNSET
        else:
            beam_current_na = self.beam_current_na

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if fov_um is not UNSET:
            field_dict["fov_um"] = fov_um
        if working_distance_mm is not UNSET:
            field_dict["working_distance_mm"] = working_distance_mm
        if scan_rotation_deg is not UNSET:
            field_dict["scan_rotation_deg"] = scan_rotation_deg
        if beam_shift_x_um is not UNSET:
            field_dict["beam_shift_x_um"] = beam_shift_x_um
        if beam_shift_y_um is not UNSET:
            field_dict["beam_shift_y_um"] = beam_shift_y_um
        if hv_kv is not UNSET:
            field_dict["hv_kv"] = hv_kv
        if beam_current_na is not UNSET:
            field_dict["beam_current_na"] = beam_current_na

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

        def _parse_working_distance_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        working_distance_mm = _parse_working_distance_mm(
            d.pop("working_distance_mm", UNSET)
        )

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

        def _parse_hv_kv(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        hv_kv = _parse_hv_kv(d.pop("hv_kv", UNSET))

        def _parse_beam_current_na(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        beam_current_na = _parse_beam_current_na(d.pop("beam_current_na", UNSET))

        optics_settings = cls(
            fov_um=fov_um,
            working_distance_mm=working_distance_mm,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
            hv_kv=hv_kv,
            beam_current_na=beam_current_na,
        )

        return optics_settings
