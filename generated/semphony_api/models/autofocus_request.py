from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AutofocusRequest")


@_attrs_define
class AutofocusRequest:
    fov_um: float
    """ the field of view to focus at, in µm (focus is judged at its pixel size) """
    span_mm: float | None | Unset = UNSET
    """ how far either side of the current WD a sweep looks (default 0.3 mm) """

    def to_dict(self) -> dict[str, Any]:
        fov_um = self.fov_um

        span_mm: float | None | Unset
        if isinstance(self.span_mm, Unset):
            span_mm = UNSET
        else:
            span_mm = self.span_mm

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "fov_um": fov_um,
            }
        )
        if span_mm is not UNSET:
            field_dict["span_mm"] = span_mm

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        fov_um = d.pop("fov_um")

        def _parse_span_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        span_mm = _parse_span_mm(d.pop("span_mm", UNSET))

        autofocus_request = cls(
            fov_um=fov_um,
            span_mm=span_mm,
        )

        return autofocus_request
