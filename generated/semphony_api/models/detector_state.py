from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DetectorState")


@_attrs_define
class DetectorState:
    mode: str
    """ `SE` or `BSE` (open set) """
    channel: int
    gain: float
    offset: float
    gamma: float
    bit_depth: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        mode = self.mode

        channel = self.channel

        gain = self.gain

        offset = self.offset

        gamma = self.gamma

        bit_depth = self.bit_depth

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "mode": mode,
                "channel": channel,
                "gain": gain,
                "offset": offset,
                "gamma": gamma,
                "bit_depth": bit_depth,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        mode = d.pop("mode")

        channel = d.pop("channel")

        gain = d.pop("gain")

        offset = d.pop("offset")

        gamma = d.pop("gamma")

        bit_depth = d.pop("bit_depth")

        detector_state = cls(
            mode=mode,
            channel=channel,
            gain=gain,
            offset=offset,
            gamma=gamma,
            bit_depth=bit_depth,
        )

        detector_state.additional_properties = d
        return detector_state

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
