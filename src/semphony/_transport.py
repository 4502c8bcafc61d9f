"""The one module that touches httpx and the generated client (`semphony_api`).

Each logical call goes through `call(fn, expected, **kwargs)`, where `fn` is a generated
`*_detailed` function. Around it: one `Idempotency-Key` per logical call, reused on every retry;
retries of connection errors, 429 and 5xx with backoff (`_base_client`); and the mapping of every
outcome to the SDK's own errors, once: a non-2xx status via `error_from_response`, a redirect (never
followed), a non-JSON or incomplete body via `InvalidResponseError`, connection failures via
`APIConnectionError` and timeouts via `APITimeoutError`.

Artifacts are streamed through the generated client's own httpx client (the generated download
buffers the whole body): into a temporary file beside the target, hashed while written, checked
against `Repr-Digest`, and renamed into place.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import hashlib
import inspect
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar, cast
from urllib.parse import quote

import httpx
from semphony_api.api.system import get_health
from semphony_api.client import AuthenticatedClient
from semphony_api.models.health import Health
from semphony_api.types import Response

from semphony._base_client import (
    ClientOptions,
    check_api_version,
    default_headers,
    logger,
    retry_delay_s,
    setup_logging,
    should_retry_status,
)
from semphony._exceptions import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    SemphonyApiError,
    error_from_response,
)

__all__ = ["LEASE_SECRET_HEADER", "AsyncTransport", "Downloaded", "SyncTransport"]

LEASE_SECRET_HEADER = "Lease-Secret"

T = TypeVar("T")

# The retry loops wait through these names, so tests can record the delays instead of sleeping.
_sleep = time.sleep
_async_sleep = asyncio.sleep

_ARTIFACT_HEADERS = {"Accept": "image/tiff, application/octet-stream, application/problem+json"}
_CHUNK_BYTES = 1 << 20


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


def _before_send(request: httpx.Request) -> None:
    exchange = _CURRENT.get()
    if exchange is not None:
        exchange.request = request
        request.extensions["timeout"] = exchange.timeout.as_dict()


def _after_receive(response: httpx.Response) -> None:
    exchange = _CURRENT.get()
    if exchange is not None:
        exchange.response = response
    logger.debug(
        "%s %s -> %d", response.request.method, response.request.url.path, response.status_code
    )


async def _before_send_async(request: httpx.Request) -> None:
    _before_send(request)


async def _after_receive_async(response: httpx.Response) -> None:
    _after_receive(response)


@contextmanager
def _attempt(timeout: httpx.Timeout) -> Iterator[_Exchange]:
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


@dataclass(frozen=True)
class Downloaded:
    """An artifact written to disk: where, how many bytes, and its verified sha256 (hex)."""

    path: Path
    size_bytes: int
    sha256: str


class _AttemptFailedError(Exception):
    """An attempt's error, with whether another attempt may help and what the server asked."""

    def __init__(self, error: SemphonyApiError, *, retryable: bool, retry_after: str | None):
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after


class _Shared:
    """State every `with_options` variant of one client shares."""

    def __init__(self) -> None:
        self.version_checked = False
        self.health: Health | None = None
        self.version_lock = threading.Lock()
        self.async_version_lock = asyncio.Lock()
        self.closed = False


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


def _status_failure(response: httpx.Response) -> _AttemptFailedError:
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
        return _AttemptFailedError(error, retryable=False, retry_after=None)
    problem = _problem_of(response)
    error = error_from_response(
        status, problem, method=method, url=url, request_id=_request_id(response, problem)
    )
    return _AttemptFailedError(
        error,
        retryable=should_retry_status(status, problem),
        retry_after=response.headers.get("retry-after"),
    )


def _invalid_body_failure(response: httpx.Response, cause: BaseException) -> _AttemptFailedError:
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
    return _AttemptFailedError(error, retryable=False, retry_after=None)


def _transport_failure(exc: httpx.HTTPError, exchange: _Exchange) -> _AttemptFailedError:
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
    return _AttemptFailedError(error, retryable=True, retry_after=None)


