"""Waiting for a long operation: long-poll, progress, timeout, and cancel on Ctrl-C."""

from __future__ import annotations

from semphony_api.api.operations import cancel_operation, get_operation
from semphony_api.models.operation import Operation

from semphony._base_client import logger
from semphony._capabilities._base import CANCEL_CONFIRM_WAIT_S, TERMINAL, OperationWait, ProgressArg
from semphony._exceptions import SemphonyApiError
from semphony._transport import SyncTransport

__all__ = ["TERMINAL", "ProgressArg", "cancel_quietly", "wait_operation"]


def cancel_quietly(transport: SyncTransport, operation_id: str) -> Operation | None:
    """Cancel an operation and wait until the server says it stopped; log rather than raise.

    The server answers the cancel at once; the device stops at its next line or step, so the
    operation is long-polled until it ends (at most CANCEL_CONFIRM_WAIT_S).
    """
    try:
        operation = transport.call(
            cancel_operation.sync_detailed, Operation, operation_id=operation_id
        )
        if operation.status not in TERMINAL:
            operation = transport.call(
                get_operation.sync_detailed,
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
                    cancel_quietly(transport, operation.id)
                    raise wait.timed_out()
                wait.update(transport.call(get_operation.sync_detailed, Operation, **poll))
        except KeyboardInterrupt:
            logger.warning("interrupted: cancelling operation %s on the server", operation.id)
            cancel_quietly(transport, operation.id)
            raise
    return wait.outcome()
