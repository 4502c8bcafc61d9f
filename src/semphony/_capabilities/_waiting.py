"""Waiting for a long operation, written once: long-poll, progress, timeout, cancel on interrupt.

`wait_operation` is steps (see `semphony._wire`): the sync and async transports run it alike.
An interrupt while it waits (Ctrl-C's `KeyboardInterrupt`, or the `asyncio.CancelledError` of a
cancelled task) or the timeout cancels the operation on the server first and waits until the
server says it ended, so the scan or move has stopped before the exception reaches the caller.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from semphony._base_client import ClientOptions, logger
from semphony._exceptions import APITimeoutError, SemphonyApiError, error_from_operation
from semphony._types import Operation
from semphony._wire import Steps, calls

__all__ = [
    "CANCEL_CONFIRM_WAIT_S",
    "TERMINAL",
    "ProgressArg",
    "ProgressSink",
    "cancel_quietly",
    "wait_operation",
]

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# After asking for a cancel, how long to long-poll for the server to confirm the device stopped.
CANCEL_CONFIRM_WAIT_S = 10.0

ProgressArg = bool | Callable[[int, int, str], None] | None
"""`True` draws a rich progress bar; a callable gets `(done, total, unit)` after each poll."""

# With a progress display the client polls often enough for the bar to move smoothly.
_PROGRESS_POLL_S = 0.25


class ProgressSink:
    """Where an operation's progress goes: nowhere, a rich bar, or a callback."""

    def __init__(self, progress: ProgressArg, description: str) -> None:
        self._callback = progress if callable(progress) else None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if progress is True:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TimeElapsedColumn(),
            )
        self._description = description

    @property
    def active(self) -> bool:
        return self._bar is not None or self._callback is not None

    def __enter__(self) -> ProgressSink:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int, total: int, unit: str) -> None:
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task(self._description, total=total or None, unit=unit)
            self._bar.update(self._task, completed=done, total=total or None)
        if self._callback is not None:
            self._callback(done, total, unit)


class _Wait:
    """The bookkeeping of waiting for one operation: deadline, poll length, outcome."""

    def __init__(self, options: ClientOptions, timeout_s: float | None) -> None:
        self._options = options
        self._timeout_s = timeout_s
        self._deadline = None if timeout_s is None else time.monotonic() + timeout_s

    def poll_wait_s(self, progress_shown: bool) -> float | None:
        """How long the next long-poll may wait, or None when the timeout has passed."""
        wait_s = self._options.poll_wait_s
        if progress_shown:
            wait_s = min(wait_s, _PROGRESS_POLL_S)
        if self._deadline is not None:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return None
            wait_s = min(wait_s, remaining)
        return wait_s

    def poll(self, operation_id: str, wait_s: float) -> Any:
        read_s = self._options.long_poll_read_timeout_s(wait_s)
        return calls.get_operation(operation_id, wait_s=wait_s, read_timeout_s=read_s)

    def timed_out(self, op: Operation) -> APITimeoutError:
        return APITimeoutError(
            f"operation {op.id} ({op.kind}) did not finish within {self._timeout_s:g} s "
            "and was cancelled",
            timeout_s=self._timeout_s,
        )


def cancel_quietly(operation_id: str, options: ClientOptions) -> Steps[Operation | None]:
    """Cancel an operation and wait until the server says it stopped; log rather than raise.

    The server answers the cancel at once; the device stops at its next line or step, so the
    operation is long-polled until it ends (at most CANCEL_CONFIRM_WAIT_S).
    """
    try:
        operation: Operation = yield calls.cancel_operation(operation_id)
        if operation.status not in TERMINAL:
            read_s = options.long_poll_read_timeout_s(CANCEL_CONFIRM_WAIT_S)
            operation = yield calls.get_operation(
                operation_id, wait_s=CANCEL_CONFIRM_WAIT_S, read_timeout_s=read_s, essential=True
            )
    except SemphonyApiError as exc:
        logger.warning("could not cancel operation %s: %s", operation_id, exc)
        return None
    if operation.status not in TERMINAL:
        logger.warning("operation %s is still %s after the cancel", operation_id, operation.status)
    return operation


def wait_operation(
    operation: Operation,
    options: ClientOptions,
    *,
    timeout_s: float | None = None,
    progress: ProgressArg = None,
    description: str = "",
) -> Steps[Operation]:
    """Long-poll `operation` until it ends; return it if it succeeded, raise otherwise."""
    wait = _Wait(options, timeout_s)
    with ProgressSink(progress, description or operation.kind) as sink:
        try:
            while True:
                sink.update(
                    operation.progress.done, operation.progress.total, operation.progress.unit
                )
                if operation.status in TERMINAL:
                    break
                wait_s = wait.poll_wait_s(sink.active)
                if wait_s is None:
                    yield from cancel_quietly(operation.id, options)
                    raise wait.timed_out(operation)
                operation = yield wait.poll(operation.id, wait_s)
        except (KeyboardInterrupt, asyncio.CancelledError):
            logger.warning("interrupted: cancelling operation %s on the server", operation.id)
            # The interrupt has been delivered, so this cleanup runs; a second one would stop
            # it, and that is the caller's explicit wish.
            yield from cancel_quietly(operation.id, options)
            raise
    if operation.status != "succeeded":
        raise error_from_operation(
            operation.id, status=operation.status, kind=operation.kind, problem=operation.problem
        )
    return operation
