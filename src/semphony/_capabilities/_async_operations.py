"""Waiting for a long operation from async code: long-poll, progress, timeout, and cancel when
the waiting task is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from semphony_api.api.operations import cancel_operation, get_operation
from semphony_api.models.operation import Operation

from semphony._base_client import logger
from semphony._capabilities._base import CANCEL_CONFIRM_WAIT_S, TERMINAL, OperationWait, ProgressArg
from semphony._exceptions import SemphonyApiError
from semphony._transport import AsyncTransport

__all__ = ["async_cancel_quietly", "async_start_operation", "async_wait_operation"]


async def async_cancel_quietly(transport: AsyncTransport, operation_id: str) -> Operation | None:
    """Cancel an operation and wait until the server says it stopped; log rather than raise.

    The server answers the cancel at once; the device stops at its next line or step, so the
    operation is long-polled until it ends (at most CANCEL_CONFIRM_WAIT_S).
    """
    try:
        operation = await transport.call(
            cancel_operation.asyncio_detailed, Operation, operation_id=operation_id
        )
        if operation.status not in TERMINAL:
            operation = await transport.call(
                get_operation.asyncio_detailed,
                Operation,
                operation_id=operation_id,
                wait_s=CANCEL_CONFIRM_WAIT_S,
            )
    except SemphonyApiError as exc:
        logger.warning("could not cancel operation %s: %s", operation_id, exc)
        return None
    if operation.status not in TERMINAL:
        logger.warning("operation %s is still %s after the cancel", operation_id, operation.status)
    return operation


async def async_start_operation(
    transport: AsyncTransport, fn: Callable[..., Awaitable[Any]], **kwargs: Any
) -> Operation:
    """Send a command that starts an operation; a cancel that lands while it is on the wire
    still learns which operation it started and cancels that one before propagating.

    Without this, a task cancelled between the POST and its 202 would leave the scan or move it
    had just started running on the server, with nobody to stop it.
    """
    sent = asyncio.ensure_future(transport.call(fn, Operation, **kwargs))
    try:
        return await asyncio.shield(sent)
    except asyncio.CancelledError:
        try:
            operation = await sent
        except Exception:
            raise asyncio.CancelledError from None  # it started nothing: just propagate
        logger.warning("interrupted: cancelling operation %s on the server", operation.id)
        await async_cancel_quietly(transport, operation.id)
        raise


async def async_wait_operation(
    transport: AsyncTransport,
    operation: Operation,
    *,
    timeout_s: float | None = None,
    progress: ProgressArg = None,
    description: str = "",
) -> Operation:
    """Long-poll `operation` until it ends; return it if it succeeded, raise otherwise.

    Cancelling the waiting task (`asyncio.CancelledError`, which is also what `asyncio.run` turns
    Ctrl-C into) or the timeout cancels the operation on the server first, so the scan or move
    stops before the exception reaches the caller.
    """
    wait = OperationWait(
        operation,
        transport.options,
        timeout_s=timeout_s,
        progress=progress,
        description=description,
    )
    with wait.sink:
        try:
            wait.update(operation)
            while wait.pending:
                poll = wait.poll_arguments()
                if poll is None:
                    await async_cancel_quietly(transport, operation.id)
                    raise wait.timed_out()
                wait.update(await transport.call(get_operation.asyncio_detailed, Operation, **poll))
        except (asyncio.CancelledError, KeyboardInterrupt):
            logger.warning("interrupted: cancelling operation %s on the server", operation.id)
            # The task's cancellation has been delivered, so this await runs; a second cancel
            # would interrupt it, and that is the caller's explicit wish.
            await async_cancel_quietly(transport, operation.id)
            raise
    return wait.outcome()
