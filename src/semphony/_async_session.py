"""Runs and sessions for `AsyncSemphony`: the async twins of `semphony.session`.

```python
run = await client.runs.create(name="grain-boundaries")
async with run.session(guardrails=guardrails).start() as session:
    await session.chamber.pump()
    ...
```

`start()` can also be awaited (`session = await run.session().start()`); the session is then
released by `await session.aclose()` or by `async with session:`. The heartbeat is an asyncio
task on the loop that started the session.

`save_roi` and `find_roi` run the ROI engine (blocking code over public capabilities) in a worker
thread, on an `EngineView` whose requests a `LoopBridge` answers on this loop. Cancelling the
awaiting task stops the engine at its next request (a scan in progress is cancelled on the
server) and waits for it, so nothing drives the instrument behind the caller's back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar, Unpack

from semphony._capabilities import AsyncImaging, AsyncSide, Context
from semphony._exceptions import SemphonyApiError
from semphony._records import RoiRecord
from semphony._session_base import InstrumentParts, RunBase, SessionBase, StartArgs, audit_steps
from semphony._state import InstrumentState
from semphony._types import AuditEntry, DeviceInfo, Operation, RunInfo, SessionInfo
from semphony._wire import AsyncTransport, LoopBridge, calls, one
from semphony.guardrails import ImagingGuardrails
from semphony.models import AcquisitionConfig, FindRoiResult, RoiSpec
from semphony.roi import FindArgs, SaveArgs, find_roi, save_roi
from semphony.session import EngineView

__all__ = ["AsyncRun", "AsyncSession", "AsyncSessionBuilder", "AsyncSessionImaging"]

T = TypeVar("T")


class AsyncRun(RunBase):
    """A run seen through `AsyncSemphony`; matches `Run` method for method."""

    def __init__(self, transport: AsyncTransport, info: RunInfo) -> None:
        super().__init__(info)
        self._transport = transport

    def session(self, guardrails: ImagingGuardrails | None = None) -> AsyncSessionBuilder:
        """Prepare a session; `.start()` takes the lease (default guardrails as for `Run`)."""
        return AsyncSessionBuilder(self, self._guardrails(guardrails))

    async def audit(self) -> list[AuditEntry]:
        """Every command of this run the server recorded."""
        return await self._transport.run(audit_steps(self.id))

    async def operations(
        self, *, kind: str | None = None, status: str | None = None
    ) -> list[Operation]:
        """This run's operations, optionally by kind and status."""
        return await self._transport.run(one(calls.run_operations(self.id, kind, status)))


class AsyncSessionBuilder:
    """A session not yet started: `start()` takes the control lease."""

    def __init__(self, run: AsyncRun, guardrails: ImagingGuardrails) -> None:
        self.run = run
        self.guardrails = guardrails

    def start(self, **args: Unpack[StartArgs]) -> SessionStart:
        """Take the control lease: `async with` the answer, or await it for the session."""
        return SessionStart(self._start(args))

    async def _start(self, args: StartArgs) -> AsyncSession:
        transport = self.run._transport
        info = await transport.run(one(self.run._start_call(args)))
        transport.set_lease_secret(info.lease_secret)
        return AsyncSession(self.run, info, self.guardrails, transport)


class SessionStart:
    """A session being started: await it for the `AsyncSession`, or enter it with `async with`,
    which releases the lease on leaving the block (also after an exception)."""

    def __init__(self, starting: Coroutine[Any, Any, AsyncSession]) -> None:
        self._starting = starting
        self._session: AsyncSession | None = None

    def __await__(self) -> Generator[Any, None, AsyncSession]:
        return self._starting.__await__()

    async def __aenter__(self) -> AsyncSession:
        self._session = await self._starting
        return self._session

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        assert self._session is not None
        await self._session.__aexit__(exc_type, exc, tb)


