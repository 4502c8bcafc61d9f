from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AutoSignalResult")


@_attrs_define
class AutoSignalResult:
    """the result of an auto signal (auto contrast and brightness)"""

    low_fraction: float
    """ the 0.5 percentile of a frame taken afterwards, as a fraction of full scale """
    high_fraction: float
    """ the 99.5 percentile of that frame, as a fraction of full scale """
    gain: float | None
    """ the gain set (read back); null where the instrument keeps its own """
    offset: float | None
    """ the offset set (read back); null where the instrument keeps its own """
    instrument_s: float
    """ instrument seconds the auto signal took """
    frames: int
    method: str
    """ `frames` or `instrument` (the instrument's own auto signal; open set) """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        low_fraction = self.low_fraction

        high_fraction = self.high_fraction

        gain: float | None
        gain = self.gain

        offset: float | None
        offset = self.offset

        instrument_s = self.instrument_s

        frames = self.frames

        method = self.method

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "low_fraction": low_fraction,
                "high_fraction": high_fraction,
                "gain": gain,
                "offset": offset,
                "instrument_s": instrument_s,
                "frames": frames,
                "method": method,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        low_fraction = d.pop("low_fraction")

        high_fraction = d.pop("high_fraction")

        def _parse_gain(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        gain = _parse_gain(d.pop("gain"))

        def _parse_offset(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        offset = _parse_offset(d.pop("offset"))

        instrument_s = d.pop("instrument_s")

        frames = d.pop("frames")

        method = d.pop("method")

        auto_signal_result = cls(
            low_fraction=low_fraction,
            high_fraction=high_fraction,
            gain=gain,
            offset=offset,
            instrument_s=instrument_s,
            frames=frames,
            method=method,
        )

        auto_signal_result.additional_properties = d
        return auto_signal_result

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
