"""The `control` benchmark's pure pieces: percentiles, ratios, sample bookkeeping, long-poll delays,
the table's shape and the sampling loop, on synthetic samples (no server, no timed assertions)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest

from benchmarks import control
from benchmarks._control_load import LoadPlan, _Current, _Recorder
from benchmarks._control_report import PhaseResult, phase_details, phase_note, phase_rows
from benchmarks._control_scene import PUMP, SCAN, Scene, SetupError, epoch_s, run_block
from benchmarks._control_table import (
    COLUMNS,
    CallSamples,
    LongPollAnswer,
    call_row,
    end_delays,
    longpoll_rows,
    percentile,
    ratio,
)


def test_the_benchmark_is_registered_and_exposes_run() -> None:
    from benchmarks.__main__ import BENCHMARKS

    assert "control" in BENCHMARKS
    assert callable(control.run)


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50.0) == pytest.approx(50.5)
    assert percentile(values, 99.0) == pytest.approx(99.01)
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 100.0) == 100.0
    assert percentile([7.0], 99.0) == 7.0


def test_percentile_of_no_values_is_none_and_q_is_checked() -> None:
    assert percentile([], 50.0) is None
    with pytest.raises(ValueError, match="q="):
        percentile([1.0], 101.0)


def test_ratio_needs_both_figures_and_a_positive_baseline() -> None:
    assert ratio(30.0, 10.0) == pytest.approx(3.0)
    assert ratio(None, 10.0) is None
    assert ratio(30.0, None) is None
    assert ratio(30.0, 0.0) is None


def test_only_successes_are_latency_samples() -> None:
    samples = CallSamples(ok_ms=[10.0, 20.0, 30.0])
    samples.refused["409 lease.expired"] += 2
    samples.timeouts = 1
    samples.void = 4  # neither success nor failure: not an attempt
    assert samples.p50() == pytest.approx(20.0)
    assert samples.attempts == 6
    assert samples.failed == 1
    assert samples.counts() == "3/2/1"
    details = samples.details()
    assert details["refused"] == {"409 lease.expired": 2}
    assert details["void"] == 4


def test_a_call_meets_its_target_only_without_refusals_or_failures() -> None:
    assert CallSamples(ok_ms=[5.0, 90.0]).meets(100.0)
    assert not CallSamples(ok_ms=[5.0, 150.0]).meets(100.0)
    assert not CallSamples().meets(100.0)  # no success at all
    refused = CallSamples(ok_ms=[5.0], refused=Counter({"409 interlock.busy": 1}))
    assert not refused.meets(100.0)
    timed_out = CallSamples(ok_ms=[5.0], timeouts=1)
    assert not timed_out.meets(100.0)


def test_a_call_row_has_one_cell_a_column_and_the_ratio_of_loaded_to_idle() -> None:
    idle = CallSamples(ok_ms=[2.0, 2.0, 2.0])
    loaded = CallSamples(ok_ms=[8.0, 8.0, 8.0], timeouts=1)
    row = call_row("pump", "cancel", idle, loaded, 100.0)
    assert len(row) == len(COLUMNS)
    cells = dict(zip(COLUMNS, row, strict=True))
    assert cells["phase"] == "pump"
    assert cells["measure"] == "cancel"
    assert cells["idle p50 ms"] == 2.0
    assert cells["load p99 ms"] == 8.0
    assert cells["ratio p50"] == 4.0
    assert cells["load ok/ref/fail"] == "3/0/1"
    assert cells["met"] is False  # the timeout fails it, whatever the p99 of the successes


def test_a_call_row_without_loaded_successes_has_no_figures_and_is_not_met() -> None:
    row = call_row("scan", "beam off", CallSamples(ok_ms=[3.0]), CallSamples(timeouts=2), 100.0)
    cells = dict(zip(COLUMNS, row, strict=True))
    assert cells["load p50 ms"] is None
    assert cells["ratio p99"] is None
    assert cells["met"] is False


def _answer(poller: str, op: str, received_at: float, sent_at: float = 0.0) -> LongPollAnswer:
    return LongPollAnswer(poller, op, sent_at=sent_at, received_at=received_at)


def test_end_delays_measure_first_and_last_answer_from_the_end() -> None:
    answers = [
        _answer("a", "op1", 100.004),
        _answer("b", "op1", 100.030),
        _answer("c", "op1", 100.010, sent_at=100.002),  # asked after the end
        _answer("a", "op2", 200.100),
    ]
    delays = end_delays({"op2": 200.0, "op1": 100.0}, answers, pollers=3)
    assert [d.operation_id for d in delays] == ["op1", "op2"]  # in order of their ends
    first, second = delays
    assert first.first_ms == pytest.approx(4.0)
    assert first.last_ms == pytest.approx(30.0)
    assert first.complete
    assert first.late_requests == 1
    assert second.answered == 1
    assert second.first_ms == pytest.approx(100.0)
    assert second.last_ms is None  # two pollers never answered: no "last of 3"
    assert not second.complete


def test_a_pollers_first_answer_counts_once() -> None:
    answers = [_answer("a", "op", 10.1), _answer("a", "op", 10.5)]
    (delay,) = end_delays({"op": 10.0}, answers, pollers=1)
    assert delay.answered == 1
    assert delay.first_ms == pytest.approx(100.0)
    assert delay.last_ms == pytest.approx(100.0)


def test_an_end_nobody_answered_is_reported_with_no_delay() -> None:
    (delay,) = end_delays({"op": 5.0}, [], pollers=4)
    assert delay.answered == 0
    assert delay.first_ms is None
    assert delay.last_ms is None


def test_longpoll_rows_meet_targets_only_when_every_end_is_fully_answered() -> None:
    fast = [_answer(p, "op", 1.0 + 0.005 + i * 0.01) for i, p in enumerate("abc")]
    rows = longpoll_rows("scan", end_delays({"op": 1.0}, fast, pollers=3), pollers=3)
    assert [len(r) for r in rows] == [len(COLUMNS)] * 2
    first, last = (dict(zip(COLUMNS, r, strict=True)) for r in rows)
    assert first["load p50 ms"] == pytest.approx(5.0)
    assert first["met"] is True  # 5 ms <= 20 ms
    assert last["measure"] == "long-poll last of 3"
    assert last["load p99 ms"] == pytest.approx(25.0)
    assert last["met"] is True
    missing = end_delays({"op": 1.0}, fast[:2], pollers=3)
    _, last_missing = (
        dict(zip(COLUMNS, r, strict=True)) for r in longpoll_rows("scan", missing, 3)
    )
    assert last_missing["met"] is False
    no_ends = longpoll_rows("pump", [], pollers=3)
    assert all(dict(zip(COLUMNS, r, strict=True))["met"] is False for r in no_ends)


def test_load_plan_spreads_threads_over_processes() -> None:
    plan = LoadPlan(256, 3, 32, 2, 8, 1)
    slices = plan.slices()
    assert [r for r, _ in slices] == ["longpoll"] * 3 + ["state"] * 2 + ["download"]
    assert [n for r, n in slices if r == "longpoll"] == [86, 85, 85]
    assert sum(n for _, n in slices) == 256 + 32 + 8


def test_epoch_s_reads_the_servers_time_stamps() -> None:
    assert epoch_s("1970-01-01T00:00:01.5+00:00") == pytest.approx(1.5)
    assert epoch_s("1970-01-01T00:00:02Z") == pytest.approx(2.0)


def test_a_long_poller_waits_for_an_operation_other_than_the_one_it_saw_end() -> None:
    current = _Current()
    assert current.next_after(None, timeout_s=0.0) is None  # nothing named yet
    current.set("op1")
    assert current.next_after(None, timeout_s=0.0) == "op1"
    assert current.next_after("op1", timeout_s=0.0) is None  # op1 ended; wait for the next
    threading.Timer(0.01, current.set, args=("op2",)).start()
    assert current.next_after("op1", timeout_s=5.0) == "op2"
    current.stop()
    assert current.next_after(None, timeout_s=5.0) is None


def test_the_recorder_counts_and_reports_requests_still_in_flight() -> None:
    rec = _Recorder()
    rec.add(ok=1, latency_ms=2.5)
    rec.add(refused=503)
    rec.add(refused=503)
    rec.begin("t1")
    rec.inflight["t1"] -= 10.0  # sent ten seconds ago
    rec.begin("t2")
    rec.end("t2")
    report = rec.snapshot()
    assert report["ok"] == 1
    assert report["refused"] == {"503": 2}
    assert report["latencies_ms"] == [2.5]
    assert report["inflight_over_1s"] == 1
    assert report["oldest_inflight_s"] >= 10.0


class _FakeScene:
    """A scene whose set-up fails on chosen turns; records which calls were measured."""

    def __init__(self, phase_is_scan: bool, failing_prepares: set[int]) -> None:
        self.phase = SCAN if phase_is_scan else PUMP
        self.setup_errors: Counter[str] = Counter()
        self.measured: list[str] = []
        self._turn = 0
        self._failing = failing_prepares

    def prepare(self) -> None:
        self._turn += 1
        if self._turn in self._failing:
            raise SetupError("read the state: ReadTimeout")

    def measure(self, call: str, samples: CallSamples) -> None:
        self.measured.append(call)
        samples.ok_ms.append(1.0)


def test_run_block_takes_the_calls_in_turn_until_each_has_its_samples() -> None:
    scene = _FakeScene(phase_is_scan=True, failing_prepares=set())
    samples, _ = run_block(scene, samples_per_call=2, budget_s=60.0)
    calls = list(SCAN.calls)
    assert scene.measured == calls + calls
    assert all(len(samples[c].ok_ms) == 2 for c in calls)


def test_run_block_skips_a_call_on_the_operation_when_its_scene_is_not_set_up() -> None:
    # Turn 1 (cancel) and turn 2 (heartbeat) fail to set up: the cancel is not tried, the
    # heartbeat (which needs only the session) is tried and marked unverified.
    scene = _FakeScene(phase_is_scan=False, failing_prepares={1, 2})
    samples, _ = run_block(scene, samples_per_call=1, budget_s=60.0)
    assert samples["cancel"].setup_failures == 1
    assert samples["heartbeat"].unverified == 1
    assert samples["heartbeat"].setup_failures == 0
    assert scene.measured == ["heartbeat", "stop", "health", "cancel"]
    assert scene.setup_errors == Counter({"read the state: ReadTimeout": 2})


def test_run_block_stops_when_out_of_time() -> None:
    scene = _FakeScene(phase_is_scan=False, failing_prepares=set())
    samples, _ = run_block(scene, samples_per_call=10, budget_s=0.0)
    assert scene.measured == []
    assert all(s.attempts == 0 for s in samples.values())


def _phase_result() -> PhaseResult:
    result = PhaseResult.empty(SCAN, pollers=2)
    result.unloaded = {call: CallSamples(ok_ms=[1.0, 2.0]) for call in SCAN.calls}
    result.loaded = {call: CallSamples(ok_ms=[3.0, 4.0]) for call in SCAN.calls}
    result.loaded["cancel"].refused["409 lease.expired"] += 1
    answers = [_answer("a", "op", 1.004), _answer("b", "op", 1.008)]
    result.delays = end_delays({"op": 1.0}, answers, pollers=2)
    return result


def test_a_phase_gives_a_row_a_call_and_two_long_poll_rows() -> None:
    rows = phase_rows(_phase_result())
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert [row[1] for row in rows] == [
        *SCAN.calls,
        "long-poll first answer",
        "long-poll last of 2",
    ]
    cells = {row[1]: dict(zip(COLUMNS, row, strict=True)) for row in rows}
    assert cells["cancel"]["met"] is False  # one refusal
    assert cells["health"]["met"] is True
    assert cells["long-poll first answer"]["load p50 ms"] == pytest.approx(4.0)
    details = phase_details(_phase_result())
    assert details["loaded"]["cancel"]["refused"] == {"409 lease.expired": 1}
    assert details["ends"][0]["answered"] == 2
    assert "refusals" in phase_note(_phase_result())


def test_a_skipped_phase_is_one_row_that_says_why_and_is_not_met() -> None:
    result = PhaseResult.empty(PUMP, pollers=4)
    result.skipped = "the restarted server's chamber is pumped, not vented"
    (row,) = phase_rows(result)
    assert len(row) == len(COLUMNS)
    assert "chamber is pumped" in str(row[1])
    assert row[-1] is False
    assert "skipped" in phase_note(result)


def _scene_answering(cancel: dict[str, str], beam_on: bool = False) -> Scene:
    """A scan-phase scene whose server is an httpx.MockTransport with canned answers."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(200, json=cancel)
        if request.url.path.endswith("/beam"):
            return httpx.Response(200, json={"beam_on": beam_on})
        if request.url.path.endswith("/heartbeat"):
            return httpx.Response(409, json={"status": 409, "reason": "lease.expired"})
        return httpx.Response(200, json=cancel)  # GET of the operation: as the cancel left it

    scene = Scene("http://127.0.0.1:9", "t", SCAN, "run_1", call_timeout_s=1.0, setup_timeout_s=1.0)
    transport = httpx.MockTransport(answer)
    scene.close()  # its own clients would reach a real address; the stand-ins never do
    scene._timed = httpx.Client(base_url="http://127.0.0.1:9", transport=transport)
    scene._setup = httpx.Client(base_url="http://127.0.0.1:9", transport=transport)
    scene.session_id, scene.op_id = "ses_1", "op_1"
    return scene


