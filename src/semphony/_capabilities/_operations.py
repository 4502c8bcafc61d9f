"""Waiting for a long operation: long-poll, progress, timeout, and cancel on Ctrl-C."""

from __future__ import annotations

from semphony_api.api.operations import cancel_operation, get_operation
from semphony_api.models.operation import Operation

from semphony._base_client import logger
from semphony._capabilities._base import TERMINAL, OperationWait, ProgressArg
from semphony._exceptions import SemphonyApiError
from semphony._transport import SyncTransport

__all__ = ["TERMINAL", "ProgressArg", "cancel_quietly", "wait_operation"]


def cancel_quietly(transport: SyncTransport, operation_id: str) -> Operation | None:
    """Ask the server to cancel an operation; log rather than raise if that fails too."""
    try:
        return transport.call(cancel_operation.sync_detailed, Operation, operation_id=operation_id)
    except SemphonyApiError as exc:
        logger.warning("could not cancel operation %s: %s", operation_id, exc)
        return None


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
