"""The operation runner: one long device command at a time, in its own thread, via the store.

A command (pump, vent, move, acquisition) is submitted with a *prepare* step and the *work* it
returns. `submit` runs prepare (the driver's checks: a refusal records nothing), records the
operation `running`, and starts the work in a thread with an `OperationContext` (progress
reporting, the cancel event). The outcome is written to the store -- `succeeded` with a result,
`cancelled`, or `failed` with a problem -- and then announced to the `OperationWatch`, which wakes
every long-poll at once. Progress is written at a bounded rate so a fast scan does not hammer the
database. Nothing here waits for an operation: waiting is the watch's job, on the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from semphony.server.drivers.errors import Cancelled
from semphony.server.errors import (
    BusyError,
    OperationFinishedError,
    ProblemError,
    StoppingError,
    problem_of,
)
from semphony.server.store import ArtifactRecord, JsonObject, Operation, Store
from semphony.server.watch import OperationWatch

__all__ = [
    "MAX_WAIT_S",
    "OperationCancelled",
    "OperationContext",
    "OperationRunner",
    "Outcome",
    "Prepared",
    "Work",
]

_log = logging.getLogger("semphony.server.operations")

MAX_WAIT_S = 60.0


class OperationCancelled(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by work that stopped because its operation was cancelled."""


class OperationContext:
    """What running work sees: its operation id, progress reporting and the cancel event."""

    def __init__(
        self,
        operation_id: str,
        cancel_event: threading.Event,
        report: Callable[[int, int], None],
    ) -> None:
        self.operation_id = operation_id
        self.cancel_event = cancel_event
        self._report = report

    def progress(self, done: int, total: int) -> None:
        """Report `done` of `total` units (lines of a scan, steps of a move)."""
        self._report(done, total)

    @property
    def cancelled(self) -> bool:
        """True once the operation was asked to stop."""
        return self.cancel_event.is_set()


@dataclass(frozen=True)
class Outcome:
    """What finished work hands back: the operation's result and the artifacts it wrote."""

    result: JsonObject
    artifacts: tuple[ArtifactRecord, ...] = field(default_factory=tuple)


Work = Callable[[OperationContext], Outcome]


@dataclass(frozen=True)
class Prepared:
    """A checked command: its progress total, and the work that carries it out."""

    total: int
    work: Work


class _Active:
    def __init__(self, operation_id: str, kind: str, session_id: str | None) -> None:
        self.operation_id = operation_id
        self.kind = kind
        self.session_id = session_id
        self.cancel_event = threading.Event()
        self.done = threading.Event()


