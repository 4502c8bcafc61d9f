from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OpticsSnapshot")


@_attrs_define
class OpticsSnapshot:
    """the optics at one moment, as read back (a beam that is off may read 0 kV, 0 nA)"""

    fov_um: float
    working_distance_mm: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    hv_kv: float
    beam_current_na: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fov_um = self.fov_um

        working_distance_mm = self.working_distance_mm

        scan_rotation_deg = self.scan_rotation_deg

        beam_shift_x_um = self.beam_shift_x_um

        beam_shift_y_um = self.beam_shift_y_um

        hv_kv = self.hv_kv

        beam_current_na = self.beam_current_na

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fov_um": fov_um,
                "working_distance_mm": working_distance_mm,
                "scan_rotation_deg": scan_rotation_deg,
                "beam_shift_x_um": beam_shift_x_um,
                "beam_shift_y_um": beam_shift_y_um,
                "hv_kv": hv_kv,
                "beam_current_na": beam_current_na,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        fov_um = d.pop("fov_um")

        working_distance_mm = d.pop("working_distance_mm")

        scan_rotation_deg = d.pop("scan_rotation_deg")

        beam_shift_x_um = d.pop("beam_shift_x_um")

        beam_shift_y_um = d.pop("beam_shift_y_um")

        hv_kv = d.pop("hv_kv")

        beam_current_na = d.pop("beam_current_na")

        optics_snapshot = cls(
            fov_um=fov_um,
            working_distance_mm=working_distance_mm,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
            hv_kv=hv_kv,
            beam_current_na=beam_current_na,
        )

        optics_snapshot.additional_properties = d
        return optics_snapshot

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
