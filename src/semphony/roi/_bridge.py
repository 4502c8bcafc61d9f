"""The synchronous ROI engine over an `AsyncSession`, run in a worker thread.

`save_roi` and `find_roi` are written once, as blocking code against a `RoiSession`. For
`AsyncSemphony`, `run_engine` runs them with `asyncio.to_thread` on a `SessionBridge`: each of its
instrument calls submits the async session's coroutine to the session's event loop and blocks the
worker until the answer comes. The loop stays free meanwhile (heartbeat, other tasks).

Cancelling the task that awaits `run_engine` cancels the call in flight (an acquisition or move
is then cancelled on the server, as in the async SDK) and makes every later call of the bridge
raise `asyncio.CancelledError`, so the engine stops at its next instrument call. The task ends
only after the engine has, so nothing drives the instrument behind the caller's back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import numpy.typing as npt
from semphony_api.types import Response

from semphony._capabilities._base import ProgressArg
from semphony._state import InstrumentState, StagePose
from semphony.models import AcquisitionConfig, AcquisitionResult

if TYPE_CHECKING:
    from semphony._async_session import AsyncSession
    from semphony._capabilities._async_imaging import AsyncImaging
    from semphony._capabilities._async_instrument import AsyncOpticsControl, AsyncStageControl
    from semphony._transport import AsyncTransport
    from semphony.roi._port import RoiSession

__all__ = ["SessionBridge", "progress_on_loop", "run_engine"]

T = TypeVar("T")


class _LoopRunner:
    """Runs coroutines on the session's loop for the worker thread; refuses once cancelled."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._cancelled = threading.Event()
        self._in_flight: asyncio.Task[Any] | None = None  # touched on the loop thread only

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the loop and return its result (call from the worker thread)."""
        if self._cancelled.is_set():
            coro.close()
            raise asyncio.CancelledError("the task running the ROI engine was cancelled")
        future = asyncio.run_coroutine_threadsafe(self._tracked(coro), self._loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise asyncio.CancelledError("the task running the ROI engine was cancelled") from None

    async def _tracked(self, coro: Coroutine[Any, Any, T]) -> T:
        # `cancel` and this check both run on the loop thread, so a call submitted just before
        # the cancellation is either refused here or cancelled there: never missed.
        if self._cancelled.is_set():
            coro.close()
            raise asyncio.CancelledError
        self._in_flight = asyncio.current_task()
        try:
            return await coro
        finally:
            self._in_flight = None

    @property
    def cancelled(self) -> bool:
        """Whether calls are refused now."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Refuse every later call and cancel the one in flight (call on the loop thread)."""
        self._cancelled.set()
        if self._in_flight is not None:
            self._in_flight.cancel()


class _Imaging:
    def __init__(self, runner: _LoopRunner, imaging: AsyncImaging) -> None:
        self._runner = runner
        self._imaging = imaging

    def acquire(
        self,
        config: AcquisitionConfig | None = None,
        target_path: str | os.PathLike[str] | None = None,
        progress: ProgressArg = None,
        *,
        timeout_s: float | None = None,
    ) -> AcquisitionResult:
        return self._runner.run(
            self._imaging.acquire(config, target_path, progress, timeout_s=timeout_s)
        )

    def read(self, result: AcquisitionResult) -> npt.NDArray[Any]:
        return self._runner.run(self._imaging.read(result))


class _Stage:
    def __init__(self, runner: _LoopRunner, stage: AsyncStageControl) -> None:
        self._runner = runner
        self._stage = stage

    def move_by(
        self,
        *,
        x: float | None = None,
        y: float | None = None,
        z: float | None = None,
        r: float | None = None,
        t: float | None = None,
        timeout_s: float | None = None,
    ) -> StagePose:
        return self._runner.run(self._stage.move_by(x=x, y=y, z=z, r=r, t=t, timeout_s=timeout_s))


