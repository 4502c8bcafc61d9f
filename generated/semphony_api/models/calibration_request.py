from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CalibrationRequest")


@_attrs_define
class CalibrationRequest:
    fov_um: float | None | Unset = UNSET
    """ the field of view to measure at, in µm (default the current one) """
    step_fraction: float | Unset = 0.25
    """ each stage move as a fraction of the field of view """
    resolution: int | Unset = 256
    """ width and height of each (square) frame, in pixels """

    def to_dict(self) -> dict[str, Any]:
        fov_um: float | None | Unset
        if isinstance(self.fov_um, Unset):
            fov_um = UNSET
        else:
            fov_um = self.fov_um

        step_fraction = self.step_fraction

        resolution = self.resolution

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if fov_um is not UNSET:
            field_dict["fov_um"] = fov_um
        if step_fraction is not UNSET:
            field_dict["step_fraction"] = step_fraction
        if resolution is not UNSET:
            field_dict["resolution"] = resolution

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_fov_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        fov_um = _parse_fov_um(d.pop("fov_um", UNSET))

        step_fraction = d.pop("step_fraction", UNSET)

        resolution = d.pop("resolution", UNSET)

        calibration_request = cls(
            fov_um=fov_um,
            step_fraction=step_fraction,
            resolution=resolution,
        )

        return calibration_request
