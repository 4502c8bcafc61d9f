from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.bit_depth import BitDepth, check_bit_depth
from ..types import UNSET, Unset

T = TypeVar("T", bound="DetectorRequest")


@_attrs_define
class DetectorRequest:
    """Which detector feeds the image and its response; null or absent fields stay. `mode` and `channel` must name the same
    detector when both are given (`GET /v1/device` lists them).

    """

    mode: None | str | Unset = UNSET
    """ the detector's mode, e.g. `SE` or `BSE` """
    channel: int | None | Unset = UNSET
    bit_depth: BitDepth | None | Unset = UNSET
    gain: float | None | Unset = UNSET
    """ contrast; multiplies the signal (the device's `limits.detector_gain`) """
    offset: float | None | Unset = UNSET
    """ brightness; added to the signal, full scale = 1 """

    def to_dict(self) -> dict[str, Any]:
        mode: None | str | Unset
        if isinstance(self.mode, Unset):
            mode = UNSET
        else:
            mode = self.mode

        channel: int | None | Unset
        if isinstance(self.channel, Unset):
            channel = UNSET
        else:
            channel = self.channel

        bit_depth: int | None | Unset
        if isinstance(self.bit_depth, Unset):
            bit_depth = UNSET
        elif isinstance(self.bit_depth, int):
            bit_depth = self.bit_depth
        else:
            bit_depth = self.bit_depth

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

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if mode is not UNSET:
            field_dict["mode"] = mode
        if channel is not UNSET:
            field_dict["channel"] = channel
        if bit_depth is not UNSET:
            field_dict["bit_depth"] = bit_depth
        if gain is not UNSET:
            field_dict["gain"] = gain
        if offset is not UNSET:
            field_dict["offset"] = offset

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_mode(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mode = _parse_mode(d.pop("mode", UNSET))

        def _parse_channel(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        channel = _parse_channel(d.pop("channel", UNSET))

        def _parse_bit_depth(data: object) -> BitDepth | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, int):
                    raise TypeError()
                bit_depth_type_0 = check_bit_depth(data)

                return bit_depth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BitDepth | None | Unset, data)

        bit_depth = _parse_bit_depth(d.pop("bit_depth", UNSET))

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

        detector_request = cls(
            mode=mode,
            channel=channel,
            bit_depth=bit_depth,
            gain=gain,
            offset=offset,
        )

        return detector_request
