from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    status: str
    """ `ok`, or `degraded` when the driver's last health check (every few seconds) found the instrument not
    answering (open set)
     """
    api_version: str
    """ the contract version, `2.0`; a client refuses a server of another major version """
    server_version: str
    """ the server software's version """
    driver: str
    """ the device driver: `sim` or `tescan` (open set) """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        api_version = self.api_version

        server_version = self.server_version

        driver = self.driver

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "api_version": api_version,
                "server_version": server_version,
                "driver": driver,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        status = d.pop("status")

        api_version = d.pop("api_version")

        server_version = d.pop("server_version")

        driver = d.pop("driver")

        health = cls(
            status=status,
            api_version=api_version,
            server_version=server_version,
            driver=driver,
        )

        health.additional_properties = d
        return health

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
