from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Conventions")


@_attrs_define
class Conventions:
    """how image axes, rotations and beam shift relate to the stage"""

    image_x_axis: str
    """ the stage direction of image +x (columns, left to right), `+x` """
    image_y_axis: str
    """ the stage direction of image +y (rows, top to bottom), `-y` """
    stage_rotation_sense: str
    """ positive r_deg rotates `counter_clockwise_from_beam` """
    scan_rotation_sense: str
    """ positive scan_rotation_deg rotates `counter_clockwise_from_beam` """
    rotation_centre: str
    """ the stage rotation centre, `optical_axis` (compucentric: the point under the beam stays under the beam)
     """
    beam_shift_axes: str
    """ `stage`: beam shift moves the imaged field by (beam_shift_x_um, beam_shift_y_um) along the stage axes
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image_x_axis = self.image_x_axis

        image_y_axis = self.image_y_axis

        stage_rotation_sense = self.stage_rotation_sense

        scan_rotation_sense = self.scan_rotation_sense

        rotation_centre = self.rotation_centre

        beam_shift_axes = self.beam_shift_axes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image_x_axis": image_x_axis,
                "image_y_axis": image_y_axis,
                "stage_rotation_sense": stage_rotation_sense,
                "scan_rotation_sense": scan_rotation_sense,
                "rotation_centre": rotation_centre,
                "beam_shift_axes": beam_shift_axes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        image_x_axis = d.pop("image_x_axis")

        image_y_axis = d.pop("image_y_axis")

        stage_rotation_sense = d.pop("stage_rotation_sense")

        scan_rotation_sense = d.pop("scan_rotation_sense")

        rotation_centre = d.pop("rotation_centre")

        beam_shift_axes = d.pop("beam_shift_axes")

        conventions = cls(
            image_x_axis=image_x_axis,
            image_y_axis=image_y_axis,
            stage_rotation_sense=stage_rotation_sense,
            scan_rotation_sense=scan_rotation_sense,
            rotation_centre=rotation_centre,
            beam_shift_axes=beam_shift_axes,
        )

        conventions.additional_properties = d
        return conventions

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
