"""Store: every table round-trips, writes are atomic, restarts report interrupted work honestly."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semphony.server.artifacts import ArtifactStore
from semphony.server.errors import (
    IdempotencyInProgressError,
    IdempotencyMismatchError,
    OperationFinishedError,
    RecordNotFoundError,
    RoiExistsError,
    StoreError,
)
from semphony.server.store import (
    DB_FILENAME,
    SCHEMA_VERSION,
    ArtifactRecord,
    IdempotentRequest,
    Store,
)
from semphony.server.store._schema import _MIGRATIONS

T0 = 1_760_000_000.0


class FakeClock:
    """A settable clock in Unix seconds."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock, database_url: str | None) -> Iterator[Store]:
    """A store on each backend: SQLite in tmp_path, and a fresh PostgreSQL schema."""
    with Store(tmp_path, database_url=database_url, clock=clock, idempotency_ttl_s=86400) as s:
        yield s


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _artifact(image_id: str, operation_id: str | None) -> ArtifactRecord:
    return ArtifactRecord(
        image_id=image_id,
        operation_id=operation_id,
        path=f"artifacts/{image_id}.tiff",
        sha256=_sha(image_id),
        size_bytes=123,
        mime="image/tiff",
        width=8,
        height=4,
    )


# ----------------------------------------------------------------------------------------- schema


def test_a_new_database_has_the_current_schema_version(store: Store, tmp_path: Path) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert (tmp_path / DB_FILENAME).is_file() == (store.db.dialect == "sqlite")


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path)


def test_reopening_a_database_keeps_its_version_and_data(tmp_path: Path) -> None:
    with Store(tmp_path) as first:
        run = first.runs.create("kept")
    with Store(tmp_path) as second:
        assert second.schema_version == SCHEMA_VERSION
        assert second.runs.get(run.id) == run


