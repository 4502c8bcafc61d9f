from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AutofocusResult")


@_attrs_define
class AutofocusResult:
    """the result of an autofocus"""

    working_distance_mm: float
    """ the WD set (read back) """
    sharpness: float
    """ the sharpness measure at the focus found (variance of the Laplacian) """
    start_sharpness: float
    """ the sharpness measure at the WD the autofocus started from """
    instrument_s: float
    """ instrument seconds the autofocus took """
    frames: int
    method: str
    """ `sweep` or `instrument` (the instrument's own autofocus; open set) """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        working_distance_mm = self.working_distance_mm

        sharpness = self.sharpness

        start_sharpness = self.start_sharpness

        instrument_s = self.instrument_s

        frames = self.frames

        method = self.method

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "working_distance_mm": working_distance_mm,
                "sharpness": sharpness,
                "start_sharpness": start_sharpness,
                "instrument_s": instrument_s,
                "frames": frames,
                "method": method,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        working_distance_mm = d.pop("working_distance_mm")

        sharpness = d.pop("sharpness")

        start_sharpness = d.pop("start_sharpness")

        instrument_s = d.pop("instrument_s")

        frames = d.pop("frames")

        method = d.pop("method")

        autofocus_result = cls(
            working_distance_mm=working_distance_mm,
            sharpness=sharpness,
            start_sharpness=start_sharpness,
            instrument_s=instrument_s,
            frames=frames,
            method=method,
        )

        autofocus_result.additional_properties = d
        return autofocus_result

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
