"""How one HTTP attempt is recorded and what its outcome amounts to: the SDK's error, mapped once.

A non-2xx status becomes the error `error_from_response` picks, a redirect (never followed) or a
body that is not the promised document an `InvalidResponseError`, connection failures an
`APIConnectionError` and timeouts an `APITimeoutError`; each comes wrapped with whether another
attempt may help.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pydantic
from semphony_api.types import Response

from semphony._base_client import logger, should_retry_status
from semphony._exceptions import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    SemphonyApiError,
    error_from_response,
)
from semphony._wire._requests import Call

__all__ = [
    "AttemptFailedError",
    "after_receive",
    "after_receive_async",
    "attempt",
    "before_send",
    "before_send_async",
    "interpret",
    "status_failure",
]

T = TypeVar("T")


@dataclass
class _Exchange:
    """What one attempt sent and received; filled in by the httpx event hooks."""

    timeout: httpx.Timeout
    request: httpx.Request | None = None
    response: httpx.Response | None = None


# The generated functions give us no way to pass a per-request timeout or to see the raw response
# when their parsing fails; the event hooks read and fill the current attempt's record instead.
_CURRENT: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar(
    "semphony_exchange", default=None
)


def before_send(request: httpx.Request) -> None:
    exchange = _CURRENT.get()
    if exchange is not None:
        exchange.request = request
        request.extensions["timeout"] = exchange.timeout.as_dict()


def after_receive(response: httpx.Response) -> None:
    exchange = _CURRENT.get()
    if exchange is not None:
        exchange.response = response
    logger.debug(
        "%s %s -> %d", response.request.method, response.request.url.path, response.status_code
    )


async def before_send_async(request: httpx.Request) -> None:
    before_send(request)


async def after_receive_async(response: httpx.Response) -> None:
    after_receive(response)


@contextmanager
def attempt(timeout: httpx.Timeout) -> Iterator[_Exchange]:
    """One attempt's record, current for the event hooks; an httpx error that escapes it becomes
    the attempt's failure."""
    exchange = _Exchange(timeout)
    token = _CURRENT.set(exchange)
    try:
        yield exchange
    except httpx.HTTPError as exc:
        raise _transport_failure(exc, exchange) from exc
    finally:
        _CURRENT.reset(token)


class AttemptFailedError(Exception):
    """An attempt's error, with whether another attempt may help and what the server asked."""

    def __init__(self, error: SemphonyApiError, *, retryable: bool, retry_after: str | None):
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after


def _problem_of(response: httpx.Response) -> dict[str, Any] | None:
    """The problem document in an error answer, or None when the body is not a JSON object."""
    try:
        doc = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _request_id(response: httpx.Response, problem: Mapping[str, Any] | None) -> str | None:
    rid = problem.get("request_id") if problem is not None else None
    if isinstance(rid, str):
        return rid
    header: str | None = response.headers.get("x-request-id")
    return header


def status_failure(response: httpx.Response) -> AttemptFailedError:
    """The failure for a redirect or a non-2xx answer."""
    method = response.request.method
    url = str(response.request.url)
    status = response.status_code
    if 300 <= status < 400:
        error: SemphonyApiError = InvalidResponseError(
            status_code=status,
            content_type=response.headers.get("content-type"),
            location=response.headers.get("location") or "(no Location header)",
            method=method,
            url=url,
        )
        return AttemptFailedError(error, retryable=False, retry_after=None)
    problem = _problem_of(response)
    error = error_from_response(
        status, problem, method=method, url=url, request_id=_request_id(response, problem)
    )
    return AttemptFailedError(
        error,
        retryable=should_retry_status(status, problem),
        retry_after=response.headers.get("retry-after"),
    )


def _invalid_body_failure(response: httpx.Response, cause: BaseException) -> AttemptFailedError:
    """The failure for a 2xx answer whose body is not the JSON document the contract promises."""
    content_type = response.headers.get("content-type")
    method = response.request.method
    url = str(response.request.url)
    if content_type is None or "json" not in content_type.lower():
        error = InvalidResponseError(
            status_code=response.status_code, content_type=content_type, method=method, url=url
        )
    else:
        what = f"missing field {cause}" if isinstance(cause, KeyError) else str(cause)
        error = InvalidResponseError(
            f"{response.status_code} on {method} {response.request.url.path} is not the document "
            f"the contract promises ({type(cause).__name__}: {what})",
            status_code=response.status_code,
            content_type=content_type,
            method=method,
            url=url,
        )
    error.__cause__ = cause
    return AttemptFailedError(error, retryable=False, retry_after=None)


def _transport_failure(exc: httpx.HTTPError, exchange: _Exchange) -> AttemptFailedError:
    """The failure for an httpx error raised before an answer arrived."""
    request = exchange.request
    method = request.method if request is not None else None
    url = str(request.url) if request is not None else None
    error: SemphonyApiError
    if isinstance(exc, httpx.TimeoutException):
        limit = exchange.timeout.read if isinstance(exc, httpx.ReadTimeout) else None
        if isinstance(exc, httpx.ConnectTimeout):
            limit = exchange.timeout.connect
        error = APITimeoutError(method=method, url=url, timeout_s=limit)
    else:
        error = APIConnectionError(method=method, url=url, cause=str(exc) or type(exc).__name__)
    error.__cause__ = exc
    return AttemptFailedError(error, retryable=True, retry_after=None)


def interpret(
    result: Response[Any] | None,
    failure: BaseException | None,
    exchange: _Exchange,
    call: Call[T],
) -> T:
    """The parsed value of one generated call, or the failure it amounts to (raised)."""
    expected = call.expected
    response = exchange.response
    if failure is not None:
        if isinstance(failure, httpx.HTTPError):
            raise _transport_failure(failure, exchange) from failure
        if response is None:
            raise failure  # not an HTTP problem: a bug, surface it as it is
        if not 200 <= response.status_code < 300:
            raise status_failure(response) from failure
        raise _invalid_body_failure(response, failure) from failure
    assert result is not None
    assert response is not None
    if not 200 <= response.status_code < 300:
        raise status_failure(response)
    if expected is not None and not isinstance(result.parsed, expected):
        raise _invalid_body_failure(
            response, TypeError(f"expected a {expected.__name__}, got {type(result.parsed)}")
        )
    try:  # the one validation of the answer into the SDK's own type
        return call.parse(result.parsed)
    except (pydantic.ValidationError, ValueError, KeyError, TypeError) as exc:
        raise _invalid_body_failure(response, exc) from exc
