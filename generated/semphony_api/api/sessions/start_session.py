from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.session import Session
from ...models.session_start import SessionStart
from ...types import UNSET, Response, Unset


def _get_kwargs(
    run_id: str,
    *,
    body: SessionStart | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/runs/{run_id}/sessions".format(
            run_id=quote(str(run_id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | Session | None:
    if response.status_code == 201:
        response_201 = Session.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | Session]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SessionStart | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | Session]:
    """Start a session and take the exclusive control lease.

     One session holds the control lease at a time. If another session holds it, the answer is 409 with
    reason `lease.held` and `lease_holder` naming the holder. A lease not renewed by a heartbeat within
    `lease_s` expires: the server stops any scan or stage move and the instrument is left in a safe
    state. Role: operator.

    Args:
        run_id (str):
        idempotency_key (str | Unset):
        body (SessionStart | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Session]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SessionStart | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Problem | Session | None:
    """Start a session and take the exclusive control lease.

     One session holds the control lease at a time. If another session holds it, the answer is 409 with
    reason `lease.held` and `lease_holder` naming the holder. A lease not renewed by a heartbeat within
    `lease_s` expires: the server stops any scan or stage move and the instrument is left in a safe
    state. Role: operator.

    Args:
        run_id (str):
        idempotency_key (str | Unset):
        body (SessionStart | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Session
    """

    return sync_detailed(
        run_id=run_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SessionStart | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | Session]:
    """Start a session and take the exclusive control lease.

     One session holds the control lease at a time. If another session holds it, the answer is 409 with
    reason `lease.held` and `lease_holder` naming the holder. A lease not renewed by a heartbeat within
    `lease_s` expires: the server stops any scan or stage move and the instrument is left in a safe
    state. Role: operator.

    Args:
        run_id (str):
        idempotency_key (str | Unset):
        body (SessionStart | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Session]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: SessionStart | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Problem | Session | None:
    """Start a session and take the exclusive control lease.

     One session holds the control lease at a time. If another session holds it, the answer is 409 with
    reason `lease.held` and `lease_holder` naming the holder. A lease not renewed by a heartbeat within
    `lease_s` expires: the server stops any scan or stage move and the instrument is left in a safe
    state. Role: operator.

    Args:
        run_id (str):
        idempotency_key (str | Unset):
        body (SessionStart | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Session
    """

    return (
        await asyncio_detailed(
            run_id=run_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
