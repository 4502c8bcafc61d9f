from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_entry_params import AuditEntryParams


T = TypeVar("T", bound="AuditEntry")


@_attrs_define
class AuditEntry:
    id: int
    """ increasing within the server's database """
    at: datetime.datetime
    actor: str
    """ the role of the token (`operator`, `viewer`); never the token """
    action: str
    """ the command: `session.start`, `session.heartbeat`, `session.end`, `chamber.pump`, `chamber.vent`,
    `beam.set`, `stage.move`, `optics.set`, `acquisition.start`, `operation.cancel`, `lease.expired` (open set)
     """
    params: AuditEntryParams
    """ the command's parameters (the request body as received) """
    outcome: str
    """ `accepted`, `refused`, `succeeded`, `failed`, `cancelled` (open set) """
    status_code: int
    """ the HTTP status answered """
    instrument: str | Unset = UNSET
    """ the instrument whose server recorded the entry """
    clock_s: float | None | Unset = UNSET
    """ the instrument clock when the command arrived """
    holder: None | str | Unset = UNSET
    """ the session's lease holder, if the command came through a session """
    run_id: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET
    reason: None | str | Unset = UNSET
    """ the problem's reason when refused or failed """
    operation_id: None | str | Unset = UNSET
    request_id: None | str | Unset = UNSET
    user: None | str | Unset = UNSET
    """ the user the token belongs to (null for the server's own entries) """
    source: None | str | Unset = UNSET
    """ the client's address """
    repeats: int | Unset = UNSET
    """ how many requests this entry stands for: refusals of unauthenticated callers are counted per source and
    minute in one entry
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        at = self.at.isoformat()

        actor = self.actor

        action = self.action

        params = self.params.to_dict()

        outcome = self.outcome

        status_code = self.status_code

        instrument = self.instrument

        clock_s: float | None | Unset
        if isinstance(self.clock_s, Unset):
            clock_s = UNSET
        else:
            clock_s = self.clock_s

        holder: None | str | Unset
        if isinstance(self.holder, Unset):
            holder = UNSET
        else:
            holder = self.holder

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        else:
            run_id = self.run_id

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        operation_id: None | str | Unset
        if isinstance(self.operation_id, Unset):
            operation_id = UNSET
        else:
            operation_id = self.operation_id

        request_id: None | str | Unset
        if isinstance(self.request_id, Unset):
            request_id = UNSET
        else:
            request_id = self.request_id

        user: None | str | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        else:
            user = self.user

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        repeats = self.repeats

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "at": at,
                "actor": actor,
                "action": action,
                "params": params,
                "outcome": outcome,
                "status_code": status_code,
            }
        )
        if instrument is not UNSET:
            field_dict["instrument"] = instrument
        if clock_s is not UNSET:
            field_dict["clock_s"] = clock_s
        if holder is not UNSET:
            field_dict["holder"] = holder
        if run_id is not UNSET:
            field_dict["run_id"] = run_id
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if reason is not UNSET:
            field_dict["reason"] = reason
        if operation_id is not UNSET:
            field_dict["operation_id"] = operation_id
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if user is not UNSET:
            field_dict["user"] = user
        if source is not UNSET:
            field_dict["source"] = source
        if repeats is not UNSET:
            field_dict["repeats"] = repeats

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_entry_params import AuditEntryParams

        d = dict(src_dict)
        id = d.pop("id")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        actor = d.pop("actor")

        action = d.pop("action")

        params = AuditEntryParams.from_dict(d.pop("params"))

        outcome = d.pop("outcome")

        status_code = d.pop("status_code")

        instrument = d.pop("instrument", UNSET)

        def _parse_clock_s(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        clock_s = _parse_clock_s(d.pop("clock_s", UNSET))

        def _parse_holder(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        holder = _parse_holder(d.pop("holder", UNSET))

        def _parse_run_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        run_id = _parse_run_id(d.pop("run_id", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_operation_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        operation_id = _parse_operation_id(d.pop("operation_id", UNSET))

        def _parse_request_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        request_id = _parse_request_id(d.pop("request_id", UNSET))

        def _parse_user(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user = _parse_user(d.pop("user", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        repeats = d.pop("repeats", UNSET)

        audit_entry = cls(
            id=id,
            at=at,
            actor=actor,
            action=action,
            params=params,
            outcome=outcome,
            status_code=status_code,
            instrument=instrument,
            clock_s=clock_s,
            holder=holder,
            run_id=run_id,
            session_id=session_id,
            reason=reason,
            operation_id=operation_id,
            request_id=request_id,
            user=user,
            source=source,
            repeats=repeats,
        )

        audit_entry.additional_properties = d
        return audit_entry

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
