from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ClearancePoint")


@_attrs_define
class ClearancePoint:
    """the highest allowed z at a tilt"""

    t_deg: float
    z_max_mm: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        t_deg = self.t_deg

        z_max_mm = self.z_max_mm

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "t_deg": t_deg,
                "z_max_mm": z_max_mm,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        t_deg = d.pop("t_deg")

        z_max_mm = d.pop("z_max_mm")

        clearance_point = cls(
            t_deg=t_deg,
            z_max_mm=z_max_mm,
        )

        clearance_point.additional_properties = d
        return clearance_point

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
