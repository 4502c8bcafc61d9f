from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.instrument_state import InstrumentState
from ...models.optics_settings import OpticsSettings
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    session_id: str,
    *,
    body: OpticsSettings,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(lease_secret, Unset):
        headers["Lease-Secret"] = lease_secret

    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/sessions/{session_id}/optics".format(
            session_id=quote(str(session_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> InstrumentState | Problem | None:
    if response.status_code == 200:
        response_200 = InstrumentState.from_dict(response.json())

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
) -> Response[InstrumentState | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: OpticsSettings,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[InstrumentState | Problem]:
    """Change optics settings.

     Sets the given fields (null or absent fields stay). A value outside the device's limits is refused
    with 409 `range.optics` naming the field; nothing changes. Answers the resulting state. Role:
    operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):
        body (OpticsSettings): optics settings to change; null or absent fields stay. The bounds
            are the contract's; the device's are in `GET /v1/device` (`limits`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InstrumentState | Problem]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
        body=body,
        lease_secret=lease_secret,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: OpticsSettings,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> InstrumentState | Problem | None:
    """Change optics settings.

     Sets the given fields (null or absent fields stay). A value outside the device's limits is refused
    with 409 `range.optics` naming the field; nothing changes. Answers the resulting state. Role:
    operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):
        body (OpticsSettings): optics settings to change; null or absent fields stay. The bounds
            are the contract's; the device's are in `GET /v1/device` (`limits`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InstrumentState | Problem
    """

    return sync_detailed(
        session_id=session_id,
        client=client,
        body=body,
        lease_secret=lease_secret,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: OpticsSettings,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[InstrumentState | Problem]:
    """Change optics settings.

     Sets the given fields (null or absent fields stay). A value outside the device's limits is refused
    with 409 `range.optics` naming the field; nothing changes. Answers the resulting state. Role:
    operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):
        body (OpticsSettings): optics settings to change; null or absent fields stay. The bounds
            are the contract's; the device's are in `GET /v1/device` (`limits`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[InstrumentState | Problem]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
        body=body,
        lease_secret=lease_secret,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: OpticsSettings,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> InstrumentState | Problem | None:
    """Change optics settings.

     Sets the given fields (null or absent fields stay). A value outside the device's limits is refused
    with 409 `range.optics` naming the field; nothing changes. Answers the resulting state. Role:
    operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):
        body (OpticsSettings): optics settings to change; null or absent fields stay. The bounds
            are the contract's; the device's are in `GET /v1/device` (`limits`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        InstrumentState | Problem
    """

    return (
        await asyncio_detailed(
            session_id=session_id,
            client=client,
            body=body,
            lease_secret=lease_secret,
            idempotency_key=idempotency_key,
        )
    ).parsed
