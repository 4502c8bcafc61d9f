from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.roi_record import RoiRecord
from ...types import UNSET, Response, Unset


def _get_kwargs(
    name: str,
    *,
    instrument: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["instrument"] = instrument

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/rois/{name}".format(
            name=quote(str(name), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RoiRecord | None:
    if response.status_code == 200:
        response_200 = RoiRecord.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
    name: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str | Unset = UNSET,
) -> Response[Problem | RoiRecord]:
    """Get an ROI record.

     ROI names are unique per instrument: this server's record of that name, or with `instrument`,
    another instrument's (its reference images are then downloaded from this server too, which fetches
    them from their own). Role: viewer.

    Args:
        name (str): a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit,
            at most 64 characters
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecord]
    """

    kwargs = _get_kwargs(
        name=name,
        instrument=instrument,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str | Unset = UNSET,
) -> Problem | RoiRecord | None:
    """Get an ROI record.

     ROI names are unique per instrument: this server's record of that name, or with `instrument`,
    another instrument's (its reference images are then downloaded from this server too, which fetches
    them from their own). Role: viewer.

    Args:
        name (str): a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit,
            at most 64 characters
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecord
    """

    return sync_detailed(
        name=name,
        client=client,
        instrument=instrument,
    ).parsed


async def asyncio_detailed(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str | Unset = UNSET,
) -> Response[Problem | RoiRecord]:
    """Get an ROI record.

     ROI names are unique per instrument: this server's record of that name, or with `instrument`,
    another instrument's (its reference images are then downloaded from this server too, which fetches
    them from their own). Role: viewer.

    Args:
        name (str): a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit,
            at most 64 characters
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RoiRecord]
    """

    kwargs = _get_kwargs(
        name=name,
        instrument=instrument,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str | Unset = UNSET,
) -> Problem | RoiRecord | None:
    """Get an ROI record.

     ROI names are unique per instrument: this server's record of that name, or with `instrument`,
    another instrument's (its reference images are then downloaded from this server too, which fetches
    them from their own). Role: viewer.

    Args:
        name (str): a name of letters, digits, `_`, `.` and `-`, starting with a letter or digit,
            at most 64 characters
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RoiRecord
    """

    return (
        await asyncio_detailed(
            name=name,
            client=client,
            instrument=instrument,
        )
    ).parsed
