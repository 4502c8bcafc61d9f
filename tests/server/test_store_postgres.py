"""The PostgreSQL backend on its own: SQL translation, refusing a newer schema, lost connections."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from semphony.server.errors import SchemaTooNewError, StorageError
from semphony.server.store import SCHEMA_VERSION, Store
from semphony.server.store._postgres import PostgresDatabase, redacted, to_psycopg
from tests.server.conftest import OPERATOR_TOKEN, make_settings, serve_in_thread
from tests.server.pg import Cluster, Relay, free_port


def test_placeholders_become_psycopg_ones_outside_quoted_text() -> None:
    assert to_psycopg("SELECT '?', \"a?\" FROM t WHERE x = ? AND y LIKE '5%'") == (
        "SELECT '?', \"a?\" FROM t WHERE x = %s AND y LIKE '5%%'"
    )


def test_a_described_url_has_no_password() -> None:
    assert (
        redacted("postgresql://u:secret@db.example:5433/cat")
        == "postgresql://u@db.example:5433/cat"
    )


def test_a_database_from_a_newer_server_is_refused(pg_url: str) -> None:
    with Store(database_url=pg_url) as store, store.db.write() as tx:
        tx.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNewError, match="newer than this server"):
        Store(database_url=pg_url)


@pytest.fixture
def relayed(pg_cluster: Cluster) -> Iterator[tuple[Relay, str]]:
    """A fresh schema reached through a relay the test can cut."""
    schema = pg_cluster.new_schema()
    relay = Relay(pg_cluster.port)
    yield relay, pg_cluster.schema_url(schema, port=relay.port)
    relay.close()
    pg_cluster.drop_schema(schema)


def test_a_lost_connection_is_retried_and_then_a_storage_error(
    relayed: tuple[Relay, str], tmp_path: Path
) -> None:
    relay, url = relayed
    with Store(tmp_path, database_url=url) as store:
        run = store.runs.create("before", {})
        relay.cut()
        relay.restore()
        # Every pooled connection died with the cut: the next read and write get new ones.
        assert store.runs.get(run.id) == run
        store.runs.create("after", {})
        relay.cut()
        with pytest.raises(StorageError, match="cannot be reached"):
            store.runs.create("lost", {})
        relay.restore()
        assert sorted(r.name for r in store.runs.all()) == ["after", "before"]


def test_a_database_url_that_is_not_postgresql_is_refused_naming_the_setting(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValidationError, match="database_url: must be a postgresql://"):
        make_settings(tmp_path, database_url="mysql://u@h/db")


def test_an_unreachable_database_is_a_storage_error_naming_it_without_its_password() -> None:
    url = f"postgresql://u:hunter2@127.0.0.1:{free_port()}/db"
    with pytest.raises(StorageError, match="cannot reach the database") as caught:
        PostgresDatabase(url, wait_s=1.0)
    assert "hunter2" not in str(caught.value)


def test_the_api_answers_503_with_a_reason_when_the_database_is_gone(
    relayed: tuple[Relay, str], tmp_path: Path
) -> None:
    relay, url = relayed
    served = serve_in_thread(make_settings(tmp_path / "data", database_url=url))
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    try:
        with httpx.Client(base_url=served.base_url, headers=auth, timeout=60) as client:
            assert client.post("/v1/runs", json={"name": "r"}).status_code == 201
            relay.cut()
            answer = client.post("/v1/runs", json={"name": "lost"})
            assert answer.status_code == 503, answer.text
            assert answer.json()["reason"] == "storage.error"
            assert "cannot be reached" in answer.json()["detail"]
            relay.restore()
            # The pool reconnects in the background; wait for it (not a speed check: a generous
            # deadline only keeps a broken recovery from hanging the suite).
            deadline = time.monotonic() + 60
            listed = client.get("/v1/runs")
            while listed.status_code == 503 and time.monotonic() < deadline:
                time.sleep(0.5)
                listed = client.get("/v1/runs")
            assert listed.status_code == 200, listed.text
            assert [r["name"] for r in listed.json()["items"]] == ["r"]
    finally:
        relay.restore()
        served.stop()
