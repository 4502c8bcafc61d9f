"""Fixtures for the control-server tests: a real uvicorn server on a loopback port, and clients."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from semphony.server.app import create_app
from semphony.server.drivers.base import Driver
from semphony.server.serve import bind_socket
from semphony.server.settings import ServerSettings
from semphony.server.timeouts import read_timeout_protocol
from tests.server.pg import Cluster, unavailable_reason

OPERATOR_TOKEN = "operator-test-token"
VIEWER_TOKEN = "viewer-test-token"


@dataclass
class Served:
    """A control server running in a thread of the test process."""

    base_url: str
    data_dir: Path
    settings: ServerSettings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "the test server did not stop"

    def client(self, token: str | None = OPERATOR_TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)


def serve_in_thread(settings: ServerSettings, driver: Driver | None = None) -> Served:
    """Start `create_app(settings, driver)` with uvicorn on 127.0.0.1 and `settings.port` (a free
    one when 0)."""
    sock = bind_socket("127.0.0.1", settings.port)
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(settings, driver),
        log_level="warning",
        lifespan="on",
        access_log=False,
        http=read_timeout_protocol(
            header_timeout_s=settings.header_timeout_s, body_timeout_s=settings.body_timeout_s
        ),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="test-uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", settings.data_dir, settings, server, thread)


def make_settings(data_dir: Path, **overrides: Any) -> ServerSettings:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "data_dir": data_dir,
        "operator_token": SecretStr(OPERATOR_TOKEN),
        "viewer_token": SecretStr(VIEWER_TOKEN),
        "seed": 7,
    }
    options.update(overrides)
    if options.get("database_url") is not None:
        options.setdefault("instrument", "local")  # a shared database needs a name
    return ServerSettings(**options)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """A factory: `serve(**settings_overrides)` starts a server; all are stopped at the end."""
    started: list[Served] = []

    def start(data_dir: Path | None = None, **overrides: Any) -> Served:
        served = serve_in_thread(make_settings(data_dir or tmp_path / "data", **overrides))
        started.append(served)
        return served

    yield start
    for served in reversed(started):
        if served.thread.is_alive():
            served.stop()


@pytest.fixture
def served(serve: Callable[..., Served]) -> Served:
    """One running server with a fresh data dir."""
    return serve()


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    """An httpx client holding the operator token."""
    with served.client(OPERATOR_TOKEN) as c:
        yield c


@pytest.fixture
def viewer(served: Served) -> Iterator[httpx.Client]:
    """An httpx client holding the read-only viewer token."""
    with served.client(VIEWER_TOKEN) as c:
        yield c


@pytest.fixture
def anonymous(served: Served) -> Iterator[httpx.Client]:
    """An httpx client without a token."""
    with served.client(None) as c:
        yield c


@dataclass(frozen=True)
class Controlled:
    """A run and a session holding the lease."""

    run_id: str
    session_id: str

    def path(self, tail: str) -> str:
        return f"/v1/sessions/{self.session_id}/{tail}"


class Api:
    """Helpers over an operator client that the tests share."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def wait(self, operation: dict[str, Any]) -> dict[str, Any]:
        """Long-poll an operation until it is terminal."""
        op = operation
        for _ in range(20):
            if op["status"] in ("succeeded", "failed", "cancelled"):
                return op
            response = self.client.get(f"/v1/operations/{op['id']}", params={"wait_s": 30})
            assert response.status_code == 200, response.text
            op = response.json()
        raise AssertionError(f"operation {op['id']} did not finish: {op}")

    def start_session(self, **body: Any) -> Controlled:
        """Start a session; the client sends its lease secret from now on."""
        run = self.client.post("/v1/runs", json={"name": "test run"})
        assert run.status_code == 201, run.text
        session = self.client.post(f"/v1/runs/{run.json()['id']}/sessions", json=body or None)
        assert session.status_code == 201, session.text
        self.client.headers["Lease-Secret"] = session.json()["lease_secret"]
        return Controlled(run.json()["id"], session.json()["id"])

    def run_operation(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a command answering 202 and wait for its operation."""
        accepted = self.client.post(path, json=body) if body is not None else self.client.post(path)
        assert accepted.status_code == 202, accepted.text
        return self.wait(accepted.json())

    def pump(self, ctl: Controlled) -> None:
        assert self.run_operation(ctl.path("chamber/pump"))["status"] == "succeeded"

    def beam(self, ctl: Controlled, on: bool) -> None:
        response = self.client.post(ctl.path("beam"), json={"on": on})
        assert response.status_code == 200, response.text

    def state(self) -> dict[str, Any]:
        response = self.client.get("/v1/state")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def audit(self, run_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/runs/{run_id}/audit")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture
def api(client: httpx.Client) -> Api:
    """Shared helpers over the operator client."""
    return Api(client)


@pytest.fixture
def controlled(api: Api) -> Controlled:
    """A session holding the lease (chamber vented, beam off)."""
    return api.start_session()


@pytest.fixture
def ready(api: Api, controlled: Controlled) -> Controlled:
    """A session holding the lease with the chamber pumped and the beam on."""
    api.pump(controlled)
    api.beam(controlled, True)
    return controlled


# ----------------------------------------------------------------------- both store backends


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the session; skipped (with the reason) where it cannot
    run, failed instead when $SEMPHONY_REQUIRE_PG is set (CI must run these tests)."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("SEMPHONY_REQUIRE_PG"):
            pytest.fail(f"SEMPHONY_REQUIRE_PG is set but {reason}")
        pytest.skip(reason)
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A database URL whose connections see a fresh schema of their own."""
    schema = pg_cluster.new_schema()
    yield pg_cluster.schema_url(schema)
    pg_cluster.drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None (the embedded SQLite file in the data dir) or a fresh PostgreSQL schema's URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))
