from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.roi_level import RoiLevel, check_roi_level
from ..types import UNSET, Unset

T = TypeVar("T", bound="RoiLevelRecord")


@_attrs_define
class RoiLevelRecord:
    """one acquired level of an ROI pyramid"""

    level: RoiLevel
    """ an ROI pyramid level, finest (`roi`) to coarsest (`l0`) """
    fov_um: float
    image_id: str
    correlation_id: str
    resolution: list[int] | None | Unset = UNSET
    """ [width, height] in pixels """
    pixel_size_um: float | None | Unset = UNSET
    findability: float | None | Unset = UNSET
    """ how far the reference's self-match stands above its neighbours' at save time (below 3 the level may not be
    found again) """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        level: str = self.level

        fov_um = self.fov_um

        image_id = self.image_id

        correlation_id = self.correlation_id

        resolution: list[int] | None | Unset
        if isinstance(self.resolution, Unset):
            resolution = UNSET
        elif isinstance(self.resolution, list):
            resolution = self.resolution

        else:
            resolution = self.resolution

        pixel_size_um: float | None | Unset
        if isinstance(self.pixel_size_um, Unset):
            pixel_size_um = UNSET
        else:
            pixel_size_um = self.pixel_size_um

        findability: float | None | Unset
        if isinstance(self.findability, Unset):
            findability = UNSET
        else:
            findability = self.findability

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "level": level,
                "fov_um": fov_um,
                "image_id": image_id,
                "correlation_id": correlation_id,
            }
        )
        if resolution is not UNSET:
            field_dict["resolution"] = resolution
        if pixel_size_um is not UNSET:
            field_dict["pixel_size_um"] = pixel_size_um
        if findability is not UNSET:
            field_dict["findability"] = findability

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        level = check_roi_level(d.pop("level"))

        fov_um = d.pop("fov_um")

        image_id = d.pop("image_id")

        correlation_id = d.pop("correlation_id")

        def _parse_resolution(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                resolution_type_0 = cast(list[int], data)

                return resolution_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        resolution = _parse_resolution(d.pop("resolution", UNSET))

        def _parse_pixel_size_um(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        pixel_size_um = _parse_pixel_size_um(d.pop("pixel_size_um", UNSET))

        def _parse_findability(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        findability = _parse_findability(d.pop("findability", UNSET))

        roi_level_record = cls(
            level=level,
            fov_um=fov_um,
            image_id=image_id,
            correlation_id=correlation_id,
            resolution=resolution,
            pixel_size_um=pixel_size_um,
            findability=findability,
        )

        roi_level_record.additional_properties = d
        return roi_level_record

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
