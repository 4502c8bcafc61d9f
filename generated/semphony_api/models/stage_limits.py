from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.range_ import Range


T = TypeVar("T", bound="StageLimits")


@_attrs_define
class StageLimits:
    """travel limits of each stage axis"""

    x_mm: Range
    """ an inclusive interval """
    y_mm: Range
    """ an inclusive interval """
    z_mm: Range
    """ an inclusive interval """
    r_deg: Range
    """ an inclusive interval """
    t_deg: Range
    """ an inclusive interval """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        x_mm = self.x_mm.to_dict()

        y_mm = self.y_mm.to_dict()

        z_mm = self.z_mm.to_dict()

        r_deg = self.r_deg.to_dict()

        t_deg = self.t_deg.to_dict()

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
        from ..models.range_ import Range

        d = dict(src_dict)
        x_mm = Range.from_dict(d.pop("x_mm"))

        y_mm = Range.from_dict(d.pop("y_mm"))

        z_mm = Range.from_dict(d.pop("z_mm"))

        r_deg = Range.from_dict(d.pop("r_deg"))

        t_deg = Range.from_dict(d.pop("t_deg"))

        stage_limits = cls(
            x_mm=x_mm,
            y_mm=y_mm,
            z_mm=z_mm,
            r_deg=r_deg,
            t_deg=t_deg,
        )

        stage_limits.additional_properties = d
        return stage_limits

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
