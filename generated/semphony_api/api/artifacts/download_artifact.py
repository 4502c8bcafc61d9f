from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import File, Response


def _get_kwargs(
    image_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/artifacts/{image_id}".format(
            image_id=quote(str(image_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> File | Problem | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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
) -> Response[File | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[File | Problem]:
    """Download an image (TIFF).

     The TIFF bytes as stored, with `Content-Length` and `Repr-Digest` (RFC 9530, `sha-256=:<base64 of
    the SHA-256 digest>:`), which equals the acquisition's `metadata.sha256` (hex) in another encoding.
    Large artifacts should be streamed. An image another instrument's server recorded (an ROI's
    reference, saved there) is read from the shared artifact folder when this server has one, else
    fetched from that server's public URL; either way checked against its recorded digest (502
    `instrument.unreachable` when it cannot be had). Role: viewer.

    Args:
        image_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        image_id=image_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> File | Problem | None:
    """Download an image (TIFF).

     The TIFF bytes as stored, with `Content-Length` and `Repr-Digest` (RFC 9530, `sha-256=:<base64 of
    the SHA-256 digest>:`), which equals the acquisition's `metadata.sha256` (hex) in another encoding.
    Large artifacts should be streamed. An image another instrument's server recorded (an ROI's
    reference, saved there) is read from the shared artifact folder when this server has one, else
    fetched from that server's public URL; either way checked against its recorded digest (502
    `instrument.unreachable` when it cannot be had). Role: viewer.

    Args:
        image_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return sync_detailed(
        image_id=image_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[File | Problem]:
    """Download an image (TIFF).

     The TIFF bytes as stored, with `Content-Length` and `Repr-Digest` (RFC 9530, `sha-256=:<base64 of
    the SHA-256 digest>:`), which equals the acquisition's `metadata.sha256` (hex) in another encoding.
    Large artifacts should be streamed. An image another instrument's server recorded (an ROI's
    reference, saved there) is read from the shared artifact folder when this server has one, else
    fetched from that server's public URL; either way checked against its recorded digest (502
    `instrument.unreachable` when it cannot be had). Role: viewer.

    Args:
        image_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[File | Problem]
    """

    kwargs = _get_kwargs(
        image_id=image_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    image_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> File | Problem | None:
    """Download an image (TIFF).

     The TIFF bytes as stored, with `Content-Length` and `Repr-Digest` (RFC 9530, `sha-256=:<base64 of
    the SHA-256 digest>:`), which equals the acquisition's `metadata.sha256` (hex) in another encoding.
    Large artifacts should be streamed. An image another instrument's server recorded (an ROI's
    reference, saved there) is read from the shared artifact folder when this server has one, else
    fetched from that server's public URL; either way checked against its recorded digest (502
    `instrument.unreachable` when it cannot be had). Role: viewer.

    Args:
        image_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        File | Problem
    """

    return (
        await asyncio_detailed(
            image_id=image_id,
            client=client,
        )
    ).parsed
