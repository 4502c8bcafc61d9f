"""The server as a process: announcement, token file, SIGTERM, and SIGKILL-and-restart."""

from __future__ import annotations

import hashlib
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from semphony.server.__main__ import main
from tests.server.conftest import Api

TOKEN = "restart-test-token"
_PREFIX = "semphony control server listening on "


class _Process:
    """A `python -m semphony.server` child on a free loopback port."""

    def __init__(self, data_dir: Path, log: IO[str], *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "semphony.server",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                "--seed",
                "3",
                "--realtime",
                "0.001",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith(_PREFIX), f"unexpected first line {line!r}"
        self.base_url = line[len(_PREFIX) :].strip()
        assert self.base_url.startswith("http://127.0.0.1:")

    def client(self, token: str = TOKEN) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    children: list[_Process] = []
    log = (tmp_path / "server.log").open("w")

    def start(data_dir: Path, *extra: str) -> _Process:
        child = _Process(data_dir, log, *extra)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait(timeout=30)
    log.close()


def _wait_for_progress(api: Api, op_id: str) -> None:
    for _ in range(500):
        op = api.client.get(f"/v1/operations/{op_id}", params={"wait_s": 0.05}).json()
        if op["progress"]["done"] > 0:
            return
    raise AssertionError("the scan made no progress")


def test_a_killed_server_restarts_with_everything_completed(spawn: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = spawn(data_dir, "--token", TOKEN)
    with first.client() as client:
        api = Api(client)
        ctl = api.start_session()
        api.pump(ctl)
        api.beam(ctl, True)
        assert (
            api.run_operation(ctl.path("stage/move"), {"x_mm": 1.5, "y_mm": -0.5})["status"]
            == "succeeded"
        )
        client.post("/v1/sim/reload", json={"shift_x_um": 120.0, "rotation_deg": 1.5})
        done = api.run_operation(ctl.path("acquisitions"), {"resolution": [64, 64]})
        assert done["status"] == "succeeded"
        truth_before = client.get("/v1/sim/truth", params={"x_mm": 1, "y_mm": 1}).json()
        stage_before = api.state()["stage"]
        client.post("/v1/sim/faults", json={"fault": "slow", "factor": 1000})
        long = client.post(
            ctl.path("acquisitions"), json={"resolution": [512, 512], "dwell_time_us": 32}
        ).json()
        _wait_for_progress(api, long["id"])
    first.proc.kill()
    first.proc.wait(timeout=30)

    second = spawn(data_dir, "--token", TOKEN)
    with second.client() as client:
        ops = client.get(f"/v1/runs/{ctl.run_id}/operations", params={"kind": "acquisition"})
        by_id = {op["id"]: op for op in ops.json()["items"]}
        assert by_id[done["id"]]["status"] == "succeeded"
        assert by_id[done["id"]]["result"] == done["result"]
        assert by_id[long["id"]]["status"] == "failed"
        assert by_id[long["id"]]["result"] is None
        image = client.get(f"/v1/artifacts/{done['result']['image_id']}")
        assert hashlib.sha256(image.content).hexdigest() == done["result"]["metadata"]["sha256"]
        truth_after = client.get("/v1/sim/truth", params={"x_mm": 1, "y_mm": 1}).json()
        for key in ("shift_x_um", "shift_y_um", "rotation_deg", "reloads", "point_now"):
            assert truth_after[key] == truth_before[key], key
        assert client.get("/v1/state").json()["stage"] == stage_before
    assert second.stop(signal.SIGTERM) == 0


def test_sigterm_stops_cleanly_and_a_generated_token_is_written(spawn: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    child = spawn(data_dir)
    token_file = data_dir / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    role, name, token = token_file.read_text().split()
    assert (role, name) == ("operator", "operator")
    with child.client(token) as client:
        assert client.get("/v1/state").status_code == 200
    with child.client("wrong") as client:
        assert client.get("/v1/state").status_code == 401
    assert child.stop(signal.SIGTERM) == 0
    assert child.proc.stdout is not None
    assert child.proc.stdout.read() == ""  # one announcement line, nothing more
    log = (tmp_path / "server.log").read_text()
    assert token not in log


def test_a_public_address_without_tls_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--host", "0.0.0.0", "--token", TOKEN, "--data-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert "TLS" in captured.err
    assert captured.out == ""
