"""The operation runner and the watch on their own: one at a time, honest ends, waiters woken."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from semphony.server.drivers.errors import DeviceFault, RangeError
from semphony.server.errors import BusyError, StoppingError
from semphony.server.operations import (
    OperationCancelled,
    OperationContext,
    OperationRunner,
    Outcome,
    Prepared,
    Work,
)
from semphony.server.store import Operation, Store
from semphony.server.watch import OperationWatch


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path) as s:
        yield s


@pytest.fixture
def watch() -> OperationWatch:
    return OperationWatch()


@pytest.fixture
def runner(store: Store, watch: OperationWatch) -> Iterator[OperationRunner]:
    r = OperationRunner(store, watch, progress_interval_s=0.0)
    yield r
    r.close()


def _submit(runner: OperationRunner, store: Store, work: Work, total: int = 10) -> Operation:
    run = store.runs.create("r")
    return runner.submit(
        kind="move",
        run_id=run.id,
        session_id=None,
        params={"x_mm": 1},
        unit="steps",
        prepare=lambda: Prepared(total, work),
    )


def _end(runner: OperationRunner, store: Store, op: Operation) -> Operation:
    assert runner.wait_idle(10)
    record = store.operations.get(op.id)
    assert record is not None
    return record


def test_work_that_succeeds_records_its_result_and_full_progress(
    runner: OperationRunner, store: Store
) -> None:
    def work(ctx: OperationContext) -> Outcome:
        for i in range(1, 11):
            ctx.progress(i, 10)
        return Outcome({"pose": {"x_mm": 1.0}})

    op = _submit(runner, store, work)
    assert op.status == "running"
    done = _end(runner, store, op)
    assert (done.status, done.result) == ("succeeded", {"pose": {"x_mm": 1.0}})
    assert (done.progress_done, done.progress_total) == (10, 10)


def test_a_refused_prepare_records_nothing(runner: OperationRunner, store: Store) -> None:
    run = store.runs.create("r")

    def refuse() -> Prepared:
        raise RangeError("range.stage_travel", "x_mm", "x_mm=99 is outside [-50, 50] mm")

    with pytest.raises(RangeError):
        runner.submit(
            kind="move", run_id=run.id, session_id=None, params={}, unit="steps", prepare=refuse
        )
    assert store.operations.of_run(run.id) == []
    assert runner.active_operation_id is None


def test_a_second_operation_is_busy_while_one_runs(runner: OperationRunner, store: Store) -> None:
    release = threading.Event()

    def work(ctx: OperationContext) -> Outcome:
        release.wait(10)
        return Outcome({})

    op = _submit(runner, store, work)
    with pytest.raises(BusyError):
        _submit(runner, store, work)
    release.set()
    assert _end(runner, store, op).status == "succeeded"


def test_a_cancel_wakes_the_work_and_the_end_is_cancelled_where_it_got_to(
    runner: OperationRunner, store: Store
) -> None:
    started = threading.Event()

    def work(ctx: OperationContext) -> Outcome:
        ctx.progress(3, 10)
        started.set()
        ctx.cancel_event.wait(10)
        raise OperationCancelled("stopped")

    op = _submit(runner, store, work)
    started.wait(10)
    assert runner.cancel(op.id).status == "running"  # a cancel never waits
    done = _end(runner, store, op)
    assert done.status == "cancelled"
    assert done.progress_done == 3
    assert done.problem is not None
    assert done.problem["reason"] == "operation.cancelled"


def test_a_device_failure_ends_the_operation_failed_with_the_device_code(
    runner: OperationRunner, store: Store
) -> None:
    def work(ctx: OperationContext) -> Outcome:
        raise DeviceFault(-3, "ScScanXY returned -3")

    done = _end(runner, store, _submit(runner, store, work))
    assert done.status == "failed"
    assert done.problem is not None
    assert (done.problem["status"], done.problem["device_code"]) == (502, -3)


def test_an_unexpected_error_fails_the_operation_without_its_message(
    runner: OperationRunner, store: Store
) -> None:
    def work(ctx: OperationContext) -> Outcome:
        raise RuntimeError("secret path /etc/shadow")

    done = _end(runner, store, _submit(runner, store, work))
    assert done.status == "failed"
    assert done.problem is not None
    assert done.problem["reason"] == "server.error"
    assert "shadow" not in str(done.problem)


def test_the_end_hook_runs_inside_the_ending_transaction(
    runner: OperationRunner, store: Store
) -> None:
    seen: list[str] = []

    def hook(op: Operation) -> None:
        # Inside the transaction the operation reads terminal already.
        current = store.operations.get(op.id)
        assert current is not None
        seen.append(current.status)

    runner.on_finish = hook
    _end(runner, store, _submit(runner, store, lambda ctx: Outcome({})))
    assert seen == ["succeeded"]


def test_an_operation_recorded_by_a_dead_process_is_cancelled_on_request(
    runner: OperationRunner, store: Store
) -> None:
    run = store.runs.create("r")
    orphan = store.operations.create(run_id=run.id, session_id=None, kind="pump", status="running")
    assert runner.cancel(orphan.id).status == "cancelled"


def test_a_closed_runner_refuses_new_operations(runner: OperationRunner, store: Store) -> None:
    runner.close()
    with pytest.raises(StoppingError):
        _submit(runner, store, lambda ctx: Outcome({}))


def test_the_watch_wakes_every_waiter_with_the_terminal_record(
    runner: OperationRunner, store: Store, watch: OperationWatch
) -> None:
    release = threading.Event()

    def work(ctx: OperationContext) -> Outcome:
        release.wait(10)
        return Outcome({"done": True})

    async def main() -> list[Operation | None]:
        watch.bind(asyncio.get_running_loop())
        op = _submit(runner, store, work)
        waiters = [asyncio.create_task(watch.wait(op.id, 30)) for _ in range(50)]
        while watch.waiting < 50:
            await asyncio.sleep(0.001)
        release.set()
        return list(await asyncio.gather(*waiters))

    results = asyncio.run(main())
    assert {r.status for r in results if r is not None} == {"succeeded"}
    assert all(r is not None for r in results)
    assert watch.waiting == 0
    assert watch.notified == 1


def test_a_wait_that_times_out_answers_none_and_leaves_no_waiter(watch: OperationWatch) -> None:
    async def main() -> Operation | None:
        watch.bind(asyncio.get_running_loop())
        return await watch.wait("op_never", 0.01)

    assert asyncio.run(main()) is None
    assert watch.waiting == 0
