from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.roi_record import RoiRecord
from ...models.roi_record_create import RoiRecordCreate
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: RoiRecordCreate,
    overwrite: bool | Unset = False,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    params["overwrite"] = overwrite

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/rois",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RoiRecord | None:
    if response.status_code == 200:
        response_200 = RoiRecord.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = RoiRecord.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | RoiRecord]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RoiRecordCreate,
    overwrite: bool | Unset = False,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | RoiRecord]:
    """Save an ROI record.

     Stores the record of an ROI pyramid acquired by the SDK's `save_roi`. A record of the same name
    exists -> 409 `roi.exists`, unless `overwrite=true`, which replaces it (200). Role: operator.

    Args:
        overwrite (bool | Unset):  Default: False.
        idempotency_key (str | Unset):
        body (RoiRecordCreate): an ROI record to save

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecord]
    """

    kwargs = _get_kwargs(
        body=body,
        overwrite=overwrite,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: RoiRecordCreate,
    overwrite: bool | Unset = False,
    idempotency_key: str | Unset = UNSET,
) -> Problem | RoiRecord | None:
    """Save an ROI record.

     Stores the record of an ROI pyramid acquired by the SDK's `save_roi`. A record of the same name
    exists -> 409 `roi.exists`, unless `overwrite=true`, which replaces it (200). Role: operator.

    Args:
        overwrite (bool | Unset):  Default: False.
        idempotency_key (str | Unset):
        body (RoiRecordCreate): an ROI record to save

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecord
    """

    return sync_detailed(
        client=client,
        body=body,
        overwrite=overwrite,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RoiRecordCreate,
    overwrite: bool | Unset = False,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | RoiRecord]:
    """Save an ROI record.

     Stores the record of an ROI pyramid acquired by the SDK's `save_roi`. A record of the same name
    exists -> 409 `roi.exists`, unless `overwrite=true`, which replaces it (200). Role: operator.

    Args:
        overwrite (bool | Unset):  Default: False.
        idempotency_key (str | Unset):
        body (RoiRecordCreate): an ROI record to save

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecord]
    """

    kwargs = _get_kwargs(
        body=body,
        overwrite=overwrite,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: RoiRecordCreate,
    overwrite: bool | Unset = False,
    idempotency_key: str | Unset = UNSET,
) -> Problem | RoiRecord | None:
    """Save an ROI record.

     Stores the record of an ROI pyramid acquired by the SDK's `save_roi`. A record of the same name
    exists -> 409 `roi.exists`, unless `overwrite=true`, which replaces it (200). Role: operator.

    Args:
        overwrite (bool | Unset):  Default: False.
        idempotency_key (str | Unset):
        body (RoiRecordCreate): an ROI record to save

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecord
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            overwrite=overwrite,
            idempotency_key=idempotency_key,
        )
    ).parsed
