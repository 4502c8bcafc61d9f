from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.int_range import IntRange


T = TypeVar("T", bound="ResolutionLimits")


@_attrs_define
class ResolutionLimits:
    width: IntRange
    """ an inclusive interval of integers """
    height: IntRange
    """ an inclusive interval of integers """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        width = self.width.to_dict()

        height = self.height.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "width": width,
                "height": height,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.int_range import IntRange

        d = dict(src_dict)
        width = IntRange.from_dict(d.pop("width"))

        height = IntRange.from_dict(d.pop("height"))

        resolution_limits = cls(
            width=width,
            height=height,
        )

        resolution_limits.additional_properties = d
        return resolution_limits

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
