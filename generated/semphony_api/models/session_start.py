from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SessionStart")


@_attrs_define
class SessionStart:
    holder: None | str | Unset = UNSET
    """ who takes the lease, as others will see it in `lease_holder` (default the token's role) """
    lease_s: float | Unset = 30.0
    """ the lease expires this many seconds after the last heartbeat """

    def to_dict(self) -> dict[str, Any]:
        holder: None | str | Unset
        if isinstance(self.holder, Unset):
            holder = UNSET
        else:
            holder = self.holder

        lease_s = self.lease_s

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if holder is not UNSET:
            field_dict["holder"] = holder
        if lease_s is not UNSET:
            field_dict["lease_s"] = lease_s

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_holder(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        holder = _parse_holder(d.pop("holder", UNSET))

        lease_s = d.pop("lease_s", UNSET)

        session_start = cls(
            holder=holder,
            lease_s=lease_s,
        )

        return session_start
