from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.operation import Operation
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    operation_id: str,
    *,
    wait_s: float | Unset = 0.0,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["wait_s"] = wait_s

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/operations/{operation_id}".format(
            operation_id=quote(str(operation_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Operation | Problem | None:
    if response.status_code == 200:
        response_200 = Operation.from_dict(response.json())

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
) -> Response[Operation | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    wait_s: float | Unset = 0.0,
) -> Response[Operation | Problem]:
    """An operation's status, progress and result or problem; long-polls.

     With `wait_s` > 0 the answer is held until the operation is terminal (succeeded, failed, cancelled)
    or `wait_s` seconds have passed, whichever comes first; it is 200 either way. A failed operation
    carries its `problem` (a device failure with `device_code` and `device_message`). Role: viewer.

    Args:
        operation_id (str):
        wait_s (float | Unset):  Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        operation_id=operation_id,
        wait_s=wait_s,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    wait_s: float | Unset = 0.0,
) -> Operation | Problem | None:
    """An operation's status, progress and result or problem; long-polls.

     With `wait_s` > 0 the answer is held until the operation is terminal (succeeded, failed, cancelled)
    or `wait_s` seconds have passed, whichever comes first; it is 200 either way. A failed operation
    carries its `problem` (a device failure with `device_code` and `device_message`). Role: viewer.

    Args:
        operation_id (str):
        wait_s (float | Unset):  Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return sync_detailed(
        operation_id=operation_id,
        client=client,
        wait_s=wait_s,
    ).parsed


async def asyncio_detailed(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    wait_s: float | Unset = 0.0,
) -> Response[Operation | Problem]:
    """An operation's status, progress and result or problem; long-polls.

     With `wait_s` > 0 the answer is held until the operation is terminal (succeeded, failed, cancelled)
    or `wait_s` seconds have passed, whichever comes first; it is 200 either way. A failed operation
    carries its `problem` (a device failure with `device_code` and `device_message`). Role: viewer.

    Args:
        operation_id (str):
        wait_s (float | Unset):  Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        operation_id=operation_id,
        wait_s=wait_s,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    wait_s: float | Unset = 0.0,
) -> Operation | Problem | None:
    """An operation's status, progress and result or problem; long-polls.

     With `wait_s` > 0 the answer is held until the operation is terminal (succeeded, failed, cancelled)
    or `wait_s` seconds have passed, whichever comes first; it is 200 either way. A failed operation
    carries its `problem` (a device failure with `device_code` and `device_message`). Role: viewer.

    Args:
        operation_id (str):
        wait_s (float | Unset):  Default: 0.0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return (
        await asyncio_detailed(
            operation_id=operation_id,
            client=client,
            wait_s=wait_s,
        )
    ).parsed
