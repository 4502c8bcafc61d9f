from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.sim_truth import SimTruth
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    x_mm: float | Unset = UNSET,
    y_mm: float | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["x_mm"] = x_mm

    params["y_mm"] = y_mm

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/sim/truth",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SimTruth | None:
    if response.status_code == 200:
        response_200 = SimTruth.from_dict(response.json())

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
) -> Response[Problem | SimTruth]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_mm: float | Unset = UNSET,
    y_mm: float | Unset = UNSET,
) -> Response[Problem | SimTruth]:
    """The specimen's ground-truth placement (simulator only).

     The placement relative to the first load (shift, rotation about the stated centre), and, given
    `x_mm` and `y_mm`, where the specimen point that lay at stage (x_mm, y_mm) at first load lies now.
    404 `simulator.unavailable` with another driver. Role: viewer.

    Args:
        x_mm (float | Unset):
        y_mm (float | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SimTruth]
    """

    kwargs = _get_kwargs(
        x_mm=x_mm,
        y_mm=y_mm,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    x_mm: float | Unset = UNSET,
    y_mm: float | Unset = UNSET,
) -> Problem | SimTruth | None:
    """The specimen's ground-truth placement (simulator only).

     The placement relative to the first load (shift, rotation about the stated centre), and, given
    `x_mm` and `y_mm`, where the specimen point that lay at stage (x_mm, y_mm) at first load lies now.
    404 `simulator.unavailable` with another driver. Role: viewer.

    Args:
        x_mm (float | Unset):
        y_mm (float | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SimTruth
    """

    return sync_detailed(
        client=client,
        x_mm=x_mm,
        y_mm=y_mm,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_mm: float | Unset = UNSET,
    y_mm: float | Unset = UNSET,
) -> Response[Problem | SimTruth]:
    """The specimen's ground-truth placement (simulator only).

     The placement relative to the first load (shift, rotation about the stated centre), and, given
    `x_mm` and `y_mm`, where the specimen point that lay at stage (x_mm, y_mm) at first load lies now.
    404 `simulator.unavailable` with another driver. Role: viewer.

    Args:
        x_mm (float | Unset):
        y_mm (float | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SimTruth]
    """

    kwargs = _get_kwargs(
        x_mm=x_mm,
        y_mm=y_mm,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    x_mm: float | Unset = UNSET,
    y_mm: float | Unset = UNSET,
) -> Problem | SimTruth | None:
    """The specimen's ground-truth placement (simulator only).

     The placement relative to the first load (shift, rotation about the stated centre), and, given
    `x_mm` and `y_mm`, where the specimen point that lay at stage (x_mm, y_mm) at first load lies now.
    404 `simulator.unavailable` with another driver. Role: viewer.

    Args:
        x_mm (float | Unset):
        y_mm (float | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SimTruth
    """

    return (
        await asyncio_detailed(
            client=client,
            x_mm=x_mm,
            y_mm=y_mm,
        )
    ).parsed
