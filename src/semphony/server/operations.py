"""The operation runner: one long device command at a time, in a worker thread, via the store.

A command (pump, vent, move, acquisition) is submitted as a *work* function. The runner records the
operation, runs the work in a thread with an `OperationContext` (progress reporting, the cancel
event), and writes the outcome to the store: `succeeded` with a result, `failed` with a problem, or
`cancelled`. Progress is written at a bounded rate so a fast scan does not hammer SQLite. Readers
long-poll through a condition variable that every write notifies.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from semphony.server.problems import ProblemError
from semphony.server.store import (
    ArtifactRecord,
    JsonObject,
    Operation,
    OperationFinishedError,
    Store,
)

__all__ = [
    "MAX_WAIT_S",
    "OperationCancelled",
    "OperationContext",
    "OperationRunner",
    "Outcome",
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


class _Active:
    def __init__(self, operation_id: str, cancel_event: threading.Event) -> None:
        self.operation_id = operation_id
        self.cancel_event = cancel_event
        self.thread: threading.Thread | None = None


class OperationRunner:
    """Runs one device operation at a time and lets readers wait for its outcome."""

    def __init__(
        self,
        store: Store,
        *,
        on_cancel: Callable[[], None] | None = None,
        on_finish: Callable[[Operation], None] | None = None,
        progress_interval_s: float = 0.2,
    ) -> None:
        self._store = store
        self._on_cancel = on_cancel
        self._on_finish = on_finish
        self._interval_s = progress_interval_s
        self._cond = threading.Condition()
        self._active: _Active | None = None
        self._closed = False

    @property
    def active_operation_id(self) -> str | None:
        """The id of the operation running now, or None."""
        with self._cond:
            return self._active.operation_id if self._active else None

    def ensure_idle(self) -> None:
        """Refuse with 409 `interlock.busy` while an operation runs."""
        with self._cond:
            self._refuse_if_busy()

    def _refuse_if_busy(self) -> None:
        if self._closed:
            raise ProblemError(503, "the server is shutting down", reason="server.stopping")
        if self._active is not None:
            raise ProblemError(
                409,
                f"operation {self._active.operation_id} is still running; wait for it or cancel it",
                reason="interlock.busy",
            )

    def submit(
        self,
        *,
        kind: str,
        run_id: str,
        session_id: str | None,
        params: Mapping[str, Any],
        unit: str,
        work: Work,
        check: Callable[[], int],
    ) -> Operation:
        """Record an operation and start `work` in a worker thread; 409 if one is running.

        `check` runs under the runner's lock before anything is recorded, so a refusal (an
        interlock) leaves no operation behind and no other command can slip in between; it returns
        the progress total (0 while unknown).
        """
        with self._cond:
            self._refuse_if_busy()
            total = check()
            created = self._store.create_operation(
                run_id=run_id,
                session_id=session_id,
                kind=kind,
                params=params,
                progress_total=total,
                progress_unit=unit,
            )
            running = self._store.update_operation(created.id, status="running")
            active = _Active(created.id, threading.Event())
            self._active = active
            thread = threading.Thread(
                target=self._run, args=(active, work), name=f"semphony-{created.id}", daemon=True
            )
            active.thread = thread
            thread.start()
            self._cond.notify_all()
        return running

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
                with self._cond:
                    self._store.update_operation(
                        operation_id, progress_done=done, progress_total=total
                    )
                    self._cond.notify_all()

        context = OperationContext(operation_id, active.cancel_event, report)
        try:
            outcome = work(context)
        except OperationCancelled:
            self._finish(active, "cancelled", latest, problem=_cancelled_problem(operation_id))
        except ProblemError as exc:
            cancelled = active.cancel_event.is_set()
            self._finish(active, "cancelled" if cancelled else "failed", latest, problem=exc.body())
        except Exception as exc:
            _log.error("operation %s failed unexpectedly", operation_id, exc_info=exc)
            problem = ProblemError(
                500, "the operation failed inside the server", reason="server.error"
            ).body()
            self._finish(active, "failed", latest, problem=problem)
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
        with self._cond:
            try:
                if latest is not None and status != "succeeded":
                    self._store.update_operation(
                        active.operation_id, progress_done=latest[0], progress_total=latest[1]
                    )
                self._store.finish_operation(
                    active.operation_id,
                    status=status,
                    result=dict(outcome.result) if outcome is not None else None,
                    problem=problem,
                    artifacts=outcome.artifacts if outcome is not None else (),
                )
            except Exception as exc:
                _log.error("cannot record the end of %s", active.operation_id, exc_info=exc)
            finally:
                if self._active is active:
                    self._active = None
                self._cond.notify_all()
        finished = self._store.get_operation(active.operation_id)
        if finished is not None and self._on_finish is not None:
            try:
                self._on_finish(finished)
            except Exception as exc:
                _log.error("after %s finished", active.operation_id, exc_info=exc)

    def get(self, operation_id: str) -> Operation:
        """The operation's current record; 404 if unknown."""
        record = self._store.get_operation(operation_id)
        if record is None:
            raise ProblemError(404, f"no operation with id {operation_id!r}", reason="not_found")
        return record

    def wait(self, operation_id: str, wait_s: float) -> Operation:
        """The operation once terminal, or as it stands after `wait_s` seconds (at most 60)."""
        deadline = time.monotonic() + max(0.0, min(wait_s, MAX_WAIT_S))
        with self._cond:
            while True:
                record = self.get(operation_id)
                remaining = deadline - time.monotonic()
                if record.terminal or remaining <= 0 or self._closed:
                    return record
                self._cond.wait(remaining)

    def cancel(self, operation_id: str) -> Operation:
        """Ask the operation to stop and wait briefly for it; a finished one is returned as is."""
        with self._cond:
            record = self.get(operation_id)
            if record.terminal:
                return record
            active = self._active
            if active is not None and active.operation_id == operation_id:
                self._signal_cancel(active)
            else:
                # Recorded but not running in this process: nothing runs it, so it is cancelled.
                with contextlib.suppress(OperationFinishedError):
                    self._store.finish_operation(
                        operation_id,
                        status="cancelled",
                        problem=_cancelled_problem(operation_id),
                    )
                self._cond.notify_all()
        # The driver stops a scan or move within a line or a step; answer the settled state.
        return self.wait(operation_id, _CANCEL_SETTLE_S)

    def _signal_cancel(self, active: _Active) -> None:
        active.cancel_event.set()
        if self._on_cancel is not None:
            try:
                self._on_cancel()
            except Exception as exc:
                _log.error("stopping the device for a cancel failed", exc_info=exc)

    def cancel_active(self) -> str | None:
        """Cancel whatever runs now; the id of the operation asked to stop, or None."""
        with self._cond:
            active = self._active
            if active is None:
                return None
            self._signal_cancel(active)
            return active.operation_id

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no operation runs; False if one still runs after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._active is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout_s: float = 10.0) -> None:
        """Cancel the running operation, wait for its thread, and wake every waiter."""
        self.cancel_active()
        self.wait_idle(timeout_s)
        with self._cond:
            self._closed = True
            self._cond.notify_all()


_CANCEL_SETTLE_S = 5.0


def _cancelled_problem(operation_id: str) -> JsonObject:
    return ProblemError(
        409,
        f"operation {operation_id} was cancelled",
        reason="operation.cancelled",
        title="Cancelled",
    ).body()
