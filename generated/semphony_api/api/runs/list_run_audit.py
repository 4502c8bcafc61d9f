from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_list import AuditList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    run_id: str,
    *,
    after_id: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["after_id"] = after_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/runs/{run_id}/audit".format(
            run_id=quote(str(run_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuditList | Problem | None:
    if response.status_code == 200:
        response_200 = AuditList.from_dict(response.json())

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
) -> Response[AuditList | Problem]:
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
    after_id: int | Unset = UNSET,
) -> Response[AuditList | Problem]:
    """The run's audit log, oldest first.

     Every command issued within the run (sessions, chamber, beam, stage, optics, acquisitions,
    cancellations), refused ones included: who, when, what, with which parameters and with what outcome.
    `after_id` returns only the entries after that id, for incremental reading. Role: viewer.

    Args:
        run_id (str):
        after_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditList | Problem]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        after_id=after_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
) -> AuditList | Problem | None:
    """The run's audit log, oldest first.

     Every command issued within the run (sessions, chamber, beam, stage, optics, acquisitions,
    cancellations), refused ones included: who, when, what, with which parameters and with what outcome.
    `after_id` returns only the entries after that id, for incremental reading. Role: viewer.

    Args:
        run_id (str):
        after_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditList | Problem
    """

    return sync_detailed(
        run_id=run_id,
        client=client,
        after_id=after_id,
    ).parsed


async def asyncio_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
) -> Response[AuditList | Problem]:
    """The run's audit log, oldest first.

     Every command issued within the run (sessions, chamber, beam, stage, optics, acquisitions,
    cancellations), refused ones included: who, when, what, with which parameters and with what outcome.
    `after_id` returns only the entries after that id, for incremental reading. Role: viewer.

    Args:
        run_id (str):
        after_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditList | Problem]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        after_id=after_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    run_id: str,
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
) -> AuditList | Problem | None:
    """The run's audit log, oldest first.

     Every command issued within the run (sessions, chamber, beam, stage, optics, acquisitions,
    cancellations), refused ones included: who, when, what, with which parameters and with what outcome.
    `after_id` returns only the entries after that id, for incremental reading. Role: viewer.

    Args:
        run_id (str):
        after_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditList | Problem
    """

    return (
        await asyncio_detailed(
            run_id=run_id,
            client=client,
            after_id=after_id,
        )
    ).parsed