class OperationRunner:
    """Runs one device operation at a time and announces each end to the watch."""

    def __init__(
        self,
        store: Store,
        watch: OperationWatch,
        *,
        on_cancel: Callable[[], None] | None = None,
        on_finish: Callable[[Operation], None] | None = None,
        progress_interval_s: float = 0.2,
    ) -> None:
        self._store = store
        self._watch = watch
        self._on_cancel = on_cancel
        # `on_finish` runs inside the transaction that ends the operation (its audit entry), so
        # it must take no lock of its own; `after_finish` runs after it (saving a snapshot).
        self.on_finish = on_finish
        self.after_finish: Callable[[Operation], None] | None = None
        self._interval_s = progress_interval_s
        self._lock = threading.Lock()  # guards _active and _closed; never held while waiting
        self._submit = threading.Lock()  # one check-and-start at a time
        self._active: _Active | None = None
        self._closed = False

    @property
    def active_operation_id(self) -> str | None:
        """The id of the operation running now, or None."""
        active = self._active
        return active.operation_id if active is not None else None

    @property
    def active_kind(self) -> str | None:
        """The kind of the operation running now, or None."""
        active = self._active
        return active.kind if active is not None else None

    def ensure_idle(self) -> None:
        """Refuse with 409 `interlock.busy` while an operation runs (503 while stopping)."""
        with self._lock:
            if self._closed:
                raise StoppingError("the server is shutting down")
            if self._active is not None:
                raise BusyError(
                    f"operation {self._active.operation_id} is still running; wait for it or "
                    "cancel it"
                )

    def submit(
        self,
        *,
        kind: str,
        run_id: str,
        session_id: str | None,
        params: Mapping[str, Any],
        unit: str,
        prepare: Callable[[], Prepared],
    ) -> Operation:
        """Check (`prepare`), record the operation `running` and start its work in a thread.

        A refusal from `prepare` leaves no operation behind, and no other command can start an
        operation between the check and the start.
        """
        with self._submit:
            self.ensure_idle()
            prepared = prepare()
            op = self._store.operations.create(
                run_id=run_id,
                session_id=session_id,
                kind=kind,
                params=params,
                progress_total=prepared.total,
                progress_unit=unit,
                status="running",
            )
            active = _Active(op.id, kind, session_id)
            with self._lock:
                self._active = active
            thread = threading.Thread(
                target=self._run,
                args=(active, prepared.work),
                name=f"semphony-{op.id}",
                daemon=True,
            )
            thread.start()
        return op

    def _run(self, active: _Active, work: Work) -> None:
        operation_id = active.operation_id
        last_write = 0.0
        latest: tuple[int, int] | None = None

        def report(done: int, total: int) -> None:
            nonlocal last_write, latest
            latest = (done, total)
            now = time.monotonic()
            if now - last_write >= self._interval_s or done >= total:
                last_write = now
                # Cancelled from outside while we reported: the end is recorded already.
                with contextlib.suppress(OperationFinishedError):
                    self._store.operations.update(
                        operation_id, progress_done=done, progress_total=total
                    )

        context = OperationContext(operation_id, active.cancel_event, report)
        try:
            outcome = work(context)
        except (OperationCancelled, Cancelled):
            self._finish(active, "cancelled", latest, problem=_cancelled_problem(operation_id))
        except Exception as exc:
            problem = problem_of(exc)
            if problem is None:
                _log.error("operation %s failed unexpectedly", operation_id, exc_info=exc)
                problem = ProblemError(
                    500, "the operation failed inside the server", reason="server.error"
                )
            cancelled = active.cancel_event.is_set()
            self._finish(
                active, "cancelled" if cancelled else "failed", latest, problem=problem.body()
            )
        else:
            self._finish(active, "succeeded", latest, outcome=outcome)

    def _finish(
        self,
        active: _Active,
        status: Literal["succeeded", "failed", "cancelled"],
        latest: tuple[int, int] | None,
        *,
        outcome: Outcome | None = None,
        problem: JsonObject | None = None,
    ) -> None:
        finished: Operation | None = None
        try:
            # The end and its audit entry land together: whoever sees the operation terminal
            # finds its end in the audit log too.
            with self._store.transaction():
                finished = self._store.operations.finish(
                    active.operation_id,
                    status=status,
                    result=dict(outcome.result) if outcome is not None else None,
                    problem=problem,
                    artifacts=outcome.artifacts if outcome is not None else (),
                    progress_done=latest[0] if latest is not None else None,
                )
                if self.on_finish is not None:
                    self.on_finish(finished)
        except Exception as exc:
            _log.error("cannot record the end of %s", active.operation_id, exc_info=exc)
        finally:
            with self._lock:
                if self._active is active:
                    self._active = None
            active.done.set()
        if finished is not None:
            self._watch.finished(finished)
            if self.after_finish is not None:
                try:
                    self.after_finish(finished)
                except Exception as exc:
                    _log.error("after %s finished", active.operation_id, exc_info=exc)

    def get(self, operation_id: str) -> Operation:
        """The operation's current record; 404 if unknown."""
        record = self._store.operations.get(operation_id)
        if record is None:
            raise ProblemError(404, f"no operation with id {operation_id!r}", reason="not_found")
        return record

    def cancel(self, operation_id: str) -> Operation:
        """Ask the operation to stop now (never waits); a finished one is returned as is."""
        record = self.get(operation_id)
        if record.terminal:
            return record
        active = self._active
        if active is not None and active.operation_id == operation_id:
            self._signal(active)
            return record
        # Recorded but not running in this process: nothing runs it, so it is cancelled.
        try:
            finished = self._store.operations.finish(
                operation_id, status="cancelled", problem=_cancelled_problem(operation_id)
            )
        except OperationFinishedError:
            return self.get(operation_id)
        self._watch.finished(finished)
        return finished

    def _signal(self, active: _Active) -> None:
        active.cancel_event.set()
        if self._on_cancel is not None:
            try:
                self._on_cancel()
            except Exception as exc:
                _log.error("stopping the device for a cancel failed", exc_info=exc)

    def cancel_active(self, kinds: frozenset[str] | None = None) -> str | None:
        """Cancel whatever runs now (of `kinds`, if given); the id asked to stop, or None."""
        active = self._active
        if active is None or (kinds is not None and active.kind not in kinds):
            return None
        self._signal(active)
        return active.operation_id

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no operation runs (for shutdown and tests); False after `timeout_s`."""
        active = self._active
        return active is None or active.done.wait(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Refuse new operations, cancel the running one and wait for its thread to end."""
        with self._lock:
            self._closed = True
        self.cancel_active()
        self.wait_idle(timeout_s)


def _cancelled_problem(operation_id: str) -> JsonObject:
    return ProblemError(
        409,
        f"operation {operation_id} was cancelled",
        reason="operation.cancelled",
        title="Cancelled",
    ).body()
