from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RoiSpecFovs")


@_attrs_define
class RoiSpecFovs:
    """the FOV of each pyramid level in µm; 0 = the level was skipped"""

    roi_fov_um: float
    l2_fov_um: float
    l1_fov_um: float
    l0_fov_um: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        roi_fov_um = self.roi_fov_um

        l2_fov_um = self.l2_fov_um

        l1_fov_um = self.l1_fov_um

        l0_fov_um = self.l0_fov_um

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "roi_fov_um": roi_fov_um,
                "l2_fov_um": l2_fov_um,
                "l1_fov_um": l1_fov_um,
                "l0_fov_um": l0_fov_um,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        roi_fov_um = d.pop("roi_fov_um")

        l2_fov_um = d.pop("l2_fov_um")

        l1_fov_um = d.pop("l1_fov_um")

        l0_fov_um = d.pop("l0_fov_um")

        roi_spec_fovs = cls(
            roi_fov_um=roi_fov_um,
            l2_fov_um=l2_fov_um,
            l1_fov_um=l1_fov_um,
            l0_fov_um=l0_fov_um,
        )

        roi_spec_fovs.additional_properties = d
        return roi_spec_fovs

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