class AsyncSessionImaging(AsyncImaging):
    """`session.imaging` of an `AsyncSession`, with `save_roi` and `find_roi`.

    They run the ROI engine (blocking code over public capabilities) in a worker thread, on an
    `EngineView` whose requests a `LoopBridge` answers on this loop. Cancelling the awaiting task
    stops the engine at its next request (a scan in progress is cancelled on the server) and
    waits for it, so nothing drives the instrument behind the caller's back.
    """

    async def save_roi(
        self, spec: RoiSpec, config: AcquisitionConfig | None = None, **options: Unpack[SaveArgs]
    ) -> RoiRecord:
        """Acquire and store the pyramid `spec` describes (as `Session.imaging.save_roi`)."""
        options = _progress_on_loop(options)
        return await self._engine(lambda view: save_roi(view, spec, config, **options))

    async def find_roi(self, name: str, **options: Unpack[FindArgs]) -> FindRoiResult:
        """Relocate the saved ROI `name` (as `Session.imaging.find_roi`)."""
        options = _progress_on_loop(options)
        return await self._engine(lambda view: find_roi(view, name, **options))

    async def _engine(self, engine: Callable[[EngineView], T]) -> T:
        """Run the blocking ROI `engine` in a worker thread over this session; its result."""
        bridge = LoopBridge(self._runner, asyncio.get_running_loop())
        view = EngineView(self._context, bridge)
        worker = asyncio.ensure_future(asyncio.to_thread(engine, view))
        try:
            # Shielded, so that our own cancellation leaves the worker to be stopped, not abandoned.
            return await asyncio.shield(worker)
        except asyncio.CancelledError:
            bridge.cancel()
            await asyncio.wait({worker})
            if not worker.cancelled():
                worker.exception()  # retrieved: the caller sees the cancellation, not this
            raise


OptionsT = TypeVar("OptionsT", SaveArgs, FindArgs)


def _progress_on_loop(options: OptionsT) -> OptionsT:
    """`options` with a progress callback moved onto the calling loop's thread (async code may
    touch asyncio objects in it); `True` and None stay as they are."""
    callback = options.get("progress")
    if not callable(callback):
        return options
    loop = asyncio.get_running_loop()

    def on_loop(done: int, total: int, what: str) -> None:
        loop.call_soon_threadsafe(callback, done, total, what)

    moved = options.copy()
    moved["progress"] = on_loop
    return moved


class AsyncSession(SessionBase, InstrumentParts, AsyncSide):
    """Control of the instrument for one run; matches `Session` method for method."""

    _context: Context
    _runner: AsyncTransport

    def __init__(
        self,
        run: AsyncRun,
        info: SessionInfo,
        guardrails: ImagingGuardrails,
        transport: AsyncTransport,
    ) -> None:
        super().__init__(info, guardrails, transport.options)
        self.run = run
        self._transport = self._runner = transport
        self.imaging = AsyncSessionImaging(self._context, transport)
        self._heartbeat = asyncio.create_task(self._beat(), name=f"semphony-heartbeat-{self.id}")

    async def state(self) -> InstrumentState:
        """The instrument's state now (a read: no guardrail)."""
        return await self._transport.run(one(calls.state()))

    async def device(self) -> DeviceInfo:
        """The device: driver, model, capabilities, limits, speed table, axis conventions."""
        return await self._transport.run(one(calls.device()))

    async def stop(self) -> InstrumentState:
        """Stop the scan and the stage now; the beam, vacuum and optics stay. The state after."""
        return await self._transport.run(one(calls.stop_session(self.id)))

    async def aclose(self) -> None:
        """Stop the heartbeat and release the lease (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._heartbeat.cancel()
        # asyncio.wait, unlike awaiting the task, does not re-raise the heartbeat's cancellation
        # here, so a cancellation of *this* task is never mistaken for it and swallowed.
        await asyncio.wait({self._heartbeat})
        try:
            await self._transport.run(one(calls.end_session(self.id)))
        finally:
            self._transport.set_lease_secret(None)

    async def close(self) -> None:
        """Alias of `aclose()`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            await self.aclose()
            return
        try:
            await self.aclose()
        except SemphonyApiError as release_error:
            self._release_failed(release_error)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_interval_s)
            try:
                await self._transport.run(one(calls.heartbeat(self.id)))
            except SemphonyApiError as exc:
                if self._heartbeat_failed(exc):
                    return
