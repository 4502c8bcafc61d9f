"""`semphony db copy`: an embedded SQLite store copied into a throwaway PostgreSQL, row for row."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg.rows import dict_row

from semphony.cli import main
from semphony.server.errors import StoreError
from semphony.server.store import (
    DB_FILENAME,
    SCHEMA_VERSION,
    ArtifactRecord,
    IdempotentRequest,
    Store,
    _copy,
)
from semphony.server.store._copy import copy_store
from tests.server.test_store import _version_1_database

TABLES = {  # every table the schema makes, and an order to compare its rows in
    "runs": "id",
    "sessions": "id",
    "operations": "id",
    "artifacts": "image_id",
    "rois": "instrument, name",
    "idempotency": "instrument, principal, key",
    "audit": "seq",
    "sim_state": "instrument",
    "instruments": "name",
    "calibrations": "instrument",
}


def _filled(data_dir: Path) -> Store:
    """A SQLite store with runs, a session, an operation and its artifact, ROIs, audit, ..."""
    store = Store(data_dir)
    run = store.runs.create("grains", {"specimen": "steel-7", "n": 3})
    store.runs.create("empty", {})
    session = store.sessions.create(
        run_id=run.id,
        holder="alice",
        role="operator",
        lease_expires_at=store.now() + timedelta(seconds=30),
        lease_s=30.0,
        secret_sha256="ab" * 32,
    )
    op = store.operations.create(
        run_id=run.id, session_id=session.id, kind="acquisition", params={"fov_um": 100.0}
    )
    image = ArtifactRecord(
        image_id="img_0001",
        operation_id=op.id,
        path="artifacts/img_0001.tiff",
        sha256="cd" * 32,
        size_bytes=1234,
        mime="image/tiff",
        width=64,
        height=32,
    )
    store.operations.finish(op.id, status="succeeded", result={"ok": True}, artifacts=[image])
    store.sessions.end(session.id, "released")
    store.rois.save("grain-7", {"levels": [{"fov_um": 50.0, "image_id": "img_0001"}]})
    store.rois.save("grain-8", {"levels": []})
    for outcome in ("accepted", "succeeded"):
        store.audit.append(
            method="POST",
            path="/v1/runs",
            command="acquire",
            outcome=outcome,
            params={"fov_um": 100.0},
            run_id=run.id,
            session_id=session.id,
            user="alice",
            clock_s=12.5,
        )
    store.snapshots.save({"seed": 42})
    store.calibrations.save("local", {"matrix": [[1.0, 0.0], [0.0, -1.0]]})
    request = IdempotentRequest(
        principal="1a2b3c4d",
        key="k-1",
        method="POST",
        path="/v1/runs",
        body_sha256=hashlib.sha256(b"{}").hexdigest(),
    )
    store.idempotency.begin(request)
    store.idempotency.complete(request, status_code=201, body={"id": run.id})
    store.instruments.claim("local")
    store.instruments.release("local")
    return store


def _sqlite_rows(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    conn = sqlite3.connect(data_dir / DB_FILENAME)
    conn.row_factory = sqlite3.Row
    try:
        return {
            table: [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]
            for table, order in TABLES.items()
        }
    finally:
        conn.close()


def _pg_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return {
            table: list(conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall())
            for table, order in TABLES.items()
        }


def _pg_table_names(url: str) -> set[str]:
    schema = parse_qs(urlsplit(url).query)["options"][0].split("=", 1)[1]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    return {r[0] for r in rows} - {"schema_version"}


def test_a_sqlite_store_is_copied_into_postgresql_row_for_row(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _filled(tmp_path) as source:
        runs, rois = source.runs.all(), source.rois.all()
        audit = source.audit.entries()
    before = _sqlite_rows(tmp_path)

    source_url = f"sqlite:///{tmp_path / DB_FILENAME}"
    assert main(["db", "copy", "--from", source_url, "--to", pg_url]) == 0

    out = capsys.readouterr().out
    assert _pg_table_names(pg_url) == set(TABLES)  # the test's list is the schema's
    assert _pg_rows(pg_url) == before
    for table, rows in before.items():
        line = next(x for x in out.splitlines() if x.split()[:1] == [table])
        assert line.split() == [table, str(len(rows))]
    assert all(rows for rows in before.values())  # every table had something to copy
    assert f"stay in {tmp_path}" in out
    assert "--instrument local" in out
    with Store(database_url=pg_url) as copied:
        assert copied.runs.all() == runs
        assert copied.rois.all() == rois
        assert copied.audit.entries() == audit
        # The audit's numbering goes on after the copied entries.
        entry = copied.audit.append(method="GET", path="/v1/x", command="x", outcome="accepted")
        assert entry.seq == max(a.seq for a in audit) + 1


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _filled(tmp_path).close()
    copy_store(tmp_path, pg_url)
    with Store(tmp_path) as source:
        source.runs.create("later", {})
    copied = _pg_rows(pg_url)
    capsys.readouterr()

    assert main(["db", "copy", "--from", str(tmp_path), "--to", pg_url]) == 1

    err = capsys.readouterr().err
    assert "already holds rows" in err
    assert "nothing copied" in err
    assert len(err.strip().splitlines()) == 1
    assert _pg_rows(pg_url) == copied


def test_a_missing_sqlite_store_is_refused_without_making_one(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "copy", "--from", str(tmp_path / "nowhere"), "--to", pg_url]) == 1
    assert "no SQLite store" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
    assert _pg_table_names(pg_url) == set()


def test_a_store_from_before_instrument_names_is_migrated_and_its_rows_named(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _version_1_database(tmp_path)

    argv = ["db", "copy", "--from", str(tmp_path), "--to", pg_url, "--instrument", "sem1"]
    assert main(argv) == 0

    assert "--instrument sem1" in capsys.readouterr().out
    assert _pg_rows(pg_url) == _sqlite_rows(tmp_path)
    with Store(database_url=pg_url, instrument="sem1") as copied:
        assert copied.schema_version == SCHEMA_VERSION
        assert [(r.id, r.instrument) for r in copied.runs.all()] == [("run_old", "sem1")]
        assert [a.command for a in copied.audit.entries(instrument="sem1")] == ["session.start"]


def test_a_copy_that_fails_part_way_leaves_no_row_and_can_be_run_again(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _filled(tmp_path).close()

    def broken(tx: object) -> None:
        raise StoreError("the connection went away")

    with monkeypatch.context() as patched:
        patched.setattr(_copy, "_advance_identities", broken)  # after every table's rows
        with pytest.raises(StoreError, match="went away"):
            copy_store(tmp_path, pg_url)
    assert all(rows == [] for rows in _pg_rows(pg_url).values())

    copy_store(tmp_path, pg_url)
    assert _pg_rows(pg_url) == _sqlite_rows(tmp_path)
