"""Cancelling an operation waits for the server to say the device stopped."""

from __future__ import annotations

import asyncio
from typing import Any

from semphony_api.api.operations import cancel_operation, get_operation

from semphony._capabilities._async_operations import async_cancel_quietly
from semphony._capabilities._base import CANCEL_CONFIRM_WAIT_S
from semphony._capabilities._operations import cancel_quietly


class _Op:
    def __init__(self, status: str) -> None:
        self.status = status


class _Transport:
    """Answers the cancel with a still-running operation, the long-poll with its end."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def call(self, fn: Any, _expected: Any, **kwargs: Any) -> _Op:
        self.calls.append((fn, kwargs))
        return _Op("running" if fn is cancel_operation.sync_detailed else "cancelled")


class _AsyncTransport(_Transport):
    async def call(self, fn: Any, _expected: Any, **kwargs: Any) -> _Op:  # type: ignore[override]
        self.calls.append((fn, kwargs))
        return _Op("running" if fn is cancel_operation.asyncio_detailed else "cancelled")


def test_a_cancel_answered_while_running_is_followed_until_the_operation_ends() -> None:
    transport = _Transport()
    operation = cancel_quietly(transport, "op_1")  # type: ignore[arg-type]
    assert operation is not None
    assert operation.status == "cancelled"
    expected: list[Any] = [cancel_operation.sync_detailed, get_operation.sync_detailed]
    assert [fn for fn, _ in transport.calls] == expected
    assert transport.calls[1][1] == {"operation_id": "op_1", "wait_s": CANCEL_CONFIRM_WAIT_S}


def test_the_async_cancel_also_waits_for_the_end() -> None:
    transport = _AsyncTransport()
    operation = asyncio.run(async_cancel_quietly(transport, "op_2"))  # type: ignore[arg-type]
    assert operation is not None
    assert operation.status == "cancelled"
    expected: list[Any] = [cancel_operation.asyncio_detailed, get_operation.asyncio_detailed]
    assert [fn for fn, _ in transport.calls] == expected
