from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Session")


@_attrs_define
class Session:
    id: str
    run_id: str
    holder: str
    status: str
    """ `active`, `ended` or `expired` (open set) """
    lease_s: float
    created_at: datetime.datetime
    expires_at: datetime.datetime
    ended_at: datetime.datetime | None | Unset = UNSET
    lease_secret: None | str | Unset = UNSET
    """ Answered only by `start_session`, once: send it as the `Lease-Secret` header on every command of this
    session. It is never shown again (not in `/v1/state`, the audit or a log); whoever has it commands the
    instrument.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        run_id = self.run_id

        holder = self.holder

        status = self.status

        lease_s = self.lease_s

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        ended_at: None | str | Unset
        if isinstance(self.ended_at, Unset):
            ended_at = UNSET
        elif isinstance(self.ended_at, datetime.datetime):
            ended_at = self.ended_at.isoformat()
        else:
            ended_at = self.ended_at

        lease_secret: None | str | Unset
        if isinstance(self.lease_secret, Unset):
            lease_secret = UNSET
        else:
            lease_secret = self.lease_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "run_id": run_id,
                "holder": holder,
                "status": status,
                "lease_s": lease_s,
                "created_at": created_at,
                "expires_at": expires_at,
            }
        )
        if ended_at is not UNSET:
            field_dict["ended_at"] = ended_at
        if lease_secret is not UNSET:
            field_dict["lease_secret"] = lease_secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        run_id = d.pop("run_id")

        holder = d.pop("holder")

        status = d.pop("status")

        lease_s = d.pop("lease_s")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        def _parse_ended_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ended_at_type_0 = datetime.datetime.fromisoformat(data)

                return ended_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        ended_at = _parse_ended_at(d.pop("ended_at", UNSET))

        def _parse_lease_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        lease_secret = _parse_lease_secret(d.pop("lease_secret", UNSET))

        session = cls(
            id=id,
            run_id=run_id,
            holder=holder,
            status=status,
            lease_s=lease_s,
            created_at=created_at,
            expires_at=expires_at,
            ended_at=ended_at,
            lease_secret=lease_secret,
        )

        session.additional_properties = d
        return session

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
