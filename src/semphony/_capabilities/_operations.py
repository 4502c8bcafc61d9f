"""Waiting for a long operation: long-poll, progress, timeout, and cancel on Ctrl-C."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from semphony_api.api.operations import cancel_operation, get_operation
from semphony_api.models.operation import Operation

from semphony._base_client import logger
from semphony._exceptions import APITimeoutError, SemphonyApiError, error_from_operation
from semphony._transport import SyncTransport

__all__ = ["TERMINAL", "ProgressArg", "cancel_quietly", "wait_operation"]

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})

ProgressArg = bool | Callable[[int, int, str], None] | None
"""`True` draws a rich progress bar; a callable gets `(done, total, unit)` after each poll."""

# With a progress display the client polls often enough for the bar to move smoothly.
_PROGRESS_POLL_S = 0.25


class _ProgressSink:
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

    def __enter__(self) -> _ProgressSink:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, operation: Operation) -> None:
        done, total, unit = (
            operation.progress.done,
            operation.progress.total,
            operation.progress.unit,
        )
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task(self._description, total=total or None, unit=unit)
            self._bar.update(self._task, completed=done, total=total or None)
        if self._callback is not None:
            self._callback(done, total, unit)


def cancel_quietly(transport: SyncTransport, operation_id: str) -> Operation | None:
    """Ask the server to cancel an operation; log rather than raise if that fails too."""
    try:
        return transport.call(cancel_operation.sync_detailed, Operation, operation_id=operation_id)
    except SemphonyApiError as exc:
        logger.warning("could not cancel operation %s: %s", operation_id, exc)
        return None


def _problem(operation: Operation) -> dict[str, Any] | None:
    return operation.problem.to_dict() if operation.problem is not None else None


def wait_operation(
    transport: SyncTransport,
    operation: Operation,
    *,
    timeout_s: float | None = None,
    progress: ProgressArg = None,
    description: str = "",
) -> Operation:
    """Long-poll `operation` until it ends; return it if it succeeded, raise otherwise.

    Ctrl-C (KeyboardInterrupt) or the timeout cancels the operation on the server first, so the
    scan or move stops before the exception reaches the caller.
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    poll_s = transport.options.poll_wait_s
    with _ProgressSink(progress, description or operation.kind) as sink:
        try:
            sink.update(operation)
            while operation.status not in TERMINAL:
                wait_s = min(poll_s, _PROGRESS_POLL_S) if sink.active else poll_s
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        cancel_quietly(transport, operation.id)
                        raise APITimeoutError(
                            f"operation {operation.id} ({operation.kind}) did not finish within "
                            f"{timeout_s:g} s and was cancelled",
                            timeout_s=timeout_s,
                        )
                    wait_s = min(wait_s, remaining)
                operation = transport.call(
                    get_operation.sync_detailed,
                    Operation,
                    operation_id=operation.id,
                    wait_s=wait_s,
                    read_timeout_s=transport.options.long_poll_read_timeout_s(wait_s),
                )
                sink.update(operation)
        except KeyboardInterrupt:
            logger.warning("interrupted: cancelling operation %s on the server", operation.id)
            cancel_quietly(transport, operation.id)
            raise
    if operation.status != "succeeded":
        raise error_from_operation(
            operation.id, status=operation.status, kind=operation.kind, problem=_problem(operation)
        )
    return operation