def _interpret(
    result: Response[Any] | None,
    failure: BaseException | None,
    exchange: _Exchange,
    expected: type[T] | None,
) -> T:
    """The parsed value of one generated call, or the failure it amounts to (raised)."""
    response = exchange.response
    if failure is not None:
        if isinstance(failure, httpx.HTTPError):
            raise _transport_failure(failure, exchange) from failure
        if response is None:
            raise failure  # not an HTTP problem: a bug, surface it as it is
        if not 200 <= response.status_code < 300:
            raise _status_failure(response) from failure
        raise _invalid_body_failure(response, failure) from failure
    assert result is not None
    assert response is not None
    if not 200 <= response.status_code < 300:
        raise _status_failure(response)
    if expected is None:
        return cast(T, None)
    if not isinstance(result.parsed, expected):
        raise _invalid_body_failure(
            response, TypeError(f"expected a {expected.__name__}, got {type(result.parsed)}")
        )
    return result.parsed


def _with_idempotency_key(fn: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` plus one fresh Idempotency-Key when `fn` sends one (every POST does)."""
    if "idempotency_key" in kwargs or "idempotency_key" not in _parameters(fn):
        return kwargs
    return {**kwargs, "idempotency_key": uuid.uuid4().hex}


_PARAMETERS: dict[Callable[..., Any], frozenset[str]] = {}


def _parameters(fn: Callable[..., Any]) -> frozenset[str]:
    names = _PARAMETERS.get(fn)
    if names is None:
        names = frozenset(inspect.signature(fn).parameters)
        _PARAMETERS[fn] = names
    return names


def _digests(header: str | None) -> dict[str, bytes]:
    """RFC 9530 `Repr-Digest` members as {algorithm: digest bytes}; unreadable members skipped."""
    out: dict[str, bytes] = {}
    for member in (header or "").split(","):
        name, sep, value = member.strip().partition("=")
        value = value.strip()
        if sep and value.startswith(":") and value.endswith(":") and len(value) >= 2:
            try:
                out[name.strip().lower()] = base64.b64decode(value[1:-1], validate=True)
            except ValueError:
                continue
    return out


class _ArtifactFile:
    """A download in progress: a temporary file beside the target, hashed as it is written."""

    def __init__(self, target: Path, response: httpx.Response) -> None:
        self.target = target
        self.response = response
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        self.temp = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.hash.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def abort(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)

    def commit(self, expected_sha256: str | None) -> Downloaded:
        """Verify length and digest and rename into place, or raise.

        The rename makes the file appear whole or not at all. It is not fsynced: the server keeps
        the durable copy with its sha256, so a local copy lost to a crash is downloaded again, and
        a flush to disk would cost more than the download itself on slow disks.
        """
        self.file.close()
        try:
            self._verify(expected_sha256)
        except _AttemptFailedError:
            self.temp.unlink(missing_ok=True)
            raise
        os.replace(self.temp, self.target)
        return Downloaded(path=self.target, size_bytes=self.size, sha256=self.hash.hexdigest())

    def _verify(self, expected_sha256: str | None) -> None:
        method, url = self.response.request.method, str(self.response.request.url)
        length = self.response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) != self.size:
            raise _AttemptFailedError(
                APIConnectionError(
                    method=method,
                    url=url,
                    cause=f"the artifact ended after {self.size} of {length} bytes",
                ),
                retryable=True,
                retry_after=None,
            )
        got = self.hash.digest()
        announced = _digests(self.response.headers.get("repr-digest")).get("sha-256")
        wanted = [("Repr-Digest", announced)] if announced is not None else []
        if expected_sha256:
            wanted.append(("the acquisition's recorded sha256", bytes.fromhex(expected_sha256)))
        if not wanted:
            raise _AttemptFailedError(
                InvalidResponseError(
                    f"{method} {self.response.request.url.path} sent no Repr-Digest: sha-256 "
                    "header, so the artifact cannot be verified",
                    status_code=self.response.status_code,
                    method=method,
                    url=url,
                ),
                retryable=False,
                retry_after=None,
            )
        for source, digest in wanted:
            if digest != got:
                raise _AttemptFailedError(
                    InvalidResponseError(
                        f"the artifact from {self.response.request.url.path} does not match "
                        f"{source} (sha256 {got.hex()} != {digest.hex()}); nothing was written",
                        status_code=self.response.status_code,
                        method=method,
                        url=url,
                    ),
                    retryable=True,
                    retry_after=None,
                )


@contextmanager
def _artifact_file(target: Path, response: httpx.Response) -> Iterator[_ArtifactFile]:
    """A download's temporary file, removed again if the stream breaks off while it is written."""
    sink = _ArtifactFile(target, response)
    try:
        yield sink
    except BaseException:
        sink.abort()
        raise


class _TransportBase:
    """Configuration and decisions shared by the sync and async transports."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        _shared: _Shared | None = None,
        _api: AuthenticatedClient | None = None,
    ) -> None:
        setup_logging()
        self.options = options
        self._shared = _shared or _Shared()
        if _api is None:
            _api = AuthenticatedClient(base_url=options.base_url, token="")
            self._open_pool(_api)
        self._api = _api

    def _open_pool(self, api: AuthenticatedClient) -> None:
        """Give `api` its own httpx client (blocking or async)."""
        raise NotImplementedError

    def with_options(self, options: ClientOptions) -> Self:
        """A transport with other options on the same connection pool."""
        return type(self)(options, _shared=self._shared, _api=self._api)

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.options.base_url,
            "headers": default_headers(self.options),
            "timeout": self._timeout(),
            "follow_redirects": False,  # a redirect is an error we report, never a hop we take
        }

    def _timeout(self, read_s: float | None = None) -> httpx.Timeout:
        o = self.options
        return httpx.Timeout(
            o.timeout_s,
            connect=o.connect_timeout_s,
            read=o.timeout_s if read_s is None else read_s,
        )

    def _retry_delay_s(self, failure: _AttemptFailedError, attempt: int) -> float:
        """Seconds to wait before another attempt; raises the (scrubbed) error to give up."""
        delay = None
        if failure.retryable and attempt < self.options.max_retries:
            delay = retry_delay_s(attempt, retry_after=failure.retry_after)
        if delay is None:
            raise self._scrubbed(failure.error) from failure.error.__cause__
        logger.info(
            "retrying (%d of %d) in %.2f s after: %s",
            attempt + 1,
            self.options.max_retries,
            delay,
            self._scrubbed(failure.error),
        )
        return delay

    def _scrubbed(self, error: SemphonyApiError) -> SemphonyApiError:
        """`error` with our own token cut out of its message, whatever the server echoed."""
        token = self.options.token
        if token and token in error.message:
            error.message = error.message.replace(token, "***")
            error.args = (error.message,)
        return error

    def _needs_version_check(self, fn: Callable[..., Any]) -> bool:
        """Whether `fn` must wait for the API-version check (every call but the check's own)."""
        return fn not in _HEALTH_CALLS and not self._shared.version_checked

    def _cached_health(self, fresh: bool) -> Health | None:
        return None if fresh else self._shared.health

    def _check_version(self, health: Health) -> Health:
        check_api_version(health.api_version, url=self.options.base_url)
        self._shared.health = health
        self._shared.version_checked = True
        return health

    def set_lease_secret(self, secret: str | None) -> None:
        """Send `secret` as the `Lease-Secret` header from now on (None: stop sending it).

        A client holds at most one lease (there is one per instrument), so the header goes with
        every request of this connection pool; it is never logged.
        """
        headers = self._http_headers()
        if secret is None:
            headers.pop(LEASE_SECRET_HEADER, None)
        else:
            headers[LEASE_SECRET_HEADER] = secret

    def _http_headers(self) -> httpx.Headers:
        raise NotImplementedError

    def _check_open(self) -> None:
        if self._shared.closed:
            raise RuntimeError("this semphony client is closed")

    def _closing(self) -> bool:
        """Mark the pool closed; whether it was open (and so must be closed now)."""
        was_open = not self._shared.closed
        self._shared.closed = True
        return was_open


TransportT = TypeVar("TransportT", bound=_TransportBase)
"""A transport, sync or async: what the generic bases of the client's sync/async pairs hold."""

_HEALTH_CALLS: tuple[Callable[..., Any], ...] = (
    get_health.sync_detailed,
    get_health.asyncio_detailed,
)


def _artifact_path(image_id: str) -> str:
    return f"/v1/artifacts/{quote(image_id, safe='')}"


class SyncTransport(_TransportBase):
    """Blocking calls through the generated client, with retries and error mapping."""

    def _open_pool(self, api: AuthenticatedClient) -> None:
        http = httpx.Client(
            **self._client_kwargs(),
            event_hooks={"request": [_before_send], "response": [_after_receive]},
        )
        api.set_httpx_client(http)

    def close(self) -> None:
        """Close the connection pool (every `with_options` variant shares it)."""
        if self._closing():
            self._api.get_httpx_client().close()

    def _http_headers(self) -> httpx.Headers:
        return self._api.get_httpx_client().headers

    def call(
        self,
        fn: Callable[..., Response[Any]],
        expected: type[T] | None,
        *,
        read_timeout_s: float | None = None,
        **kwargs: Any,
    ) -> T:
        """Call a generated `*_detailed` function; return its parsed body as `expected`."""
        self._check_open()
        if self._needs_version_check(fn):
            self.ensure_compatible()
        kwargs = _with_idempotency_key(fn, kwargs)

        def once() -> T:
            with _attempt(self._timeout(read_timeout_s)) as exchange:
                try:
                    result = fn(client=self._api, **kwargs)
                except Exception as exc:  # every failure is interpreted below, once
                    return _interpret(None, exc, exchange, expected)
            return _interpret(result, None, exchange, expected)

        return self._retrying(once)

    def ensure_compatible(self, *, fresh: bool = False) -> Health:
        """Read `/v1/health` and check the API version (done before the first other call);
        the cached answer unless `fresh`."""
        with self._shared.version_lock:
            cached = self._cached_health(fresh)
            if cached is not None:
                return cached
            return self._check_version(self.call(get_health.sync_detailed, Health))

    def download(
        self, image_id: str, target: Path, *, expected_sha256: str | None = None
    ) -> Downloaded:
        """Stream an artifact to `target` atomically, verifying its digest."""
        self._check_open()
        http = self._api.get_httpx_client()

        def once() -> Downloaded:
            with (
                _attempt(self._timeout()),
                http.stream("GET", _artifact_path(image_id), headers=_ARTIFACT_HEADERS) as response,
            ):
                if response.status_code != 200:
                    response.read()
                    raise _status_failure(response)
                with _artifact_file(target, response) as sink:
                    for chunk in response.iter_bytes(_CHUNK_BYTES):
                        sink.write(chunk)
                return sink.commit(expected_sha256)

        return self._retrying(once)

    def _retrying(self, once: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return once()
            except _AttemptFailedError as failure:
                _sleep(self._retry_delay_s(failure, attempt))
                attempt += 1


class AsyncTransport(_TransportBase):
    """The async twin of `SyncTransport`; they differ only where they wait."""

    def _open_pool(self, api: AuthenticatedClient) -> None:
        http = httpx.AsyncClient(
            **self._client_kwargs(),
            event_hooks={"request": [_before_send_async], "response": [_after_receive_async]},
        )
        api.set_async_httpx_client(http)

    async def aclose(self) -> None:
        """Close the connection pool (every `with_options` variant shares it)."""
        if self._closing():
            await self._api.get_async_httpx_client().aclose()

    def _http_headers(self) -> httpx.Headers:
        return self._api.get_async_httpx_client().headers

    async def call(
        self,
        fn: Callable[..., Awaitable[Response[Any]]],
        expected: type[T] | None,
        *,
        read_timeout_s: float | None = None,
        **kwargs: Any,
    ) -> T:
        """Await a generated `asyncio_detailed` function; return its parsed body as `expected`."""
        self._check_open()
        if self._needs_version_check(fn):
            await self.ensure_compatible()
        kwargs = _with_idempotency_key(fn, kwargs)

        async def once() -> T:
            with _attempt(self._timeout(read_timeout_s)) as exchange:
                try:
                    result = await fn(client=self._api, **kwargs)
                except Exception as exc:  # every failure is interpreted below, once
                    return _interpret(None, exc, exchange, expected)
            return _interpret(result, None, exchange, expected)

        return await self._retrying(once)

    async def ensure_compatible(self, *, fresh: bool = False) -> Health:
        """Read `/v1/health` and check the API version (done before the first other call);
        the cached answer unless `fresh`."""
        async with self._shared.async_version_lock:
            cached = self._cached_health(fresh)
            if cached is not None:
                return cached
            return self._check_version(await self.call(get_health.asyncio_detailed, Health))

    async def download(
        self, image_id: str, target: Path, *, expected_sha256: str | None = None
    ) -> Downloaded:
        """Stream an artifact to `target` atomically, verifying its digest."""
        self._check_open()
        http = self._api.get_async_httpx_client()

        async def once() -> Downloaded:
            with _attempt(self._timeout()):
                async with http.stream(
                    "GET", _artifact_path(image_id), headers=_ARTIFACT_HEADERS
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                        raise _status_failure(response)
                    with _artifact_file(target, response) as sink:
                        async for chunk in response.aiter_bytes(_CHUNK_BYTES):
                            sink.write(chunk)
                    return sink.commit(expected_sha256)

        return await self._retrying(once)

    async def _retrying(self, once: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await once()
            except _AttemptFailedError as failure:
                await _async_sleep(self._retry_delay_s(failure, attempt))
                attempt += 1
