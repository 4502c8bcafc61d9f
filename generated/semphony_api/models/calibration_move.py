from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CalibrationMove")


@_attrs_define
class CalibrationMove:
    stage_dx_um: float
    """ the stage move as read back, x """
    stage_dy_um: float
    image_dx_um: float
    """ where the reference's centre appeared (x right), pixels × pixel size """
    image_dy_um: float
    """ the same, y down """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        stage_dx_um = self.stage_dx_um

        stage_dy_um = self.stage_dy_um

        image_dx_um = self.image_dx_um

        image_dy_um = self.image_dy_um

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "stage_dx_um": stage_dx_um,
                "stage_dy_um": stage_dy_um,
                "image_dx_um": image_dx_um,
                "image_dy_um": image_dy_um,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        stage_dx_um = d.pop("stage_dx_um")

        stage_dy_um = d.pop("stage_dy_um")

        image_dx_um = d.pop("image_dx_um")

        image_dy_um = d.pop("image_dy_um")

        calibration_move = cls(
            stage_dx_um=stage_dx_um,
            stage_dy_um=stage_dy_um,
            image_dx_um=image_dx_um,
            image_dy_um=image_dy_um,
        )

        calibration_move.additional_properties = d
        return calibration_move

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
