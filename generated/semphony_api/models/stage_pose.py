from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="StagePose")


@_attrs_define
class StagePose:
    x_mm: float
    y_mm: float
    z_mm: float
    r_deg: float
    t_deg: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        x_mm = self.x_mm

        y_mm = self.y_mm

        z_mm = self.z_mm

        r_deg = self.r_deg

        t_deg = self.t_deg

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "x_mm": x_mm,
                "y_mm": y_mm,
                "z_mm": z_mm,
                "r_deg": r_deg,
                "t_deg": t_deg,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        x_mm = d.pop("x_mm")

        y_mm = d.pop("y_mm")

        z_mm = d.pop("z_mm")

        r_deg = d.pop("r_deg")

        t_deg = d.pop("t_deg")

        stage_pose = cls(
            x_mm=x_mm,
            y_mm=y_mm,
            z_mm=z_mm,
            r_deg=r_deg,
            t_deg=t_deg,
        )

        stage_pose.additional_properties = d
        return stage_pose

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
