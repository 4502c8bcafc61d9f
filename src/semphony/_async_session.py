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
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any

from semphony_api.api.operations import list_run_operations
from semphony_api.api.runs import list_run_audit
from semphony_api.api.sessions import end_session, heartbeat_session, start_session
from semphony_api.api.system import get_state
from semphony_api.models.audit_list import AuditList
from semphony_api.models.instrument_state import InstrumentState as StateDoc
from semphony_api.models.operation_list import OperationList
from semphony_api.models.session import Session as SessionDoc

from semphony._capabilities._async_imaging import AsyncImaging
from semphony._capabilities._async_instrument import (
    AsyncBeamControl,
    AsyncChamberControl,
    AsyncOpticsControl,
    AsyncStageControl,
)
from semphony._capabilities._base import parse_state
from semphony._exceptions import SemphonyApiError
from semphony._state import InstrumentState
from semphony._transport import AsyncTransport
from semphony.guardrails import ImagingGuardrails
from semphony.session import (
    _RunBase,
    _SessionBase,
    _SessionBuilderBase,
    _start_body,
    lease_secret_of,
)

__all__ = ["AsyncRun", "AsyncSession", "AsyncSessionBuilder"]


class AsyncRun(_RunBase[AsyncTransport]):
    """A run seen through `AsyncSemphony`; matches `Run` method for method."""

    def session(self, guardrails: ImagingGuardrails | None = None) -> AsyncSessionBuilder:
        """Prepare a session; `.start()` takes the lease. Without guardrails, the safe default
        `ImagingGuardrails()` applies (`ImagingGuardrails.none()` turns them off)."""
        return AsyncSessionBuilder(self, self._guardrails(guardrails))

    async def audit(self) -> list[dict[str, Any]]:
        """Every command of this run the server recorded: who, when, what, outcome."""
        entries: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            query = self._audit_query(after)
            page = await self._transport.call(list_run_audit.asyncio_detailed, AuditList, **query)
            entries += [item.to_dict() for item in page.items]
            after = self._audit_next(page, after)
            if after is None:
                return entries

    async def operations(
        self, *, kind: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """This run's operations (acquisitions among them), optionally by kind and status."""
        query = self._operations_query(kind, status)
        page = await self._transport.call(
            list_run_operations.asyncio_detailed, OperationList, **query
        )
        return [item.to_dict() for item in page.items]


class AsyncSessionBuilder(_SessionBuilderBase[AsyncRun]):
    """A session not yet started: `start()` takes the control lease."""

    def start(self, *, holder: str | None = None, lease_s: float | None = None) -> SessionStart:
        """Take the control lease (409 `lease.held` if another session has it): `async with` the
        answer, or await it for the `AsyncSession`."""
        return SessionStart(self._start(holder, lease_s))

    async def _start(self, holder: str | None, lease_s: float | None) -> AsyncSession:
        transport = self.run._transport
        body = _start_body(holder, lease_s)
        doc = await transport.call(
            start_session.asyncio_detailed, SessionDoc, run_id=self.run.id, body=body
        )
        transport.set_lease_secret(lease_secret_of(doc))
        return AsyncSession(self.run, doc, self.guardrails, transport)


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

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        await self._session.__aexit__(exc_type, exc, tb)


class AsyncSession(_SessionBase):
    """Control of the instrument for one run; matches `Session` method for method."""

    def __init__(
        self,
        run: AsyncRun,
        doc: SessionDoc,
        guardrails: ImagingGuardrails,
        transport: AsyncTransport,
    ) -> None:
        super().__init__(doc, guardrails)
        self.run = run
        self._transport = transport
        self.beam = AsyncBeamControl(self, transport)
        self.chamber = AsyncChamberControl(self, transport)
        self.stage = AsyncStageControl(self, transport)
        self.optics = AsyncOpticsControl(self, transport)
        self.imaging = AsyncImaging(self, transport)
        self._heartbeat = asyncio.create_task(self._beat(), name=f"semphony-heartbeat-{self.id}")

    async def state(self) -> InstrumentState:
        """The instrument's state now (a read: no guardrail)."""
        doc = await self._transport.call(get_state.asyncio_detailed, StateDoc)
        return parse_state(doc.to_dict())

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
            await self._transport.call(end_session.asyncio_detailed, SessionDoc, session_id=self.id)
        finally:
            self._transport.set_lease_secret(None)

    async def close(self) -> None:
        """Alias of `aclose()`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
                await self._transport.call(
                    heartbeat_session.asyncio_detailed, SessionDoc, session_id=self.id
                )
            except SemphonyApiError as exc:
                if self._heartbeat_failed(exc):
                    return
