"""Several instruments on one database: every record names its instrument, a name is claimed by
one live server at a time, and two servers' sessions, operations and keys never meet."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from semphony.cli import main
from semphony.server.errors import RecordNotFoundError
from semphony.server.store import DB_FILENAME, IdempotentRequest, InstrumentClaimedError, Store
from semphony.server.store._schema import _MIGRATIONS
from semphony.server.store.instruments import check_instrument_name

T0 = 1_760_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pair(tmp_path: Path, clock: Clock, database_url: str | None) -> Iterator[tuple[Store, Store]]:
    """Two instruments' stores on one database (one SQLite file, or one PostgreSQL schema)."""
    one = Store(tmp_path, database_url=database_url, clock=clock, instrument="sem1")
    two = Store(tmp_path, database_url=database_url, clock=clock, instrument="sem2")
    try:
        yield one, two
    finally:
        one.close()
        two.close()


def _request(key: str) -> IdempotentRequest:
    return IdempotentRequest("operator:abc", key, "POST", "/v1/runs", "0" * 64)


def test_sessions_operations_and_keys_stay_with_their_instrument(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    run = one.runs.create("r1")
    session = one.sessions.create(
        run_id=run.id, holder="alice", role="operator", lease_expires_at=one.now()
    )
    op = one.operations.create(run_id=run.id, session_id=session.id, kind="pump")
    assert (run.instrument, session.instrument, op.instrument) == ("sem1", "sem1", "sem1")
    assert two.sessions.active() == []
    assert two.sessions.get(session.id) is None
    assert two.operations.active() == []
    assert two.operations.get(op.id) is None
    # A second server starting fails its own interrupted operations, never another's.
    assert two.operations.mark_interrupted() == []
    assert [o.id for o in one.operations.active()] == [op.id]
    # Another instrument's run cannot hold this instrument's sessions or operations.
    with pytest.raises(RecordNotFoundError):
        two.sessions.create(
            run_id=run.id, holder="bob", role="operator", lease_expires_at=two.now()
        )
    with pytest.raises(RecordNotFoundError):
        two.operations.create(run_id=run.id, session_id=None, kind="pump")
    # One key sent to two servers is two requests; forgetting one's pending keys keeps the other's.
    assert one.idempotency.begin(_request("k")) is None
    assert two.idempotency.begin(_request("k")) is None
    assert two.idempotency.drop_pending() == 1
    one.idempotency.complete(_request("k"), status_code=201, body={"ok": 1})
    replay = one.idempotency.begin(_request("k"))
    assert replay is not None
    assert replay.body == {"ok": 1}
    assert two.sessions.holder(session.id) == "alice"


def test_runs_rois_and_audit_are_one_catalogue_filterable_by_instrument(
    pair: tuple[Store, Store],
) -> None:
    one, two = pair
    r1 = one.runs.create("a")
    r2 = two.runs.create("b")
    assert {(r.id, r.instrument) for r in one.runs.all()} == {(r1.id, "sem1"), (r2.id, "sem2")}
    assert [r.id for r in two.runs.all(instrument="sem1")] == [r1.id]
    assert two.runs.get(r1.id) == r1
    # ROI names are unique per instrument: the same name is two records.
    one.rois.save("grain", {"n": 1})
    two.rois.save("grain", {"n": 2})
    assert one.rois.get("grain").record == {"n": 1}  # type: ignore[union-attr]
    assert two.rois.get("grain").record == {"n": 2}  # type: ignore[union-attr]
    assert two.rois.get("grain", "sem1").record == {"n": 1}  # type: ignore[union-attr]
    assert [(r.instrument, r.name) for r in one.rois.all()] == [
        ("sem1", "grain"),
        ("sem2", "grain"),
    ]
    assert [r.record for r in one.rois.all("sem2")] == [{"n": 2}]
    assert two.rois.delete("grain")
    assert one.rois.get("grain") is not None
    one.audit.append(method="POST", path="/v1/runs", command="run.create", outcome="succeeded")
    two.audit.append(method="POST", path="/v1/runs", command="run.create", outcome="refused")
    assert [e.instrument for e in one.audit.entries()] == ["sem1", "sem2"]
    assert [e.outcome for e in one.audit.entries(instrument="sem2")] == ["refused"]


def test_each_instrument_keeps_its_own_driver_snapshot(pair: tuple[Store, Store]) -> None:
    one, two = pair
    one.snapshots.save({"specimen": "a"})
    assert two.snapshots.load() is None
    two.snapshots.save({"specimen": "b"})
    assert one.snapshots.load() == {"specimen": "a"}


def test_a_live_claim_refuses_a_second_server_and_a_stale_one_is_taken_over(
    pair: tuple[Store, Store], clock: Clock, tmp_path: Path, database_url: str | None
) -> None:
    one, _ = pair
    one.instruments.claim("sem1", "http://sem1.lab:8712")
    with Store(tmp_path, database_url=database_url, clock=clock, instrument="sem1") as again:
        with pytest.raises(InstrumentClaimedError, match=r"'sem1' is claimed .*sem1\.lab"):
            again.instruments.claim("sem1")
        clock.t += 10
        assert one.instruments.heartbeat("sem1")
        clock.t += 25  # 25 s after the last heartbeat: still live
        with pytest.raises(InstrumentClaimedError):
            again.instruments.check_free("sem1")
        clock.t += 10  # no heartbeat for 35 s: stale
        claim = again.instruments.claim("sem1")
        assert claim.owner == again.instruments.owner
        assert not one.instruments.heartbeat("sem1")  # the first server learns it lost the name
        again.instruments.release("sem1")
        one.instruments.claim("sem1")  # released: free at once


def test_a_claim_of_a_dead_process_on_this_host_is_free_at_once(
    pair: tuple[Store, Store], clock: Clock
) -> None:
    one, two = pair
    one.instruments.claim("sem1")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    with one.db.write() as tx:
        tx.execute("UPDATE instruments SET pid = ? WHERE name = 'sem1'", (int(dead.stdout),))
    two.instruments.claim("sem1")  # a server killed and restarted need not wait


def test_migrating_gives_existing_records_the_servers_instrument(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    for statement in _MIGRATIONS[0]:
        conn.execute(statement.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"))
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO runs VALUES ('run_old', 'old run', ?, '{}')", (T0,))
    conn.execute("INSERT INTO rois VALUES ('grain', '{\"a\":1}', ?, ?)", (T0, T0))
    conn.execute("INSERT INTO sim_state VALUES (1, '{\"s\":1}', ?)", (T0,))
    conn.execute(
        "INSERT INTO audit (at, method, path, command, params, outcome) VALUES"
        " (?, 'POST', '/v1/runs', 'run.create', '{}', 'succeeded')",
        (T0,),
    )
    conn.commit()
    conn.close()
    with Store(tmp_path, instrument="sem7") as store:
        assert store.runs.get("run_old").instrument == "sem7"  # type: ignore[union-attr]
        roi = store.rois.get("grain")
        assert roi is not None
        assert (roi.instrument, roi.record) == ("sem7", {"a": 1})
        assert store.snapshots.load() == {"s": 1}
        assert [e.instrument for e in store.audit.entries()] == ["sem7"]


@pytest.mark.parametrize("name", ["", "a/b", "-x", "x" * 65, "sem 1"])
def test_an_instrument_name_is_a_slug_without_the_qualifier(name: str) -> None:
    with pytest.raises(ValueError, match="instrument"):
        check_instrument_name(name)


def test_serve_requires_an_instrument_name_with_a_shared_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    assert main(["serve", "--database-url", url, "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "--instrument NAME is required with --database-url" in err


def test_serve_refuses_an_instrument_another_live_server_holds(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(tmp_path / "first", database_url=pg_url, instrument="sem1") as first:
        first.instruments.claim("sem1", "http://127.0.0.1:9")
        argv = ["serve", "--database-url", pg_url, "--instrument", "sem1"]
        assert main([*argv, "--data-dir", str(tmp_path / "second"), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "instrument 'sem1' is claimed by another server at http://127.0.0.1:9" in err