def _stamp(offset_s: float) -> str:
    return datetime.fromtimestamp(time.time() + offset_s, tz=UTC).isoformat()


def test_a_cancel_counts_only_when_it_cancelled_the_running_operation() -> None:
    cancelled = {"id": "op_1", "status": "cancelled", "updated_at": _stamp(+1.0)}
    samples = CallSamples()
    _scene_answering(cancelled).measure("cancel", samples)
    assert len(samples.ok_ms) == 1

    ended_before = {"id": "op_1", "status": "succeeded", "updated_at": _stamp(-5.0)}
    samples = CallSamples()
    _scene_answering(ended_before).measure("cancel", samples)
    assert (samples.ok_ms, samples.void, samples.ineffective) == ([], 1, 0)

    ended_on_its_own_after = {"id": "op_1", "status": "succeeded", "updated_at": _stamp(+1.0)}
    samples = CallSamples()
    _scene_answering(ended_on_its_own_after).measure("cancel", samples)
    assert (samples.ok_ms, samples.void, samples.ineffective) == ([], 0, 1)


def test_beam_off_counts_only_when_the_answer_shows_the_beam_off() -> None:
    ended = {"id": "op_1", "status": "cancelled", "updated_at": _stamp(+1.0)}
    samples = CallSamples()
    _scene_answering(ended, beam_on=False).measure("beam off", samples)
    assert len(samples.ok_ms) == 1
    samples = CallSamples()
    _scene_answering(ended, beam_on=True).measure("beam off", samples)
    assert (samples.ok_ms, samples.ineffective) == ([], 1)


def test_a_refusal_is_counted_by_reason_not_timed() -> None:
    samples = CallSamples()
    _scene_answering({}).measure("heartbeat", samples)
    assert samples.ok_ms == []
    assert samples.refused == Counter({"409 lease.expired": 1})
