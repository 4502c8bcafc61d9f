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
    session_id: str,
    *,
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
        "url": "/v1/sessions/{session_id}/detector/auto-signal".format(
            session_id=quote(str(session_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Operation | Problem | None:
    if response.status_code == 202:
        response_202 = Operation.from_dict(response.json())

        return response_202

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
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Operation | Problem]:
    """Set contrast and brightness so the image fills the range (operation).

     Sets the detector's contrast and brightness so that the signal of the field under the beam spans
    about 5-95 % of full scale: the instrument's own auto signal where the driver has one (method
    `instrument`, e.g. Tescan's `DtAutoSignal`), else a frame with a neutral response from which the
    gain and offset are set through the detector command (method `frames`). A small frame afterwards
    measures the range the image now covers. Refused with 409 `interlock.beam_required` while the beam
    is off, `interlock.busy` while another operation runs, `device.unsupported` on a driver without it
    (capability `auto_signal`). Progress counts frames. The operation's result is an `AutoSignalResult`.
    Role: operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
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
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Operation | Problem | None:
    """Set contrast and brightness so the image fills the range (operation).

     Sets the detector's contrast and brightness so that the signal of the field under the beam spans
    about 5-95 % of full scale: the instrument's own auto signal where the driver has one (method
    `instrument`, e.g. Tescan's `DtAutoSignal`), else a frame with a neutral response from which the
    gain and offset are set through the detector command (method `frames`). A small frame afterwards
    measures the range the image now covers. Refused with 409 `interlock.beam_required` while the beam
    is off, `interlock.busy` while another operation runs, `device.unsupported` on a driver without it
    (capability `auto_signal`). Progress counts frames. The operation's result is an `AutoSignalResult`.
    Role: operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return sync_detailed(
        session_id=session_id,
        client=client,
        lease_secret=lease_secret,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Operation | Problem]:
    """Set contrast and brightness so the image fills the range (operation).

     Sets the detector's contrast and brightness so that the signal of the field under the beam spans
    about 5-95 % of full scale: the instrument's own auto signal where the driver has one (method
    `instrument`, e.g. Tescan's `DtAutoSignal`), else a frame with a neutral response from which the
    gain and offset are set through the detector command (method `frames`). A small frame afterwards
    measures the range the image now covers. Refused with 409 `interlock.beam_required` while the beam
    is off, `interlock.busy` while another operation runs, `device.unsupported` on a driver without it
    (capability `auto_signal`). Progress counts frames. The operation's result is an `AutoSignalResult`.
    Role: operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Operation | Problem]
    """

    kwargs = _get_kwargs(
        session_id=session_id,
        lease_secret=lease_secret,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    session_id: str,
    *,
    client: AuthenticatedClient | Client,
    lease_secret: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Operation | Problem | None:
    """Set contrast and brightness so the image fills the range (operation).

     Sets the detector's contrast and brightness so that the signal of the field under the beam spans
    about 5-95 % of full scale: the instrument's own auto signal where the driver has one (method
    `instrument`, e.g. Tescan's `DtAutoSignal`), else a frame with a neutral response from which the
    gain and offset are set through the detector command (method `frames`). A small frame afterwards
    measures the range the image now covers. Refused with 409 `interlock.beam_required` while the beam
    is off, `interlock.busy` while another operation runs, `device.unsupported` on a driver without it
    (capability `auto_signal`). Progress counts frames. The operation's result is an `AutoSignalResult`.
    Role: operator (the lease holder).

    Args:
        session_id (str):
        lease_secret (str | Unset):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Operation | Problem
    """

    return (
        await asyncio_detailed(
            session_id=session_id,
            client=client,
            lease_secret=lease_secret,
            idempotency_key=idempotency_key,
        )
    ).parsed
