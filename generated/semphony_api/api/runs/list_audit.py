from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_list import AuditList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after_id: int | Unset = UNSET,
    run_id: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    user: str | Unset = UNSET,
    action: str | Unset = UNSET,
    outcome: str | Unset = UNSET,
    outside_runs: bool | Unset = UNSET,
    instrument: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["after_id"] = after_id

    params["run_id"] = run_id

    params["session_id"] = session_id

    params["user"] = user

    params["action"] = action

    params["outcome"] = outcome

    params["outside_runs"] = outside_runs

    params["instrument"] = instrument

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/audit",
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

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
    run_id: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    user: str | Unset = UNSET,
    action: str | Unset = UNSET,
    outcome: str | Unset = UNSET,
    outside_runs: bool | Unset = UNSET,
    instrument: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[AuditList | Problem]:
    """The whole audit log, oldest first, filtered.

     Every request that tried to change something, with its outcome, refused ones included (401, 403,
    409, 413, 415, 422): runs' commands, and those outside any run (ROI records, simulator controls,
    refusals before authentication, the latter counted per source and minute). Parameters are recorded
    as sent; numbers that are not finite are recorded as strings. Role: operator.

    Args:
        after_id (int | Unset):
        run_id (str | Unset):
        session_id (str | Unset):
        user (str | Unset):
        action (str | Unset):
        outcome (str | Unset):
        outside_runs (bool | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditList | Problem]
    """

    kwargs = _get_kwargs(
        after_id=after_id,
        run_id=run_id,
        session_id=session_id,
        user=user,
        action=action,
        outcome=outcome,
        outside_runs=outside_runs,
        instrument=instrument,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
    run_id: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    user: str | Unset = UNSET,
    action: str | Unset = UNSET,
    outcome: str | Unset = UNSET,
    outside_runs: bool | Unset = UNSET,
    instrument: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> AuditList | Problem | None:
    """The whole audit log, oldest first, filtered.

     Every request that tried to change something, with its outcome, refused ones included (401, 403,
    409, 413, 415, 422): runs' commands, and those outside any run (ROI records, simulator controls,
    refusals before authentication, the latter counted per source and minute). Parameters are recorded
    as sent; numbers that are not finite are recorded as strings. Role: operator.

    Args:
        after_id (int | Unset):
        run_id (str | Unset):
        session_id (str | Unset):
        user (str | Unset):
        action (str | Unset):
        outcome (str | Unset):
        outside_runs (bool | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditList | Problem
    """

    return sync_detailed(
        client=client,
        after_id=after_id,
        run_id=run_id,
        session_id=session_id,
        user=user,
        action=action,
        outcome=outcome,
        outside_runs=outside_runs,
        instrument=instrument,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
    run_id: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    user: str | Unset = UNSET,
    action: str | Unset = UNSET,
    outcome: str | Unset = UNSET,
    outside_runs: bool | Unset = UNSET,
    instrument: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[AuditList | Problem]:
    """The whole audit log, oldest first, filtered.

     Every request that tried to change something, with its outcome, refused ones included (401, 403,
    409, 413, 415, 422): runs' commands, and those outside any run (ROI records, simulator controls,
    refusals before authentication, the latter counted per source and minute). Parameters are recorded
    as sent; numbers that are not finite are recorded as strings. Role: operator.

    Args:
        after_id (int | Unset):
        run_id (str | Unset):
        session_id (str | Unset):
        user (str | Unset):
        action (str | Unset):
        outcome (str | Unset):
        outside_runs (bool | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditList | Problem]
    """

    kwargs = _get_kwargs(
        after_id=after_id,
        run_id=run_id,
        session_id=session_id,
        user=user,
        action=action,
        outcome=outcome,
        outside_runs=outside_runs,
        instrument=instrument,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    after_id: int | Unset = UNSET,
    run_id: str | Unset = UNSET,
    session_id: str | Unset = UNSET,
    user: str | Unset = UNSET,
    action: str | Unset = UNSET,
    outcome: str | Unset = UNSET,
    outside_runs: bool | Unset = UNSET,
    instrument: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> AuditList | Problem | None:
    """The whole audit log, oldest first, filtered.

     Every request that tried to change something, with its outcome, refused ones included (401, 403,
    409, 413, 415, 422): runs' commands, and those outside any run (ROI records, simulator controls,
    refusals before authentication, the latter counted per source and minute). Parameters are recorded
    as sent; numbers that are not finite are recorded as strings. Role: operator.

    Args:
        after_id (int | Unset):
        run_id (str | Unset):
        session_id (str | Unset):
        user (str | Unset):
        action (str | Unset):
        outcome (str | Unset):
        outside_runs (bool | Unset):
        instrument (str | Unset): an instrument's name: letters, digits, `_`, `.` and `-`,
            starting with a letter or digit, at most 64 characters (no `/`: the SDK writes another
            instrument's ROI as `instrument/name`)
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            after_id=after_id,
            run_id=run_id,
            session_id=session_id,
            user=user,
            action=action,
            outcome=outcome,
            outside_runs=outside_runs,
            instrument=instrument,
            limit=limit,
        )
    ).parsed
