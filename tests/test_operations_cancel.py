"""Cancelling an operation waits for the server to say the device stopped; an interrupt cancels."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from semphony._base_client import ClientOptions
from semphony._capabilities import cancel_quietly, wait_operation
from semphony._capabilities._waiting import CANCEL_CONFIRM_WAIT_S
from semphony._types import Operation, OperationProgress
from semphony._wire import Call, Steps
from semphony._wire._requests import Drive

OPTIONS = ClientOptions(base_url="http://127.0.0.1:1", token="")


def _op(status: str) -> Operation:
    now = datetime.now(UTC)
    return Operation(
        id="op_1",
        kind="acquisition",
        status=status,
        run_id="run_1",
        session_id="ses_1",
        created_at=now,
        updated_at=now,
        progress=OperationProgress(done=0, total=10, unit="lines"),
    )


def _drive(steps: Steps[Any], answer: Any) -> list[Call[Any]]:
    """Run `steps`, answering every call with `answer(call)`; the calls in order."""
    seen: list[Call[Any]] = []
    drive = Drive(steps)
    while not drive.done:
        call = drive.request
        assert isinstance(call, Call)
        seen.append(call)
        try:
            reply = answer(call)
        except BaseException as exc:
            drive.throw(exc)
        else:
            drive.send(reply)
    return seen


def _name(call: Call[Any]) -> str:
    name: str = getattr(call.endpoint, "__name__", "")
    return name.rsplit(".", 1)[-1]


def test_a_cancel_answered_while_running_is_followed_until_the_operation_ends() -> None:
    def answer(call: Call[Any]) -> Operation:
        return _op("running" if _name(call) == "cancel_operation" else "cancelled")

    seen = _drive(cancel_quietly("op_1", OPTIONS), answer)
    assert [_name(c) for c in seen] == ["cancel_operation", "get_operation"]
    assert seen[1].kwargs == {"operation_id": "op_1", "wait_s": CANCEL_CONFIRM_WAIT_S}
    assert all(c.essential for c in seen)  # still sent after the caller gave up


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, asyncio.CancelledError])
def test_an_interrupt_while_waiting_cancels_the_operation_then_propagates(
    interrupt: type[BaseException],
) -> None:
    sent: list[str] = []

    def answer(call: Call[Any]) -> Operation:
        sent.append(_name(call))
        if _name(call) == "get_operation" and not call.essential:
            raise interrupt  # Ctrl-C, or the awaiting task cancelled, during the long-poll
        return _op("cancelled")

    with pytest.raises(interrupt):
        _drive(wait_operation(_op("running"), OPTIONS), answer)
    assert sent == ["get_operation", "cancel_operation"]
