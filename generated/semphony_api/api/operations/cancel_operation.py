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
    lease_secret: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(lease_secret, Unset):
        headers["Lease-Secret"] = lease_secret

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/operations/{operation_id}".format(
            operation_id=quote(str(operation_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
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

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

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
    lease_secret: str | Unset = UNSET,
) -> Response[Operation | Problem]:
    """Cancel an operation.

     Stops the scan or move on the hardware and marks the operation `cancelled`. Cancelling a terminal
    operation changes nothing and answers it as it is. Cancelling is not deleting: the operation stays
    readable with get_operation. 409 `lease.required` when the operation's session no longer holds the
    lease. Role: operator (the lease holder).

    Args:
        operation_id (str):
        lease_secret (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        operation_id=operation_id,
        lease_secret=lease_secret,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    lease_secret: str | Unset = UNSET,
) -> Operation | Problem | None:
    """Cancel an operation.

     Stops the scan or move on the hardware and marks the operation `cancelled`. Cancelling a terminal
    operation changes nothing and answers it as it is. Cancelling is not deleting: the operation stays
    readable with get_operation. 409 `lease.required` when the operation's session no longer holds the
    lease. Role: operator (the lease holder).

    Args:
        operation_id (str):
        lease_secret (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return sync_detailed(
        operation_id=operation_id,
        client=client,
        lease_secret=lease_secret,
    ).parsed


async def asyncio_detailed(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    lease_secret: str | Unset = UNSET,
) -> Response[Operation | Problem]:
    """Cancel an operation.

     Stops the scan or move on the hardware and marks the operation `cancelled`. Cancelling a terminal
    operation changes nothing and answers it as it is. Cancelling is not deleting: the operation stays
    readable with get_operation. 409 `lease.required` when the operation's session no longer holds the
    lease. Role: operator (the lease holder).

    Args:
        operation_id (str):
        lease_secret (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        operation_id=operation_id,
        lease_secret=lease_secret,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    operation_id: str,
    *,
    client: AuthenticatedClient | Client,
    lease_secret: str | Unset = UNSET,
) -> Operation | Problem | None:
    """Cancel an operation.

     Stops the scan or move on the hardware and marks the operation `cancelled`. Cancelling a terminal
    operation changes nothing and answers it as it is. Cancelling is not deleting: the operation stays
    readable with get_operation. 409 `lease.required` when the operation's session no longer holds the
    lease. Role: operator (the lease holder).

    Args:
        operation_id (str):
        lease_secret (str | Unset):

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
            lease_secret=lease_secret,
        )
    ).parsed
