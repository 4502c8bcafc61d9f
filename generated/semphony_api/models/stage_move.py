from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="StageMove")


@_attrs_define
class StageMove:
    """a stage move; null or absent axes stay where they are. The bounds are the contract's; the stage's travel is in `GET
    /v1/device` (`limits`).

    """

    x_mm: float | None | Unset = UNSET
    y_mm: float | None | Unset = UNSET
    z_mm: float | None | Unset = UNSET
    r_deg: float | None | Unset = UNSET
    t_deg: float | None | Unset = UNSET
    relative: bool | Unset = False
    """ the values are offsets from the current readback """

    def to_dict(self) -> dict[str, Any]:
        x_mm: float | None | Unset
        if isinstance(self.x_mm, Unset):
            x_mm = UNSET
        else:
            x_mm = self.x_mm

        y_mm: float | None | Unset
        if isinstance(self.y_mm, Unset):
            y_mm = UNSET
        else:
            y_mm = self.y_mm

        z_mm: float | None | Unset
        if isinstance(self.z_mm, Unset):
            z_mm = UNSET
        else:
            z_mm = self.z_mm

        r_deg: float | None | Unset
        if isinstance(self.r_deg, Unset):
            r_deg = UNSET
        else:
            r_deg = self.r_deg

        t_deg: float | None | Unset
        if isinstance(self.t_deg, Unset):
            t_deg = UNSET
        else:
            t_deg = self.t_deg

        relative = self.relative

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if x_mm is not UNSET:
            field_dict["x_mm"] = x_mm
        if y_mm is not UNSET:
            field_dict["y_mm"] = y_mm
        if z_mm is not UNSET:
            field_dict["z_mm"] = z_mm
        if r_deg is not UNSET:
            field_dict["r_deg"] = r_deg
        if t_deg is not UNSET:
            field_dict["t_deg"] = t_deg
        if relative is not UNSET:
            field_dict["relative"] = relative

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_x_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        x_mm = _parse_x_mm(d.pop("x_mm", UNSET))

        def _parse_y_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        y_mm = _parse_y_mm(d.pop("y_mm", UNSET))

        def _parse_z_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        z_mm = _parse_z_mm(d.pop("z_mm", UNSET))

        def _parse_r_deg(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        r_deg = _parse_r_deg(d.pop("r_deg", UNSET))

        def _parse_t_deg(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        t_deg = _parse_t_deg(d.pop("t_deg", UNSET))

        relative = d.pop("relative", UNSET)

        stage_move = cls(
            x_mm=x_mm,
            y_mm=y_mm,
            z_mm=z_mm,
            r_deg=r_deg,
            t_deg=t_deg,
            relative=relative,
        )

        return stage_move