class _Optics:
    def __init__(self, runner: _LoopRunner, optics: AsyncOpticsControl) -> None:
        self._runner = runner
        self._optics = optics

    def set(
        self,
        *,
        fov_um: float | None = None,
        working_distance_mm: float | None = None,
        scan_rotation_deg: float | None = None,
        beam_shift_um: tuple[float, float] | None = None,
        beam_shift_x_um: float | None = None,
        beam_shift_y_um: float | None = None,
        hv_kv: float | None = None,
        beam_current_na: float | None = None,
    ) -> InstrumentState:
        return self._runner.run(
            self._optics.set(
                fov_um=fov_um,
                working_distance_mm=working_distance_mm,
                scan_rotation_deg=scan_rotation_deg,
                beam_shift_um=beam_shift_um,
                beam_shift_x_um=beam_shift_x_um,
                beam_shift_y_um=beam_shift_y_um,
                hv_kv=hv_kv,
                beam_current_na=beam_current_na,
            )
        )


def _async_twin(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The generated `asyncio_detailed` beside the generated `sync_detailed` function `fn`."""
    module = sys.modules.get(fn.__module__)
    twin: object = (
        getattr(module, "asyncio_detailed", None) if fn.__name__ == "sync_detailed" else None
    )
    if not callable(twin):
        raise TypeError(
            f"the ROI bridge calls generated `sync_detailed` functions only, got "
            f"{fn.__module__}.{fn.__qualname__}"
        )
    return twin


class _Transport:
    def __init__(self, runner: _LoopRunner, transport: AsyncTransport) -> None:
        self._runner = runner
        self._transport = transport

    def call(
        self,
        fn: Callable[..., Response[Any]],
        expected: type[T] | None,
        *,
        read_timeout_s: float | None = None,
        **kwargs: Any,
    ) -> T:
        twin = _async_twin(fn)
        call: Coroutine[Any, Any, T] = self._transport.call(
            twin, expected, read_timeout_s=read_timeout_s, **kwargs
        )
        return self._runner.run(call)


class SessionBridge:
    """A blocking `RoiSession` over an `AsyncSession`, for the ROI engine in a worker thread."""

    def __init__(self, session: AsyncSession, loop: asyncio.AbstractEventLoop) -> None:
        self._session = session
        self._runner = _LoopRunner(loop)
        self.imaging = _Imaging(self._runner, session.imaging)
        self.stage = _Stage(self._runner, session.stage)
        self.optics = _Optics(self._runner, session.optics)
        self._transport = _Transport(self._runner, session._transport)
        self.run = session.run
        self.guardrails = session.guardrails

    def state(self) -> InstrumentState:
        """The instrument's state now."""
        return self._runner.run(self._session.state())

    @property
    def cancelled(self) -> bool:
        """Whether the engine's task was cancelled (every call now raises `CancelledError`)."""
        return self._runner.cancelled

    def cancel(self) -> None:
        """Stop the engine at its next call; cancel the one in flight (on the loop thread)."""
        self._runner.cancel()


def progress_on_loop(progress: ProgressArg, loop: asyncio.AbstractEventLoop) -> ProgressArg:
    """`progress`, with a callback moved onto the loop's thread (async code may touch asyncio
    objects in it); `True` and None stay as they are."""
    if not callable(progress):
        return progress
    callback = progress

    def on_loop(done: int, total: int, message: str) -> None:
        loop.call_soon_threadsafe(callback, done, total, message)

    return on_loop


async def run_engine(session: AsyncSession, engine: Callable[[RoiSession], T]) -> T:
    """Run the blocking `engine` on a bridge over `session` in a worker thread; its result.

    Cancelling the awaiting task stops the engine at its next instrument call and waits for it.
    """
    bridge = SessionBridge(session, asyncio.get_running_loop())
    worker = asyncio.ensure_future(asyncio.to_thread(engine, bridge))
    try:
        # Shielded, so that our own cancellation leaves the worker to be stopped, not abandoned.
        return await asyncio.shield(worker)
    except asyncio.CancelledError:
        bridge.cancel()
        await asyncio.wait({worker})
        if not worker.cancelled():
            worker.exception()  # retrieved: the caller sees the cancellation, not this
        raise
