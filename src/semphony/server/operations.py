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
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from semphony.server.drivers.errors import Cancelled
from semphony.server.errors import (
    BusyError,
    OperationFinishedError,
    ProblemError,
    StoppingError,
    StorageError,
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
    def __init__(self, record: Operation) -> None:
        self.record = record  # as recorded at the start; the end is built on it if need be
        self.operation_id = record.id
        self.kind = record.kind
        self.session_id = record.session_id
        self.cancel_event = threading.Event()
        self.done = threading.Event()


@dataclass(frozen=True)
class _Unrecorded:
    """An end the store could not take yet: what the clients are told, and what to write."""

    record: Operation
    discard: tuple[ArtifactRecord, ...]


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
        # Deletes the file of an artifact whose record could not be written.
        self.discard: Callable[[ArtifactRecord], None] | None = None
        self._unrecorded: dict[str, _Unrecorded] = {}
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
            active = _Active(op)
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
                # Cancelled from outside while we reported: the end is recorded already. A store
                # that cannot take the progress ends the operation (StorageError propagates).
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
        done = latest[0] if latest is not None else None
        finished: Operation | None = None
        try:
            finished = self._record_end(
                active.operation_id,
                status,
                result=dict(outcome.result) if outcome is not None else None,
                problem=problem,
                artifacts=outcome.artifacts if outcome is not None else (),
                progress_done=done,
            )
        except StorageError as exc:
            # The end cannot be recorded now: it is still the end. Tell every client the truth
            # from memory (failed, for want of storage), drop the files no record will point
            # to, and write the end when the store takes it again (`flush`).
            finished = self._unrecorded_end(active, exc, done, outcome)
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

    def _record_end(
        self,
        operation_id: str,
        status: Literal["succeeded", "failed", "cancelled"],
        *,
        result: JsonObject | None,
        problem: JsonObject | None,
        artifacts: tuple[ArtifactRecord, ...],
        progress_done: int | None,
    ) -> Operation:
        # The end and its audit entry land together: whoever sees the operation terminal finds
        # its end in the audit log too.
        with self._store.transaction():
            finished = self._store.operations.finish(
                operation_id,
                status=status,
                result=result,
                problem=problem,
                artifacts=artifacts,
                progress_done=progress_done,
            )
            if self.on_finish is not None:
                self.on_finish(finished)
        return finished

    def _unrecorded_end(
        self, active: _Active, exc: StorageError, done: int | None, outcome: Outcome | None
    ) -> Operation:
        _log.error("cannot record the end of %s: %s", active.operation_id, exc)
        problem = problem_of(exc)
        assert problem is not None
        end = dataclasses.replace(
            active.record,
            status="failed",
            result=None,
            problem=problem.body(),
            progress_done=active.record.progress_done if done is None else done,
            updated_at=datetime.now(UTC),
        )
        discard = outcome.artifacts if outcome is not None else ()
        for artifact in discard:
            if self.discard is not None:
                self.discard(artifact)
        with self._lock:
            self._unrecorded[end.id] = _Unrecorded(end, discard)
        return end

    def flush(self) -> int:
        """Write the ends the store refused before; returns how many are still waiting."""
        with self._lock:
            waiting = list(self._unrecorded.values())
        for item in waiting:
            end = item.record
            try:
                self._record_end(
                    end.id,
                    "failed",
                    result=None,
                    problem=end.problem,
                    artifacts=(),
                    progress_done=end.progress_done,
                )
            except OperationFinishedError:
                pass  # recorded meanwhile (a restart marked it)
            except StorageError:
                break
            except Exception as exc:
                _log.error("cannot record the end of %s", end.id, exc_info=exc)
                break
            with self._lock:
                self._unrecorded.pop(end.id, None)
        with self._lock:
            return len(self._unrecorded)

    def overlay(self, record: Operation) -> Operation:
        """`record` as the clients must see it: an end the store has not taken yet wins."""
        with self._lock:
            item = self._unrecorded.get(record.id)
        return item.record if item is not None else record

    def get(self, operation_id: str) -> Operation:
        """The operation's current record (an unrecorded end included); 404 if unknown."""
        with self._lock:
            item = self._unrecorded.get(operation_id)
        if item is not None:
            return item.record
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
