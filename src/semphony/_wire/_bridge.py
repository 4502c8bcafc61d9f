"""A blocking transport over an async one: steps run in a worker thread, their calls on the loop.

`AsyncSemphony` runs the ROI engine (blocking code over a session's public capabilities) in a
worker thread. Its capabilities there run on a `LoopBridge`: each request is submitted to the
event loop that owns the async transport, and the worker waits for the answer; the loop stays
free meanwhile (heartbeat, other tasks).

`cancel()` (called on the loop when the task awaiting the engine is cancelled) cancels the
request in flight and refuses every later one except the *essential* calls a cleanup makes (the
cancel of the operation that was interrupted), so the engine stops at its next request and
nothing is left running on the instrument.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from semphony._base_client import ClientOptions
from semphony._wire._requests import Call, Offload, Request, Steps, run_blocking
from semphony._wire._transport import AsyncTransport

__all__ = ["LoopBridge"]

T = TypeVar("T")


class LoopBridge:
    """Runs steps blocking (in a worker thread) with their requests answered on `loop`."""

    def __init__(self, transport: AsyncTransport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._cancelled = threading.Event()
        self._in_flight: asyncio.Task[Any] | None = None  # touched on the loop thread only

    @property
    def options(self) -> ClientOptions:
        return self._transport.options

    @property
    def cancelled(self) -> bool:
        """Whether requests are refused now (essential calls aside)."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Refuse later requests and cancel the one in flight (call on the loop thread)."""
        self._cancelled.set()
        if self._in_flight is not None:
            self._in_flight.cancel()

    def set_lease_secret(self, secret: str | None) -> None:
        """The async transport's lease secret (the header its requests carry)."""
        self._transport.set_lease_secret(secret)

    def run(self, steps: Steps[T]) -> T:
        """Answer each request of `steps` in turn (call from the worker thread)."""
        return run_blocking(steps, self.perform)

    def perform(self, request: Request | None) -> Any:
        """Answer one request on the loop; offloaded work runs here, in the worker."""
        if isinstance(request, Offload):
            return request.fn()
        essential = isinstance(request, Call) and request.essential
        if self._cancelled.is_set() and not essential:
            raise asyncio.CancelledError("the task running the ROI engine was cancelled")
        future = asyncio.run_coroutine_threadsafe(self._tracked(request, essential), self._loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise asyncio.CancelledError("the task running the ROI engine was cancelled") from None

    async def _tracked(self, request: Request | None, essential: bool) -> Any:
        # `cancel` and this check both run on the loop thread, so a request submitted just
        # before the cancellation is either refused here or cancelled there: never missed.
        if self._cancelled.is_set() and not essential:
            raise asyncio.CancelledError
        coro: Coroutine[Any, Any, Any] = self._transport.perform(request)
        if essential or (isinstance(request, Call) and request.starts):
            # Not cancellable half-way: the steps must learn the operation to cancel it.
            return await coro
        self._in_flight = asyncio.current_task()
        try:
            return await coro
        finally:
            self._in_flight = None
