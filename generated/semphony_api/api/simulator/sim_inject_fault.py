from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.sim_fault import SimFault
from ...models.sim_fault_list import SimFaultList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: SimFault,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/sim/faults",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SimFaultList | None:
    if response.status_code == 200:
        response_200 = SimFaultList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[Problem | SimFaultList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: SimFault,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | SimFaultList]:
    """Arm a fault (simulator only).

     `scan_error` fails the next `count` scans after `after_lines` lines with a device error
    (`device_code`, `device_message`, as a SharkSEM ScScanXY failure); `vacuum_loss` fails the next
    `count` scans after `after_lines` lines by dropping the vacuum to `error` (the beam goes off; a
    device error with code -3); `drop_move` makes the next `count` stage moves stop halfway and fail
    with a device error (code -5); `slow` multiplies the duration of every following operation by
    `factor` until the faults are cleared. Each fault reads only the members listed for it in `SimFault`
    and ignores the others. Answers the armed faults. 404 `simulator.unavailable` with another driver.
    Role: operator.

    Args:
        idempotency_key (str | Unset):
        body (SimFault): A fault to arm. Each fault reads only its own members and ignores the
            others: `scan_error` reads device_code, device_message, after_lines and count;
            `vacuum_loss` reads after_lines and count; `drop_move` reads count; `slow` reads factor.
            Null or absent members take their defaults. In the list of armed faults each item carries
            the members of its fault.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SimFaultList]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: SimFault,
    idempotency_key: str | Unset = UNSET,
) -> Problem | SimFaultList | None:
    """Arm a fault (simulator only).

     `scan_error` fails the next `count` scans after `after_lines` lines with a device error
    (`device_code`, `device_message`, as a SharkSEM ScScanXY failure); `vacuum_loss` fails the next
    `count` scans after `after_lines` lines by dropping the vacuum to `error` (the beam goes off; a
    device error with code -3); `drop_move` makes the next `count` stage moves stop halfway and fail
    with a device error (code -5); `slow` multiplies the duration of every following operation by
    `factor` until the faults are cleared. Each fault reads only the members listed for it in `SimFault`
    and ignores the others. Answers the armed faults. 404 `simulator.unavailable` with another driver.
    Role: operator.

    Args:
        idempotency_key (str | Unset):
        body (SimFault): A fault to arm. Each fault reads only its own members and ignores the
            others: `scan_error` reads device_code, device_message, after_lines and count;
            `vacuum_loss` reads after_lines and count; `drop_move` reads count; `slow` reads factor.
            Null or absent members take their defaults. In the list of armed faults each item carries
            the members of its fault.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SimFaultList
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: SimFault,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | SimFaultList]:
    """Arm a fault (simulator only).

     `scan_error` fails the next `count` scans after `after_lines` lines with a device error
    (`device_code`, `device_message`, as a SharkSEM ScScanXY failure); `vacuum_loss` fails the next
    `count` scans after `after_lines` lines by dropping the vacuum to `error` (the beam goes off; a
    device error with code -3); `drop_move` makes the next `count` stage moves stop halfway and fail
    with a device error (code -5); `slow` multiplies the duration of every following operation by
    `factor` until the faults are cleared. Each fault reads only the members listed for it in `SimFault`
    and ignores the others. Answers the armed faults. 404 `simulator.unavailable` with another driver.
    Role: operator.

    Args:
        idempotency_key (str | Unset):
        body (SimFault): A fault to arm. Each fault reads only its own members and ignores the
            others: `scan_error` reads device_code, device_message, after_lines and count;
            `vacuum_loss` reads after_lines and count; `drop_move` reads count; `slow` reads factor.
            Null or absent members take their defaults. In the list of armed faults each item carries
            the members of its fault.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SimFaultList]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: SimFault,
    idempotency_key: str | Unset = UNSET,
) -> Problem | SimFaultList | None:
    """Arm a fault (simulator only).

     `scan_error` fails the next `count` scans after `after_lines` lines with a device error
    (`device_code`, `device_message`, as a SharkSEM ScScanXY failure); `vacuum_loss` fails the next
    `count` scans after `after_lines` lines by dropping the vacuum to `error` (the beam goes off; a
    device error with code -3); `drop_move` makes the next `count` stage moves stop halfway and fail
    with a device error (code -5); `slow` multiplies the duration of every following operation by
    `factor` until the faults are cleared. Each fault reads only the members listed for it in `SimFault`
    and ignores the others. Answers the armed faults. 404 `simulator.unavailable` with another driver.
    Role: operator.

    Args:
        idempotency_key (str | Unset):
        body (SimFault): A fault to arm. Each fault reads only its own members and ignores the
            others: `scan_error` reads device_code, device_message, after_lines and count;
            `vacuum_loss` reads after_lines and count; `drop_move` reads count; `slow` reads factor.
            Null or absent members take their defaults. In the list of armed faults each item carries
            the members of its fault.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SimFaultList
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
