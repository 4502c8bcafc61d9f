from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.sim_fault_fault import SimFaultFault, check_sim_fault_fault
from ..types import UNSET, Unset

T = TypeVar("T", bound="SimFault")


@_attrs_define
class SimFault:
    """A fault to arm. Each fault reads only its own members and ignores the others: `scan_error` reads device_code,
    device_message, after_lines and count; `vacuum_loss` reads after_lines and count; `drop_move` reads count; `slow`
    reads factor. Null or absent members take their defaults. In the list of armed faults each item carries the members
    of its fault.

    """

    fault: SimFaultFault
    device_code: int | None | Unset = UNSET
    """ scan_error only: the device's return code reported (a SharkSEM return code, an int32; default -1) """
    device_message: None | str | Unset = UNSET
    """ scan_error only: the device message reported (default a ScScanXY failure) """
    after_lines: int | None | Unset = UNSET
    """ scan_error and vacuum_loss only: fail after this many lines of the scan (default 0) """
    factor: float | None | Unset = UNSET
    """ slow only: duration multiplier, in force until the faults are cleared (default 10) """
    count: int | None | Unset = UNSET
    """ scan_error, vacuum_loss and drop_move only: how many scans or moves the fault affects (default 1) """

    def to_dict(self) -> dict[str, Any]:
        fault: str = self.fault

        device_code: int | None | Unset
        if isinstance(self.device_code, Unset):
            device_code = UNSET
        else:
            device_code = self.device_code

        device_message: None | str | Unset
        if isinstance(self.device_message, Unset):
            device_message = UNSET
        else:
            device_message = self.device_message

        after_lines: int | None | Unset
        if isinstance(self.after_lines, Unset):
            after_lines = UNSET
        else:
            after_lines = self.after_lines

        factor: float | None | Unset
        if isinstance(self.factor, Unset):
            factor = UNSET
        else:
            factor = self.factor

        count: int | None | Unset
        if isinstance(self.count, Unset):
            count = UNSET
        else:
            count = self.count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "fault": fault,
            }
        )
        if device_code is not UNSET:
            field_dict["device_code"] = device_code
        if device_message is not UNSET:
            field_dict["device_message"] = device_message
        if after_lines is not UNSET:
            field_dict["after_lines"] = after_lines
        if factor is not UNSET:
            field_dict["factor"] = factor
        if count is not UNSET:
            field_dict["count"] = count

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        fault = check_sim_fault_fault(d.pop("fault"))

        def _parse_device_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        device_code = _parse_device_code(d.pop("device_code", UNSET))

        def _parse_device_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        device_message = _parse_device_message(d.pop("device_message", UNSET))

        def _parse_after_lines(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        after_lines = _parse_after_lines(d.pop("after_lines", UNSET))

        def _parse_factor(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        factor = _parse_factor(d.pop("factor", UNSET))

        def _parse_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        count = _parse_count(d.pop("count", UNSET))

        sim_fault = cls(
            fault=fault,
            device_code=device_code,
            device_message=device_message,
            after_lines=after_lines,
            factor=factor,
            count=count,
        )

        return sim_fault
