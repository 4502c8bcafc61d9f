from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_metadata import AcquisitionMetadata


T = TypeVar("T", bound="AcquisitionResult")


@_attrs_define
class AcquisitionResult:
    """The result of an acquisition operation (the SDK's `semphony.models.AcquisitionResult`, without the client-side
    `local_path`).

    """

    correlation_id: str
    """ the acquisition's id in the control server (= the operation id) """
    image_id: None | str | Unset = UNSET
    """ the artifact id, for download_artifact """
    remote_path: None | str | Unset = UNSET
    """ the image's path on the control server """
    mime: None | str | Unset = UNSET
    """ e.g. `image/tiff` """
    size: list[int] | None | Unset = UNSET
    """ [width, height] in pixels """
    metadata: AcquisitionMetadata | Unset = UNSET
    """ Everything else the server knows about the acquisition. The listed members are what the reference server
    sends; others may appear and clients keep them.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        correlation_id = self.correlation_id

        image_id: None | str | Unset
        if isinstance(self.image_id, Unset):
            image_id = UNSET
        else:
            image_id = self.image_id

        remote_path: None | str | Unset
        if isinstance(self.remote_path, Unset):
            remote_path = UNSET
        else:
            remote_path = self.remote_path

        mime: None | str | Unset
        if isinstance(self.mime, Unset):
            mime = UNSET
        else:
            mime = self.mime

        size: list[int] | None | Unset
        if isinstance(self.size, Unset):
            size = UNSET
        elif isinstance(self.size, list):
            size = self.size

        else:
            size = self.size

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "correlation_id": correlation_id,
            }
        )
        if image_id is not UNSET:
            field_dict["image_id"] = image_id
        if remote_path is not UNSET:
            field_dict["remote_path"] = remote_path
        if mime is not UNSET:
            field_dict["mime"] = mime
        if size is not UNSET:
            field_dict["size"] = size
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acquisition_metadata import AcquisitionMetadata

        d = dict(src_dict)
        correlation_id = d.pop("correlation_id")

        def _parse_image_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        image_id = _parse_image_id(d.pop("image_id", UNSET))

        def _parse_remote_path(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        remote_path = _parse_remote_path(d.pop("remote_path", UNSET))

        def _parse_mime(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mime = _parse_mime(d.pop("mime", UNSET))

        def _parse_size(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                size_type_0 = cast(list[int], data)

                return size_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        size = _parse_size(d.pop("size", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: AcquisitionMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = AcquisitionMetadata.from_dict(_metadata)

        acquisition_result = cls(
            correlation_id=correlation_id,
            image_id=image_id,
            remote_path=remote_path,
            mime=mime,
            size=size,
            metadata=metadata,
        )

        acquisition_result.additional_properties = d
        return acquisition_result

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
