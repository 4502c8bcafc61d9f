from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.roi_record_list import RoiRecordList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    specimen_id: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["specimen_id"] = specimen_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/rois",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RoiRecordList | None:
    if response.status_code == 200:
        response_200 = RoiRecordList.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
) -> Response[Problem | RoiRecordList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
) -> Response[Problem | RoiRecordList]:
    """List ROI records by name.

     Optionally only those of one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecordList]
    """

    kwargs = _get_kwargs(
        specimen_id=specimen_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
) -> Problem | RoiRecordList | None:
    """List ROI records by name.

     Optionally only those of one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecordList
    """

    return sync_detailed(
        client=client,
        specimen_id=specimen_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
) -> Response[Problem | RoiRecordList]:
    """List ROI records by name.

     Optionally only those of one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecordList]
    """

    kwargs = _get_kwargs(
        specimen_id=specimen_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
) -> Problem | RoiRecordList | None:
    """List ROI records by name.

     Optionally only those of one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecordList
    """

    return (
        await asyncio_detailed(
            client=client,
            specimen_id=specimen_id,
        )
    ).parsed
