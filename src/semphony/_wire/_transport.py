"""The transports: the one place that sends, over httpx and the generated client (`semphony_api`).

A transport answers the requests of `_requests` (prepared calls, downloads, offloaded work) and
runs *steps* (`run(steps)`), the SDK's commands written once; the sync and async transports
differ only where they wait. Around each call: one `Idempotency-Key` per logical call, reused on
every retry; retries of connection errors, 429 and 5xx with backoff (`_base_client`); and the
mapping of every outcome to the SDK's own errors, once (`_failures`). Artifacts are streamed
through the generated client's own httpx client (`_artifacts`; the generated download buffers
the whole body).
"""

from __future__ import annotations

import asyncio
import inspect
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

import httpx
from semphony_api.client import AuthenticatedClient

from semphony._base_client import (
    ClientOptions,
    check_api_version,
    default_headers,
    logger,
    retry_delay_s,
    setup_logging,
)
from semphony._exceptions import (
    SemphonyApiError,
)
from semphony._types import Health
from semphony._wire import _calls
from semphony._wire._artifacts import (
    ARTIFACT_HEADERS,
    CHUNK_BYTES,
    Downloaded,
    artifact_file,
    artifact_path,
    link_local,
)
from semphony._wire._failures import (
    AttemptFailedError,
    after_receive,
    after_receive_async,
    attempt,
    before_send,
    before_send_async,
    interpret,
    status_failure,
)
from semphony._wire._requests import Call, Download, Drive, Offload, Request, Steps, run_blocking

__all__ = ["AsyncTransport", "Downloaded", "SyncTransport", "TransportBase", "mask_token"]

LEASE_SECRET_HEADER = "Lease-Secret"

T = TypeVar("T")

# The retry loops wait through these names, so tests can record the delays instead of sleeping.
_sleep = time.sleep
_async_sleep = asyncio.sleep


def mask_token(text: str, token: str) -> str:
    """`text` with every whole occurrence of `token` replaced by `***` (never inside a word)."""
    if not token:
        return text
    edge = r"A-Za-z0-9_-"  # the characters of a word (and of a generated token)
    return re.sub(rf"(?<![{edge}]){re.escape(token)}(?![{edge}])", "***", text)


class _Shared:
    """State every `with_options` variant of one client shares."""

    def __init__(self) -> None:
        self.version_checked = False
        self.health: Health | None = None
        self.version_lock = threading.Lock()
        self.async_version_lock = asyncio.Lock()
        self.closed = False


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


class TransportBase:
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

    def _retry_delay_s(self, failure: AttemptFailedError, attempt: int) -> float:
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
        masked = mask_token(error.message, self.options.token)
        if masked != error.message:
            error.message = masked
            error.args = (masked,)
        return error

    def _needs_version_check(self, call: Call[Any]) -> bool:
        """Whether `call` must wait for the API-version check (every call but the check's own)."""
        return call.expected is not _HEALTH_DOC and not self._shared.version_checked

    def _cached_health(self, fresh: bool) -> Health | None:
        return None if fresh else self._shared.health

    def _check_version(self, health: Health) -> Health:
        check_api_version(health.api_version, url=self.options.base_url)
        self._shared.health = health
        self._shared.version_checked = True
        return health

    def _linked(self, request: Download) -> Downloaded | None:
        """The download as a hard link to the stored file, when the server is on this machine."""
        folder = self.options.local_artifacts
        if folder is None:
            return None
        if not request.target.parent.is_dir():
            raise FileNotFoundError(
                2, f"the folder {request.target.parent} does not exist", str(request.target.parent)
            )
        return link_local(folder, request.image_id, request.target, request.expected_sha256)

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


_HEALTH_DOC = _calls.health().expected


class _InterruptedError(Exception):
    """The answer of a call that starts an operation, and the cancellation that came meanwhile."""

    def __init__(self, answer: object, error: BaseException) -> None:
        super().__init__("interrupted while starting an operation")
        self.answer = answer
        self.error = error


