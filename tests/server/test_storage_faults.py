"""Storage faults never lie: a full or failing disk ends operations honestly and keeps the server
answering (issue: "a status that lies").

Before this, a disk that filled during an acquisition left its operation `running` forever while
`/v1/state` said nothing was active, every request answered `500 server.error`, the raw SQLite
error escaped a rolled-back transaction, and a file renamed but never recorded stayed forever.
The I/O errors are injected at the store's and the artifacts' boundaries, and once for real on a
small tmpfs (and a read-only one) where the test may mount one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

from semphony.server.artifacts import ArtifactStore
from semphony.server.errors import StorageError, StorageFullError
from semphony.server.store import Store, _db
from tests.server.conftest import Api, Served


class _Disk:
    """Makes every database write fail as a full disk would, while `full` is set."""

    def __init__(self) -> None:
        self.full = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = _db._Translating.execute
        disk = self

        def execute(conn: Any, sql: str, args: Any = ()) -> Any:
            head = sql.lstrip().split(None, 1)[0].upper()
            if disk.full and head in ("INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT"):
                exc = sqlite3.OperationalError("database or disk is full")
                exc.sqlite_errorname = "SQLITE_FULL"
                raise _db._translated(exc, conn._path, "the change") from exc
            return real(conn, sql, args)

        monkeypatch.setattr(_db._Translating, "execute", execute)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> _Disk:
    d = _Disk()
    d.install(monkeypatch)
    return d


def _wait_until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.05)


def test_a_disk_that_fills_during_a_scan_fails_the_operation_and_the_server_keeps_answering(
    serve: Callable[..., Served], disk: _Disk
) -> None:
    served = serve(realtime=0.001)
    with served.client() as client:
        api = Api(client)
        ctl = api.start_session(lease_s=600)
        api.pump(ctl)
        api.beam(ctl, True)
        assert client.post("/v1/sim/faults", json={"fault": "slow", "factor": 300}).is_success
        accepted = client.post(
            ctl.path("acquisitions"), json={"resolution": [256, 256], "dwell_time_us": 32}
        )
        assert accepted.status_code == 202, accepted.text
        op_id = accepted.json()["id"]
        disk.full = True
        # The operation ends failed, for want of storage, within seconds; state agrees.
        ended = client.get(f"/v1/operations/{op_id}", params={"wait_s": 20}).json()
        assert ended["status"] == "failed", ended
        assert ended["problem"]["reason"] == "storage.full"
        assert client.get("/v1/state").json()["active_operation_id"] is None
        listed = client.get(f"/v1/runs/{ctl.run_id}/operations").json()["items"]
        assert {o["id"]: o["status"] for o in listed}[op_id] == "failed"
        # What must be recorded is refused with the reason and a sentence a person reads.
        refused = client.post("/v1/runs", json={"name": "no room"})
        assert refused.status_code == 507
        assert refused.json()["reason"] == "storage.full"
        assert "full" in refused.json()["detail"]
        # Reads keep answering; the stop button and the heartbeat are never refused.
        assert client.get("/v1/device").status_code == 200
        assert client.post(ctl.path("heartbeat")).status_code == 200
        assert client.post(ctl.path("stop")).status_code == 200
        off = client.post(ctl.path("beam"), json={"on": False})
        assert off.status_code == 200, off.text
        assert off.json()["beam_on"] is False
        # Space comes back: the end and the kept audit entries are written.
        disk.full = False
        store = Store(served.data_dir)
        try:

            def recorded() -> bool:
                op = store.operations.get(op_id)
                return op is not None and op.status == "failed"

            _wait_until(recorded)
            op = store.operations.get(op_id)
            assert op is not None
            assert op.problem is not None
            assert op.problem["reason"] == "storage.full"
        finally:
            store.close()
        _wait_until(lambda: any(e["action"] == "beam.set" for e in _audit(client, ctl.run_id)))
        actions = [e["action"] for e in _audit(client, ctl.run_id)]
        assert "session.stop" in actions
        assert "acquisition.start" in actions


def _audit(client: Any, run_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"/v1/runs/{run_id}/audit").json()["items"]
    return items


def test_an_image_the_disk_cannot_take_fails_the_scan_and_leaves_no_file_or_record(
    served: Served, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctl = api.start_session()
    api.pump(ctl)
    api.beam(ctl, True)

    def no_space(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tifffile, "imwrite", no_space)
    op = api.run_operation(ctl.path("acquisitions"), {"resolution": [64, 64]})
    assert op["status"] == "failed"
    assert op["problem"]["reason"] == "storage.full"
    assert op["problem"]["status"] == 507
    artifacts = served.data_dir / "artifacts"
    assert [p.name for p in artifacts.iterdir()] == []
    with Store(served.data_dir) as store:
        assert store.artifacts.all() == []


def test_a_failed_commit_surfaces_as_the_storage_fault_not_a_raw_sqlite_error(
    tmp_path: Path, disk: _Disk
) -> None:
    with Store(tmp_path) as store:
        run = store.runs.create("r")
        disk.full = True
        with pytest.raises(StorageFullError), store.transaction():
            store.sessions.create(
                run_id=run.id, holder="a", role="operator", lease_expires_at=store.now()
            )
        disk.full = False
        assert store.sessions.active() == []
        assert store.runs.get(run.id) == run


def test_files_written_but_never_recorded_are_set_aside_at_start_up(
    serve: Callable[..., Served], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    # What a kill between the TIFF's rename and its commit leaves behind.
    ArtifactStore(data_dir).write(
        "img_orphan", np.zeros((8, 8), np.uint8), pixel_size_um=1.0, settings={}
    )
    with caplog.at_level(logging.WARNING, logger="semphony.server"):
        serve(data_dir=data_dir)
    assert not (data_dir / "artifacts" / "img_orphan.tiff").exists()
    assert (data_dir / "orphans" / "img_orphan.tiff").is_file()
    assert any("moved 1 artifact file" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------------------ for real


@contextlib.contextmanager
def _mounted(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mount = shutil.which("mount")
    done = (
        subprocess.run(
            [mount, "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
            capture_output=True,
            check=False,
        )
        if mount
        else None
    )
    if done is None or done.returncode != 0:
        pytest.skip("this machine lets the test mount no tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _fill(store: Store) -> None:
    run = store.runs.create("fill")
    for _ in range(100_000):
        try:
            store.runs.create(uuid.uuid4().hex * 40, {"pad": "x" * 4000, "run": run.id})
        except StorageFullError:
            return
    raise AssertionError("the small disk never filled")


def test_a_real_full_disk_is_storage_full_and_reads_keep_working(tmp_path: Path) -> None:
    with _mounted(tmp_path / "small", "size=700k") as small, Store(small) as store:
        first = store.runs.create("kept")
        _fill(store)
        assert store.runs.get(first.id) == first
        with pytest.raises(StorageFullError), store.transaction():
            store.runs.create("one more", {"pad": "y" * 100_000})
        assert store.runs.get(first.id) == first


def test_serve_on_a_full_or_read_only_data_dir_exits_1_with_one_line(tmp_path: Path) -> None:
    with _mounted(tmp_path / "full", "size=600k") as full:
        (full / "ballast").write_bytes(b"\0" * 590_000)
        done = _serve_once(full)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1, done.stderr
        assert "is full" in done.stderr
    with _mounted(tmp_path / "ro", "size=1m,ro") as read_only:
        done = _serve_once(read_only)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1, done.stderr
        assert "cannot write" in done.stderr


def _serve_once(data_dir: Path) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "semphony.server", "--port", "0", "--data-dir", str(data_dir)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def test_a_database_on_a_read_only_disk_is_storage_error_503(tmp_path: Path) -> None:
    with _mounted(tmp_path / "db", "size=2m") as where:
        Store(where).close()
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        with pytest.raises(StorageError) as err:
            Store(where)
        assert (err.value.status, err.value.reason) == (503, "storage.error")
        assert str(where) in str(err.value)
