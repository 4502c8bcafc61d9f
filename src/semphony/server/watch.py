"""Waiting for an operation to end without holding a thread: the long-poll's event.

The operation runner calls `finished(op)` from its worker thread when an operation reaches a
terminal status; every `wait(...)` awaiting that operation on the event loop wakes at once and is
handed the terminal record itself (no database read per waiter), so thousands of pending
long-polls cost one `asyncio.Event` and no worker threads. Recently finished records are kept
(`KEEP` of them) so a waiter that arrives just after the end is answered from memory too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict

from semphony.server.store import Operation

__all__ = ["OperationWatch"]


class _Waiters:
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.count = 0


class OperationWatch:
    """Terminal-status notifications, from any thread to waiters on one event loop."""

    KEEP = 1024

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[str, _Waiters] = {}
        self._finished: OrderedDict[str, Operation] = OrderedDict()
        self.notified = 0
        """How many terminal notifications arrived (for tests that count events)."""

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver notifications on `loop` (the server's event loop), from now on."""
        self._loop = loop

    def finished(self, op: Operation) -> None:
        """Tell the waiters `op` has ended (call from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody is left waiting
            loop.call_soon_threadsafe(self._deliver, op)

    def _deliver(self, op: Operation) -> None:
        self.notified += 1
        self._finished[op.id] = op
        self._finished.move_to_end(op.id)
        while len(self._finished) > self.KEEP:
            self._finished.popitem(last=False)
        waiters = self._waiting.pop(op.id, None)
        if waiters is not None:
            waiters.event.set()

    def recent(self, operation_id: str) -> Operation | None:
        """The terminal record of a recently finished operation (on the loop), or None."""
        return self._finished.get(operation_id)

    async def wait(self, operation_id: str, timeout_s: float) -> Operation | None:
        """The operation's terminal record once it ends, or None after `timeout_s`."""
        done = self._finished.get(operation_id)
        if done is not None or timeout_s <= 0:
            return done
        waiters = self._waiting.get(operation_id)
        if waiters is None:
            waiters = self._waiting[operation_id] = _Waiters()
        waiters.count += 1
        try:
            await asyncio.wait_for(waiters.event.wait(), timeout_s)
        except TimeoutError:
            return None
        finally:
            waiters.count -= 1
            if waiters.count == 0 and not waiters.event.is_set():
                self._waiting.pop(operation_id, None)
        return self._finished.get(operation_id)

    @property
    def waiting(self) -> int:
        """How many waiters are pending now (on the loop)."""
        return sum(w.count for w in self._waiting.values())