class SyncTransport(TransportBase):
    """Blocking calls through the generated client, with retries and error mapping."""

    def _open_pool(self, api: AuthenticatedClient) -> None:
        http = httpx.Client(
            **self._client_kwargs(),
            event_hooks={"request": [before_send], "response": [after_receive]},
        )
        api.set_httpx_client(http)

    def close(self) -> None:
        """Close the connection pool (every `with_options` variant shares it)."""
        if self._closing():
            self._api.get_httpx_client().close()

    def _http_headers(self) -> httpx.Headers:
        return self._api.get_httpx_client().headers

    def run(self, steps: Steps[T]) -> T:
        """Answer each request of `steps` in turn; what they return."""
        return run_blocking(steps, self.perform)

    def perform(self, request: Request | None) -> Any:
        """Answer one request: send a call, stream a download, or run the offloaded work."""
        if isinstance(request, Call):
            return self.send(request)
        if isinstance(request, Download):
            return self.download(request)
        assert isinstance(request, Offload)
        return request.fn()

    def send(self, call: Call[T]) -> T:
        """Send a prepared call (retried as its status allows); its answer as the SDK's type."""
        self._check_open()
        if self._needs_version_check(call):
            self.ensure_compatible()
        fn = call.endpoint.sync_detailed
        kwargs = _with_idempotency_key(fn, dict(call.kwargs))

        def once() -> T:
            with attempt(self._timeout(call.read_timeout_s)) as exchange:
                try:
                    result = fn(client=self._api, **kwargs)
                except Exception as exc:  # every failure is interpreted below, once
                    return interpret(None, exc, exchange, call)
            return interpret(result, None, exchange, call)

        return self._retrying(once)

    def ensure_compatible(self, *, fresh: bool = False) -> Health:
        """Read `/v1/health` and check the API version (done before the first other call);
        the cached answer unless `fresh`."""
        with self._shared.version_lock:
            cached = self._cached_health(fresh)
            if cached is not None:
                return cached
            return self._check_version(self.send(_calls.health()))

    def download(self, request: Download) -> Downloaded:
        """Stream an artifact to its target atomically, verifying its digest."""
        self._check_open()
        linked = self._linked(request)
        if linked is not None:
            return linked
        http = self._api.get_httpx_client()
        path = artifact_path(request.image_id)

        def once() -> Downloaded:
            with (
                attempt(self._timeout()),
                http.stream("GET", path, headers=ARTIFACT_HEADERS) as response,
            ):
                if response.status_code != 200:
                    response.read()
                    raise status_failure(response)
                with artifact_file(request.target, response) as sink:
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        sink.write(chunk)
                return sink.commit(request.expected_sha256)

        return self._retrying(once)

    def _retrying(self, once: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return once()
            except AttemptFailedError as failure:
                _sleep(self._retry_delay_s(failure, attempt))
                attempt += 1


class AsyncTransport(TransportBase):
    """The async twin of `SyncTransport`; they differ only where they wait."""

    def _open_pool(self, api: AuthenticatedClient) -> None:
        http = httpx.AsyncClient(
            **self._client_kwargs(),
            event_hooks={"request": [before_send_async], "response": [after_receive_async]},
        )
        api.set_async_httpx_client(http)

    async def aclose(self) -> None:
        """Close the connection pool (every `with_options` variant shares it)."""
        if self._closing():
            await self._api.get_async_httpx_client().aclose()

    def _http_headers(self) -> httpx.Headers:
        return self._api.get_async_httpx_client().headers

    async def run(self, steps: Steps[T]) -> T:
        """Answer each request of `steps` in turn; what they return. A cancellation of the
        awaiting task is thrown into the steps, which cancel their operation on the server."""
        drive = Drive(steps)
        interrupted: BaseException | None = None
        while not drive.done:
            try:
                if interrupted is not None:  # delivered now that the operation is known
                    raise interrupted
                answer = await self._answer(drive.request)
            except _InterruptedError as late:
                interrupted = late.error
                drive.send(late.answer)
                continue
            except BaseException as exc:  # the steps may clean up (cancel) and re-raise
                interrupted = None
                drive.throw(exc)
            else:
                drive.send(answer)
        return drive.result

    async def _answer(self, request: Request | None) -> Any:
        """`perform(request)`; a call that starts an operation runs to its answer even when the
        task is cancelled meanwhile (`_InterruptedError` then carries both)."""
        if not (isinstance(request, Call) and request.starts):
            return await self.perform(request)
        sending = asyncio.ensure_future(self.perform(request))
        try:
            return await asyncio.shield(sending)
        except asyncio.CancelledError as exc:
            raise _InterruptedError(await sending, exc) from None

    async def perform(self, request: Request | None) -> Any:
        """Answer one request; offloaded work runs in a worker thread, off the event loop."""
        if isinstance(request, Call):
            return await self.send(request)
        if isinstance(request, Download):
            return await self.download(request)
        assert isinstance(request, Offload)
        return await asyncio.to_thread(request.fn)

    async def send(self, call: Call[T]) -> T:
        """Send a prepared call (retried as its status allows); its answer as the SDK's type."""
        self._check_open()
        if self._needs_version_check(call):
            await self.ensure_compatible()
        fn = call.endpoint.asyncio_detailed
        kwargs = _with_idempotency_key(fn, dict(call.kwargs))

        async def once() -> T:
            with attempt(self._timeout(call.read_timeout_s)) as exchange:
                try:
                    result = await fn(client=self._api, **kwargs)
                except Exception as exc:  # every failure is interpreted below, once
                    return interpret(None, exc, exchange, call)
            return interpret(result, None, exchange, call)

        return await self._retrying(once)

    async def ensure_compatible(self, *, fresh: bool = False) -> Health:
        """Read `/v1/health` and check the API version (done before the first other call);
        the cached answer unless `fresh`."""
        async with self._shared.async_version_lock:
            cached = self._cached_health(fresh)
            if cached is not None:
                return cached
            return self._check_version(await self.send(_calls.health()))

    async def download(self, request: Download) -> Downloaded:
        """Stream an artifact to its target atomically, verifying its digest."""
        self._check_open()
        linked = await asyncio.to_thread(self._linked, request)
        if linked is not None:
            return linked
        http = self._api.get_async_httpx_client()
        path = artifact_path(request.image_id)

        async def once() -> Downloaded:
            with attempt(self._timeout()):
                async with http.stream("GET", path, headers=ARTIFACT_HEADERS) as response:
                    if response.status_code != 200:
                        await response.aread()
                        raise status_failure(response)
                    with artifact_file(request.target, response) as sink:
                        async for chunk in response.aiter_bytes(CHUNK_BYTES):
                            sink.write(chunk)
                    return sink.commit(request.expected_sha256)

        return await self._retrying(once)

    async def _retrying(self, once: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await once()
            except AttemptFailedError as failure:
                await _async_sleep(self._retry_delay_s(failure, attempt))
                attempt += 1
