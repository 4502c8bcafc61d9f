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
    instrument: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["specimen_id"] = specimen_id

    params["instrument"] = instrument

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
    instrument: str | Unset = UNSET,
) -> Response[Problem | RoiRecordList]:
    """List ROI records by instrument and name.

     Every instrument's records on the server's database (each names its `instrument`), optionally only
    those of one instrument or one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecordList]
    """

    kwargs = _get_kwargs(
        specimen_id=specimen_id,
        instrument=instrument,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
    instrument: str | Unset = UNSET,
) -> Problem | RoiRecordList | None:
    """List ROI records by instrument and name.

     Every instrument's records on the server's database (each names its `instrument`), optionally only
    those of one instrument or one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecordList
    """

    return sync_detailed(
        client=client,
        specimen_id=specimen_id,
        instrument=instrument,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
    instrument: str | Unset = UNSET,
) -> Response[Problem | RoiRecordList]:
    """List ROI records by instrument and name.

     Every instrument's records on the server's database (each names its `instrument`), optionally only
    those of one instrument or one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecordList]
    """

    kwargs = _get_kwargs(
        specimen_id=specimen_id,
        instrument=instrument,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    specimen_id: str | Unset = UNSET,
    instrument: str | Unset = UNSET,
) -> Problem | RoiRecordList | None:
    """List ROI records by instrument and name.

     Every instrument's records on the server's database (each names its `instrument`), optionally only
    those of one instrument or one specimen. Role: viewer.

    Args:
        specimen_id (str | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

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
            instrument=instrument,
        )
    ).parsed
