from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SimReload")


@_attrs_define
class SimReload:
    """one remount, on top of the current placement; null or absent = random from the seed"""

    shift_x_um: float | None | Unset = UNSET
    """ shift of the specimen along stage x in µm (at most 10 mm a remount) """
    shift_y_um: float | None | Unset = UNSET
    """ shift of the specimen along stage y in µm (at most 10 mm a remount) """
    rotation_deg: float | None | Unset = UNSET
    height_um: float | None | Unset = UNSET
    """ the surface's height after the remount in µm above its first-load height (not cumulative: each remount seats
    the specimen anew); null or absent = drawn within ±100 µm. The tilt (a fraction of a degree) is always drawn.
     """

    def to_dict(self) -> dict[str, Any]:
        shift_x_um: float | None | Unset
        if isinstance(self.shift_x_um, Unset):
            shift_x_um = UNSET
        else:
            shift_x_um = self.shift_x_um

        shift_y_um: float | None | Unset
        if isinstance(self.shift_y_um, Unset):
            shift_y_um = UNSET
        else:
            shift_y_um = self.shift_y_um

        rotation_deg: float | None | Unset
        if isinstance(self.rotation_deg, Unset):
            rotation_deg = UNSET
        else:
            rotation_deg = self.rotation_deg

        height_um: float | None | Unset
        if isinstance(self.height_um, Unset):
            height_um = UNSET
        else:
            height_um = self.height_um

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if shift_x_um is not UNSET:
            field_dict["shift_x_um"] = shift_x_um
        if shift_y_um is not UNSET:
            field_dict["shift_y_um"] = shift_y_um
        if rotation_deg is not UNSET:
            field_dict["rotation_deg"] = rotation_deg
        if height_um is not UNSET:
            field_dict["height_um"] = height_um

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_shift_x_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        shift_x_um = _parse_shift_x_um(d.pop("shift_x_um", UNSET))

        def _parse_shift_y_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        shift_y_um = _parse_shift_y_um(d.pop("shift_y_um", UNSET))

        def _parse_rotation_deg(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        rotation_deg = _parse_rotation_deg(d.pop("rotation_deg", UNSET))

        def _parse_height_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        height_um = _parse_height_um(d.pop("height_um", UNSET))

        sim_reload = cls(
            shift_x_um=shift_x_um,
            shift_y_um=shift_y_um,
            rotation_deg=rotation_deg,
            height_um=height_um,
        )

        return sim_reload
