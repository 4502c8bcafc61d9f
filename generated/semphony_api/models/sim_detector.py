from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SimDetector")


@_attrs_define
class SimDetector:
    """The simulated detector's response; null or absent fields stay. `gamma` is the simulator's own; `gain` and `offset`
    are the detector's, as `set_detector` sets them on any driver (accepted here too).

    """

    gain: float | None | Unset = UNSET
    """ multiplies the normalised signal """
    offset: float | None | Unset = UNSET
    """ added to the normalised signal (full scale = 1) """
    gamma: float | None | Unset = UNSET
    """ the clipped signal is raised to this power """

    def to_dict(self) -> dict[str, Any]:
        gain: float | None | Unset
        if isinstance(self.gain, Unset):
            gain = UNSET
        else:
            gain = self.gain

        offset: float | None | Unset
        if isinstance(self.offset, Unset):
            offset = UNSET
        else:
            offset = self.offset

        gamma: float | None | Unset
        if isinstance(self.gamma, Unset):
            gamma = UNSET
        else:
            gamma = self.gamma

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if gain is not UNSET:
            field_dict["gain"] = gain
        if offset is not UNSET:
            field_dict["offset"] = offset
        if gamma is not UNSET:
            field_dict["gamma"] = gamma

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_gain(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        gain = _parse_gain(d.pop("gain", UNSET))

        def _parse_offset(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        offset = _parse_offset(d.pop("offset", UNSET))

        def _parse_gamma(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        gamma = _parse_gamma(d.pop("gamma", UNSET))

        sim_detector = cls(
            gain=gain,
            offset=offset,
            gamma=gamma,
        )

        return sim_detector