def _version_1_database(data_dir: Path) -> None:
    """A data dir as a version-1 server left it: its schema, one run and one audit entry."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / DB_FILENAME)
    # Migrations are append-only: [0] is version 1's schema. Servers of that version kept the
    # version in PRAGMA user_version.
    for statement in _MIGRATIONS[0]:
        conn.execute(statement.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"))
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO runs VALUES ('run_old', 'old run', ?, '{}')", (T0,))
    conn.execute(
        "INSERT INTO audit (at, actor_role, session_id, run_id, method, path, command, params,"
        " outcome, status_code) VALUES (?, 'operator', NULL, 'run_old', 'POST', '/v1/runs',"
        " 'session.start', '{}', 'succeeded', 201)",
        (T0,),
    )
    conn.commit()
    conn.close()


def test_a_version_1_database_gains_the_audit_clock_and_request_columns(tmp_path: Path) -> None:
    _version_1_database(tmp_path)
    with Store(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 5
        (old,) = store.audit.entries()
        assert (old.command, old.run_id, old.status_code) == ("session.start", "run_old", 201)
        assert old.clock_s is None
        assert old.request_id is None
        assert store.runs.get("run_old") is not None
        new = store.audit.append(
            method="POST",
            path="/v1/sessions/s/beam",
            command="beam.set",
            outcome="succeeded",
            run_id="run_old",
            clock_s=12.5,
            request_id="abc123",
        )
    with Store(tmp_path) as reopened:
        assert reopened.schema_version == SCHEMA_VERSION
        assert reopened.audit.entries() == [old, new]
        assert (new.clock_s, new.request_id) == (12.5, "abc123")


def test_a_failed_migration_leaves_the_version_1_database_as_it_was(tmp_path: Path) -> None:
    _version_1_database(tmp_path)
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    conn.execute("ALTER TABLE audit ADD COLUMN request_id TEXT")  # the second ALTER will fail
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="request_id"):
        Store(tmp_path)
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    try:
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == 1
        columns = [row[1] for row in conn.execute("PRAGMA table_info(audit)")]
        assert "clock_s" not in columns
    finally:
        conn.close()


# ------------------------------------------------------------------------------------ round trips


def test_runs_round_trip_through_a_reopen(tmp_path: Path, clock: FakeClock) -> None:
    with Store(tmp_path, clock=clock) as store:
        first = store.runs.create("grain-boundaries", {"operator": "ada", "n": 3})
        clock.advance(1)
        second = store.runs.create("second")
    with Store(tmp_path, clock=clock) as store:
        assert store.runs.get(first.id) == first
        assert store.runs.all() == [first, second]
        assert store.runs.all(max_items=1) == [first]
        assert store.runs.get("run_missing") is None
    assert first.created_at == datetime.fromtimestamp(T0, tz=UTC)
    assert first.metadata == {"operator": "ada", "n": 3}


def test_sessions_round_trip_and_ending_twice_changes_nothing(
    store: Store, clock: FakeClock
) -> None:
    run = store.runs.create("r")
    expires = datetime.fromtimestamp(T0 + 30, tz=UTC)
    session = store.sessions.create(
        run_id=run.id, holder="ada@lab", role="operator", lease_expires_at=expires
    )
    assert store.sessions.get(session.id) == session
    assert store.sessions.active() == [session]
    later = datetime.fromtimestamp(T0 + 50, tz=UTC)
    extended = store.sessions.extend(session.id, later)
    assert extended.lease_expires_at == later
    clock.advance(5)
    ended = store.sessions.end(session.id, "released")
    assert ended.ended_at == datetime.fromtimestamp(T0 + 5, tz=UTC)
    assert ended.end_reason == "released"
    assert not ended.active
    assert store.sessions.active() == []
    clock.advance(5)
    assert store.sessions.end(session.id, "lease.expired") == ended
    with pytest.raises(RecordNotFoundError):
        store.sessions.extend(session.id, later)
    with pytest.raises(RecordNotFoundError):
        store.sessions.end("ses_missing", "released")


def test_a_session_of_an_unknown_run_is_refused(store: Store) -> None:
    with pytest.raises(RecordNotFoundError, match="run 'run_nope'"):
        store.sessions.create(
            run_id="run_nope",
            holder="h",
            role="operator",
            lease_expires_at=datetime.fromtimestamp(T0, tz=UTC),
        )


def test_operations_round_trip_with_progress_result_and_problem(
    tmp_path: Path, clock: FakeClock
) -> None:
    with Store(tmp_path, clock=clock) as store:
        run = store.runs.create("r")
        op = store.operations.create(
            run_id=run.id,
            session_id=None,
            kind="acquisition",
            params={"fov_um": 100.0, "resolution": [1024, 1024]},
            progress_total=1024,
            progress_unit="lines",
        )
        assert op.status == "pending"
        clock.advance(2)
        running = store.operations.update(op.id, status="running", progress_done=512)
        assert running.progress_done == 512
        assert running.updated_at == datetime.fromtimestamp(T0 + 2, tz=UTC)
        assert running.created_at == op.created_at
        done = store.operations.finish(
            op.id, status="succeeded", result={"correlation_id": op.id, "image_id": "img_1"}
        )
        failed_op = store.operations.create(run_id=run.id, session_id=None, kind="move")
        failed = store.operations.finish(
            failed_op.id,
            status="failed",
            problem={"reason": "device.error", "device_code": -3},
        )
    with Store(tmp_path, clock=clock) as store:
        assert store.operations.get(op.id) == done
        assert done.status == "succeeded"
        assert done.progress_done == 1024
        assert done.result == {"correlation_id": op.id, "image_id": "img_1"}
        assert done.params == {"fov_um": 100.0, "resolution": [1024, 1024]}
        assert store.operations.get(failed_op.id) == failed
        assert failed.problem == {"reason": "device.error", "device_code": -3}
        assert failed.result is None


def test_list_operations_filters_by_kind_and_status_in_creation_order(
    store: Store, clock: FakeClock
) -> None:
    run = store.runs.create("r")
    other = store.runs.create("other")
    made = []
    for kind in ("move", "acquisition", "acquisition", "pump", "acquisition"):
        made.append(store.operations.create(run_id=run.id, session_id=None, kind=kind))
        clock.advance(1)
    store.operations.create(run_id=other.id, session_id=None, kind="acquisition")
    store.operations.finish(made[1].id, status="succeeded")
    store.operations.finish(made[4].id, status="succeeded")
    store.operations.finish(made[2].id, status="cancelled")

    assert [o.id for o in store.operations.of_run(run.id)] == [o.id for o in made]
    assert [o.id for o in store.operations.of_run(run.id, kind="acquisition")] == [
        made[1].id,
        made[2].id,
        made[4].id,
    ]
    assert [
        o.id for o in store.operations.of_run(run.id, kind="acquisition", status="succeeded")
    ] == [made[1].id, made[4].id]
    assert [o.id for o in store.operations.of_run(run.id, status="pending")] == [
        made[0].id,
        made[3].id,
    ]
    assert [o.id for o in store.operations.of_run(run.id, max_items=2)] == [made[0].id, made[1].id]
    with pytest.raises(ValueError, match="limit"):
        store.operations.of_run(run.id, max_items=0)


def test_operations_created_in_the_same_instant_keep_their_creation_order(store: Store) -> None:
    run = store.runs.create("r")
    ids = [
        store.operations.create(run_id=run.id, session_id=None, kind="move").id for _ in range(5)
    ]
    assert [o.id for o in store.operations.of_run(run.id)] == ids


def test_a_terminal_operation_cannot_change(store: Store) -> None:
    run = store.runs.create("r")
    op = store.operations.create(run_id=run.id, session_id=None, kind="vent")
    done = store.operations.finish(op.id, status="succeeded", result={"vacuum": "vented"})
    with pytest.raises(OperationFinishedError, match="already succeeded"):
        store.operations.update(op.id, status="running")
    with pytest.raises(OperationFinishedError):
        store.operations.finish(op.id, status="failed", problem={"reason": "x"})
    assert store.operations.get(op.id) == done


def test_an_operation_of_an_unknown_run_or_session_is_refused(store: Store) -> None:
    with pytest.raises(RecordNotFoundError, match="run"):
        store.operations.create(run_id="run_nope", session_id=None, kind="move")
    run = store.runs.create("r")
    with pytest.raises(RecordNotFoundError, match="session"):
        store.operations.create(run_id=run.id, session_id="ses_nope", kind="move")
    assert store.operations.of_run(run.id) == []


def test_artifacts_round_trip_and_list_by_operation(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        run = store.runs.create("r")
        op = store.operations.create(run_id=run.id, session_id=None, kind="acquisition")
        store.operations.finish(op.id, status="succeeded", artifacts=[_artifact("img_a", op.id)])
        loose = store.artifacts.add(_artifact("img_b", None))
    with Store(tmp_path) as store:
        stored = store.artifacts.get("img_a")
        assert stored is not None
        assert stored.operation_id == op.id
        assert stored.sha256 == _sha("img_a")
        assert (stored.width, stored.height, stored.size_bytes) == (8, 4, 123)
        assert [a.image_id for a in store.artifacts.all(operation_id=op.id)] == ["img_a"]
        assert [a.image_id for a in store.artifacts.all()] == ["img_a", "img_b"]
        assert store.artifacts.get("img_b") == loose
        assert store.artifacts.get("img_zzz") is None


def test_sim_state_round_trips_and_is_replaced(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        assert store.snapshots.load() is None
        store.snapshots.save({"seed": 1, "placement": {"shift_um": [0.0, 0.0]}})
        store.snapshots.save({"seed": 7, "placement": {"shift_um": [12.5, -3.0], "rot_deg": 2}})
    with Store(tmp_path) as store:
        assert store.snapshots.load() == {
            "seed": 7,
            "placement": {"shift_um": [12.5, -3.0], "rot_deg": 2},
        }


def test_audit_entries_round_trip_in_order_and_filter_by_run(store: Store) -> None:
    run = store.runs.create("r")
    first = store.audit.append(
        method="POST",
        path=f"/v1/runs/{run.id}/sessions",
        command="session.start",
        outcome="accepted",
        actor_role="operator",
        token_fingerprint="1a2b3c4d",
        run_id=run.id,
        status_code=201,
    )
    store.audit.append(method="GET", path="/v1/state", command="state", outcome="succeeded")
    refused = store.audit.append(
        method="POST",
        path="/v1/sessions/s/chamber/vent",
        command="chamber.vent",
        outcome="refused",
        params={"why": "beam on"},
        run_id=run.id,
        status_code=409,
        reason="interlock.beam_must_be_off",
    )
    assert store.audit.entries(run_id=run.id) == [first, refused]
    assert [e.seq for e in store.audit.entries()] == [first.seq, first.seq + 1, refused.seq]
    assert store.audit.entries(after_seq=first.seq + 1) == [refused]
    assert refused.params == {"why": "beam on"}
    assert (first.clock_s, first.request_id) == (None, None)
    with pytest.raises(ValueError, match="outcome"):
        store.audit.append(
            method="GET",
            path="/",
            command="x",
            outcome="maybe",  # type: ignore[arg-type]
        )


@given(
    clock_s=st.floats(allow_nan=False, allow_infinity=False),
    request_id=st.text(min_size=1, max_size=64),
)
@settings(max_examples=25, deadline=None)
def test_the_instrument_clock_and_request_id_round_trip_through_the_audit_log(
    shared_store: Store, clock_s: float, request_id: str
) -> None:
    written = shared_store.audit.append(
        method="POST",
        path="/v1/sessions/s/chamber/pump",
        command="chamber.pump",
        outcome="accepted",
        clock_s=clock_s,
        request_id=request_id,
    )
    (read,) = shared_store.audit.entries(after_seq=written.seq - 1, max_items=1)
    assert read == written
    assert (read.clock_s, read.request_id) == (clock_s, request_id)


@pytest.mark.parametrize("clock_s", [float("nan"), float("inf"), float("-inf")])
def test_an_audit_entry_with_a_clock_that_is_not_finite_is_refused(
    store: Store, clock_s: float
) -> None:
    with pytest.raises(ValueError, match="clock_s: must be finite"):
        store.audit.append(
            method="POST", path="/", command="x", outcome="accepted", clock_s=clock_s
        )
    assert store.audit.entries() == []


# ------------------------------------------------------------------------------------------- ROIs


def test_saving_an_existing_roi_without_overwrite_is_refused_and_changes_nothing(
    store: Store, clock: FakeClock
) -> None:
    saved = store.rois.save("my_roi", {"roi_fov_um": 50})
    clock.advance(10)
    with pytest.raises(RoiExistsError, match="my_roi") as info:
        store.rois.save("my_roi", {"roi_fov_um": 99})
    assert info.value.reason == "roi.exists"
    assert store.rois.get("my_roi") == saved


def test_overwriting_an_roi_replaces_its_record_and_keeps_its_creation_time(
    store: Store, clock: FakeClock
) -> None:
    saved = store.rois.save("my_roi", {"roi_fov_um": 50})
    clock.advance(10)
    replaced = store.rois.save("my_roi", {"roi_fov_um": 99}, overwrite=True)
    assert replaced.record == {"roi_fov_um": 99}
    assert replaced.created_at == saved.created_at
    assert replaced.updated_at == saved.created_at + timedelta(seconds=10)
    assert store.rois.get("my_roi") == replaced
    assert store.rois.save("other", {"a": 1}, overwrite=True).record == {"a": 1}
    assert [r.name for r in store.rois.all()] == ["my_roi", "other"]
    assert store.rois.delete("other") is True
    assert store.rois.delete("other") is False


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("shared")) as s:
        yield s


@settings(max_examples=60, deadline=None)
@given(record=st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_any_json_roi_record_round_trips(shared_store: Store, record: dict[str, Any]) -> None:
    shared_store.rois.save("r", record, overwrite=True)
    got = shared_store.rois.get("r")
    assert got is not None
    assert got.record == record


def test_a_record_that_is_not_json_is_refused_naming_the_field(store: Store) -> None:
    with pytest.raises(ValueError, match="record"):
        store.rois.save("bad", {"x": float("nan")})
    with pytest.raises(ValueError, match="metadata"):
        store.runs.create("bad", {"when": datetime.now(tz=UTC)})
    assert store.rois.get("bad") is None
    assert store.runs.all() == []


# ----------------------------------------------------------------------------------- atomicity


def _three_writes_then_a_crash(store: Store) -> None:
    with store.transaction():
        run = store.runs.create("half")
        store.operations.create(run_id=run.id, session_id=None, kind="move")
        store.audit.append(method="POST", path="/v1/runs", command="x", outcome="accepted")
        raise RuntimeError("boom")


def test_a_failing_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _three_writes_then_a_crash(store)
    assert store.runs.all() == []
    assert store.audit.entries() == []
    assert store.operations.active() == []


def test_finishing_with_a_conflicting_artifact_changes_nothing(store: Store) -> None:
    run = store.runs.create("r")
    first = store.operations.create(run_id=run.id, session_id=None, kind="acquisition")
    store.operations.finish(first.id, status="succeeded", artifacts=[_artifact("img_a", first.id)])
    second = store.operations.create(run_id=run.id, session_id=None, kind="acquisition")
    running = store.operations.update(second.id, status="running")
    with pytest.raises(StoreError):
        store.operations.finish(
            second.id,
            status="succeeded",
            result={"image_id": "img_a"},
            # The second record is fine, the first collides: neither may land.
            artifacts=[_artifact("img_c", second.id), _artifact("img_a", second.id)],
        )
    assert store.operations.get(second.id) == running
    assert store.artifacts.get("img_c") is None
    assert store.artifacts.all(operation_id=second.id) == []


def test_concurrent_writers_from_threads_all_land(store: Store) -> None:
    def worker(n: int) -> None:
        for i in range(25):
            store.audit.append(method="POST", path=f"/t/{n}/{i}", command="c", outcome="accepted")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = store.audit.entries(max_items=1000)
    assert len(entries) == 150
    assert len({e.path for e in entries}) == 150
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)


# ----------------------------------------------------------------------------- kill and restart

_KILLED_SERVER = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    import numpy as np
    from semphony.server.artifacts import ArtifactStore
    from semphony.server.store import ArtifactRecord, Store

    data_dir = Path(sys.argv[1])
    store = Store(data_dir)
    artifacts = ArtifactStore(data_dir)
    run = store.runs.create("killed")
    done_ids = []
    for n in range(3):
        op = store.operations.create(run_id=run.id, session_id=None, kind="acquisition",
                                    progress_total=16, progress_unit="lines")
        store.operations.update(op.id, status="running")
        pixels = (np.arange(16 * 16, dtype=np.uint16).reshape(16, 16) * (n + 1))
        info = artifacts.write(f"img_{n}", pixels, pixel_size_um=0.5, settings={"n": n})
        store.operations.finish(op.id, status="succeeded", result={"image_id": info.image_id},
            artifacts=[ArtifactRecord(image_id=info.image_id, operation_id=op.id, path=info.path,
                sha256=info.sha256, size_bytes=info.size_bytes, mime=info.mime,
                width=info.width, height=info.height)])
        done_ids.append(op.id)
    running = store.operations.create(run_id=run.id, session_id=None, kind="acquisition",
                                     progress_total=16, progress_unit="lines")
    store.operations.update(running.id, status="running", progress_done=7)
    pending = store.operations.create(run_id=run.id, session_id=None, kind="move")
    store.snapshots.save({"seed": 42, "placement": {"shift_um": [3.5, -1.25]}})
    print(json.dumps({"run": run.id, "done": done_ids, "running": running.id,
                      "pending": pending.id}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_work_running_at_a_kill_is_failed_after_restart_and_completed_work_survives(
    tmp_path: Path,
) -> None:
    import json

    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_SERVER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    ids = json.loads(proc.stdout)

    with Store(tmp_path) as store:
        interrupted = store.operations.mark_interrupted()
        assert sorted(o.id for o in interrupted) == sorted([ids["running"], ids["pending"]])
        for op_id in (ids["running"], ids["pending"]):
            op = store.operations.get(op_id)
            assert op is not None
            assert op.status == "failed"
            assert op.problem is not None
            assert op.problem["reason"] == "server.restarted"
            assert "did not complete" in op.problem["detail"]
        assert store.operations.get(ids["running"]).progress_done == 7  # type: ignore[union-attr]
        succeeded = store.operations.of_run(ids["run"], kind="acquisition", status="succeeded")
        assert [o.id for o in succeeded] == ids["done"]
        artifacts = ArtifactStore(tmp_path)
        for op in succeeded:
            (record,) = store.artifacts.all(operation_id=op.id)
            raw = (tmp_path / record.path).read_bytes()
            assert hashlib.sha256(raw).hexdigest() == record.sha256
            assert len(raw) == record.size_bytes
            assert artifacts.verify(record.image_id, record.sha256)
        assert store.snapshots.load() == {"seed": 42, "placement": {"shift_um": [3.5, -1.25]}}
        # A second start-up finds nothing left to fail.
        assert store.operations.mark_interrupted() == []


def test_closing_mid_operation_and_reopening_reports_it_failed_never_done(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store:
        run = store.runs.create("r")
        op = store.operations.create(run_id=run.id, session_id=None, kind="pump")
        store.operations.update(op.id, status="running")
    with Store(tmp_path) as store:
        (failed,) = store.operations.mark_interrupted()
        assert failed.id == op.id
        assert failed.status == "failed"
        with pytest.raises(OperationFinishedError):
            store.operations.finish(op.id, status="succeeded")


# ------------------------------------------------------------------------------------ idempotency


def _req(
    body: str = '{"x_mm": 1}', key: str = "k-1", path: str = "/v1/s/stage/move"
) -> IdempotentRequest:
    return IdempotentRequest(
        principal="1a2b3c4d", key=key, method="POST", path=path, body_sha256=_sha(body)
    )


def test_the_same_key_and_body_replays_the_stored_response(store: Store) -> None:
    assert store.idempotency.begin(_req()) is None
    store.idempotency.complete(
        _req(),
        status_code=202,
        body={"id": "op_1", "status": "pending"},
        headers={"Location": "/x"},
    )
    replay = store.idempotency.begin(_req())
    assert replay is not None
    assert replay.status_code == 202
    assert replay.body == {"id": "op_1", "status": "pending"}
    assert replay.headers == {"Location": "/x"}


def test_the_same_key_with_a_different_body_is_a_mismatch(store: Store) -> None:
    store.idempotency.begin(_req())
    store.idempotency.complete(_req(), status_code=202, body={"id": "op_1"})
    with pytest.raises(IdempotencyMismatchError, match="body") as info:
        store.idempotency.begin(_req(body='{"x_mm": 2}'))
    assert info.value.reason == "idempotency.mismatch"
    assert info.value.status == 422
    with pytest.raises(IdempotencyMismatchError, match="path"):
        store.idempotency.begin(_req(path="/v1/s/chamber/vent"))


def test_keys_belong_to_their_principal(store: Store) -> None:
    assert store.idempotency.begin(_req()) is None
    other = IdempotentRequest(
        principal="ffffffff", key="k-1", method="POST", path="/v1/x", body_sha256=_sha("other")
    )
    assert store.idempotency.begin(other) is None


def test_a_key_still_in_flight_is_reported_in_progress_and_can_be_abandoned(
    store: Store,
) -> None:
    assert store.idempotency.begin(_req()) is None
    with pytest.raises(IdempotencyInProgressError):
        store.idempotency.begin(_req())
    store.idempotency.abandon(_req())
    assert store.idempotency.begin(_req()) is None


def test_idempotency_keys_expire_after_the_ttl(store: Store, clock: FakeClock) -> None:
    store.idempotency.begin(_req())
    store.idempotency.complete(_req(), status_code=202, body={"id": "op_1"})
    clock.advance(86400 - 1)
    assert store.idempotency.begin(_req()) is not None
    clock.advance(1)
    # Expired: the key is fresh again, even for a different body.
    assert store.idempotency.begin(_req(body="{}")) is None


def test_purge_deletes_only_expired_keys(store: Store, clock: FakeClock) -> None:
    store.idempotency.begin(_req(key="old"))
    store.idempotency.complete(_req(key="old"), status_code=200, body=None)
    clock.advance(50_000)
    store.idempotency.begin(_req(key="new"))
    store.idempotency.complete(_req(key="new"), status_code=200, body=[1, 2])
    clock.advance(40_000)
    assert store.idempotency.purge() == 1
    assert store.idempotency.begin(_req(key="new")) is not None
    assert store.idempotency.begin(_req(key="old")) is None


def test_idempotency_keys_survive_a_restart_but_reservations_do_not(
    tmp_path: Path, clock: FakeClock
) -> None:
    with Store(tmp_path, clock=clock) as store:
        store.idempotency.begin(_req(key="done"))
        store.idempotency.complete(_req(key="done"), status_code=202, body={"id": "op_9"})
        store.idempotency.begin(_req(key="dying"))
    with Store(tmp_path, clock=clock) as store:
        assert store.idempotency.drop_pending() == 1
        replay = store.idempotency.begin(_req(key="done"))
        assert replay is not None
        assert replay.body == {"id": "op_9"}
        with pytest.raises(IdempotencyMismatchError):
            store.idempotency.begin(_req(key="done", body="different"))
        assert store.idempotency.begin(_req(key="dying")) is None


def test_completing_an_unreserved_key_is_refused(store: Store) -> None:
    with pytest.raises(RecordNotFoundError):
        store.idempotency.complete(_req(), status_code=200, body={})


def test_the_store_repr_names_its_file_or_its_database(store: Store) -> None:
    where = DB_FILENAME if store.db.dialect == "sqlite" else "postgresql://postgres@127.0.0.1:"
    assert where in repr(store)


def test_an_artifact_of_an_unknown_operation_is_refused(store: Store) -> None:
    with pytest.raises(RecordNotFoundError, match="operation"):
        store.artifacts.add(_artifact("img_x", "op_nope"))
    assert store.artifacts.all() == []


def test_pixels_written_by_an_artifact_store_match_the_recorded_digest(tmp_path: Path) -> None:
    artifacts = ArtifactStore(tmp_path)
    info = artifacts.write(
        "img_q", np.full((4, 4), 7, dtype=np.uint8), pixel_size_um=1.0, settings={}
    )
    with Store(tmp_path) as store:
        store.artifacts.add(
            ArtifactRecord(
                image_id=info.image_id,
                operation_id=None,
                path=info.path,
                sha256=info.sha256,
                size_bytes=info.size_bytes,
                mime=info.mime,
                width=info.width,
                height=info.height,
            )
        )
        record = store.artifacts.get("img_q")
    assert record is not None
    assert hashlib.sha256((tmp_path / record.path).read_bytes()).hexdigest() == record.sha256
