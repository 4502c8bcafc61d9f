"""What the SDK asks of the wire, as values: prepared calls, downloads, work to run off the loop.

Every SDK command is written once, as *steps*: a generator that yields requests and receives
their answers (`answer = yield call`). The sync transport answers them blocking, the async one
awaiting, so the logic (guardrails, bodies, waiting for an operation, cancel on interrupt) is
written once and only the loop that sends differs. An exception raised while answering is
thrown into the steps, which may clean up (cancel an operation) before it propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from semphony_api.types import Response

__all__ = [
    "Call",
    "Download",
    "Drive",
    "Endpoint",
    "Offload",
    "Request",
    "Steps",
    "one",
    "run_blocking",
]

T = TypeVar("T")


class Endpoint(Protocol):
    """A generated endpoint module: its `sync_detailed` and `asyncio_detailed` functions."""

    @property
    def sync_detailed(self) -> Callable[..., Response[Any]]: ...

    @property
    def asyncio_detailed(self) -> Callable[..., Awaitable[Response[Any]]]: ...


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call, prepared: the endpoint, its arguments, and how its answer becomes a `T`.

    `expected` is the generated document class a 2xx answer must parse into (None: no body);
    `parse` turns it into the SDK's own type, validated once. An `essential` call is still sent
    after the caller gave up (the cancel of an interrupted operation). A call that `starts` an
    operation is never abandoned half-way: interrupted, it is still awaited, so that the steps
    learn the operation's id and can cancel it.
    """

    endpoint: Endpoint
    expected: type[Any] | None
    parse: Callable[[Any], T]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    read_timeout_s: float | None = None
    essential: bool = False
    starts: bool = False


@dataclass(frozen=True)
class Download:
    """Stream the artifact `image_id` to `target`, atomically, verifying its digest."""

    image_id: str
    target: Path
    expected_sha256: str | None = None


@dataclass(frozen=True)
class Offload(Generic[T]):
    """CPU-bound work (decoding a TIFF): run in a worker thread by the async transport."""

    fn: Callable[[], T]


Request = Call[Any] | Download | Offload[Any]
Steps = Generator[Request, Any, T]
"""A command written once: yields requests, receives their answers, returns a `T`."""


class Drive(Generic[T]):
    """Steps advanced one request at a time; the transports answer `request` until `done`."""

    def __init__(self, steps: Steps[T]) -> None:
        self._steps = steps
        self.done = False
        self.request: Request | None = None
        self._result: T | None = None
        self._advance(lambda: next(steps))

    @property
    def result(self) -> T:
        """What the steps returned (once `done`)."""
        return self._result  # type: ignore[return-value]

    def send(self, answer: object) -> None:
        """Give the steps the answer to their request."""
        self._advance(lambda: self._steps.send(answer))

    def throw(self, exc: BaseException) -> None:
        """Raise `exc` inside the steps, where their request was being answered."""
        self._advance(lambda: self._steps.throw(exc))

    def _advance(self, step: Callable[[], Request]) -> None:
        try:
            self.request = step()
        except StopIteration as stop:
            self.done = True
            self.request = None
            self._result = stop.value


def one(call: Call[T]) -> Steps[T]:
    """Steps of a single call: its answer."""
    answer: T = yield call
    return answer


def run_blocking(steps: Steps[T], perform: Callable[[Request | None], Any]) -> T:
    """Answer each request of `steps` with `perform`, blocking; what the steps return.

    An exception raised while answering is thrown into the steps, which may clean up (cancel an
    operation) and re-raise it.
    """
    drive = Drive(steps)
    while not drive.done:
        try:
            answer = perform(drive.request)
        except BaseException as exc:  # the steps may clean up (cancel) and re-raise
            drive.throw(exc)
        else:
            drive.send(answer)
    return drive.result
