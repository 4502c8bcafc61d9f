"""Capabilities declared once for the sync and the async side (`Pair(Beam, AsyncBeam)`).

A session or client class is a `SyncSide` or an `AsyncSide`; a `Pair` attribute builds, on first
use, the capability of that side over the owner's context and runner, and keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from semphony._capabilities._steps import Context
from semphony._capabilities._sync import SyncRunner
from semphony._wire import AsyncTransport

__all__ = ["AsyncSide", "Pair", "SyncSide"]

S = TypeVar("S")
A = TypeVar("A")


R = TypeVar("R")


class _Side(Generic[R]):
    """An owner of capabilities: what they run on, and for whom (None: no session).

    Only declared, for type checkers: each owner sets them (as attributes or properties).
    """

    if TYPE_CHECKING:

        @property
        def _runner(self) -> R: ...

        @property
        def _context(self) -> Context | None: ...


class SyncSide(_Side[SyncRunner]):
    """An owner of sync capabilities (a `Session`, a `Semphony`)."""


class AsyncSide(_Side[AsyncTransport]):
    """An owner of async capabilities (an `AsyncSession`, an `AsyncSemphony`)."""


class Pair(Generic[S, A]):
    """A capability of each side: `sync(context, runner)` or `async_(context, runner)` (without
    the context when `per_session` is False)."""

    def __init__(
        self, sync: Callable[..., S], async_: Callable[..., A], *, per_session: bool = True
    ) -> None:
        self._sync = sync
        self._async = async_
        self._per_session = per_session
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, owner: SyncSide, kind: type | None = None) -> S: ...

    @overload
    def __get__(self, owner: AsyncSide, kind: type | None = None) -> A: ...

    def __get__(self, owner: SyncSide | AsyncSide, kind: type | None = None) -> Any:
        built = owner.__dict__.get(self._name)
        if built is None:
            factory = self._sync if isinstance(owner, SyncSide) else self._async
            runner = owner._runner
            args = (getattr(owner, "_context", None), runner) if self._per_session else (runner,)
            built = factory(*args)
            owner.__dict__[self._name] = built
        return built
