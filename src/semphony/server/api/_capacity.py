"""Bounded pools for blocking work, by what a request is for, so readers cannot starve safety.

Every route runs its blocking part (database, driver) through `blocking(request, fn, ...)`, which
picks the pool from one table: the safety and liveness commands (cancel, beam, stop, heartbeat,
end session, health) have capacity of their own that readers and downloads cannot take; other
commands, reads and downloads each have theirs. Waiting (a long-poll) holds no pool at all.
The idempotency middleware uses the same table for its database work.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request

__all__ = ["Capacity", "PoolName", "blocking", "classify", "run_in"]

PoolName = Literal["control", "command", "read", "download"]
_T = TypeVar("_T")

_CONTROL: tuple[tuple[str, str], ...] = (
    ("GET", "/v1/health"),
    ("DELETE", "/v1/operations/{operation_id}"),
    ("POST", "/v1/sessions/{session_id}/beam"),
    ("POST", "/v1/sessions/{session_id}/stop"),
    ("POST", "/v1/sessions/{session_id}/heartbeat"),
    ("DELETE", "/v1/sessions/{session_id}"),
)
_DOWNLOAD: tuple[tuple[str, str], ...] = (("GET", "/v1/artifacts/{image_id}"),)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")


_TABLE: tuple[tuple[str, re.Pattern[str], PoolName], ...] = tuple(
    (method, _pattern(path), cast(PoolName, pool))
    for pool, routes in (("control", _CONTROL), ("download", _DOWNLOAD))
    for method, path in routes
)


def classify(method: str, path: str) -> PoolName:
    """Which pool a request's blocking work runs in."""
    for wanted, pattern, pool in _TABLE:
        if method == wanted and pattern.match(path):
            return pool
    return "read" if method in ("GET", "HEAD") else "command"


@dataclass
class Capacity:
    """One capacity limiter per pool (created on the server's event loop)."""

    control: CapacityLimiter
    command: CapacityLimiter
    read: CapacityLimiter
    download: CapacityLimiter

    @classmethod
    def create(
        cls, *, control: int = 8, command: int = 4, read: int = 4, download: int = 2
    ) -> Capacity:
        """The pools, sized in worker threads.

        Readers and downloads get few threads on purpose: more would not add throughput (they
        share one GIL) but would make each safety call wait longer for it.
        """
        return cls(
            CapacityLimiter(control),
            CapacityLimiter(command),
            CapacityLimiter(read),
            CapacityLimiter(download),
        )

    def limiter(self, pool: PoolName) -> CapacityLimiter:
        """The limiter of `pool`."""
        return cast(CapacityLimiter, getattr(self, pool))


async def run_in(capacity: Capacity, pool: PoolName, fn: Callable[..., _T], *args: object) -> _T:
    """Run the blocking `fn(*args)` in a worker thread of `pool`."""
    call = functools.partial(fn, *args)
    return await anyio.to_thread.run_sync(call, limiter=capacity.limiter(pool))


async def blocking(request: Request, fn: Callable[..., _T], *args: object) -> _T:
    """Run the blocking `fn(*args)` in the pool this request belongs to."""
    capacity = cast(Capacity, request.app.state.capacity)
    return await run_in(capacity, classify(request.method, request.url.path), fn, *args)
