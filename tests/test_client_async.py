"""AsyncSemphony matches Semphony: same resources, same errors, same retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import semphony._wire._transport
from semphony._exceptions import SemphonyError
from semphony.client import (
    APIConnectionError,
    AsyncSemphony,
    InvalidResponseError,
    NotFoundError,
    Semphony,
)
from tests._fixtures import HEALTH, TOKEN, Canned, ScriptedServer, closed_port, serve_scripted

RUN = {"id": "run-1", "name": "async", "created_at": "2025-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def _scripted() -> Iterator[ScriptedServer]:
    yield from serve_scripted(dict(HEALTH))


@pytest.fixture
def server(_scripted: ScriptedServer) -> ScriptedServer:
    _scripted.reset()
    _scripted.health = dict(HEALTH)
    return _scripted


def test_the_async_client_retries_a_5xx_with_the_same_idempotency_key(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def no_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(semphony._wire._transport, "_async_sleep", no_sleep)
    server.script(
        "POST", "/v1/runs", Canned.problem(503, title="Unavailable"), Canned.json(201, RUN)
    )

    async def scenario() -> str:
        async with AsyncSemphony(base_url=server.base_url, token=TOKEN) as client:
            run = await client.runs.create(name="async")
            return run.id

    assert asyncio.run(scenario()) == "run-1"
    posts = server.requests_to("POST", "/v1/runs")
    assert len(posts) == 2
    assert len({p.headers["Idempotency-Key"] for p in posts}) == 1
    assert len(slept) == 1


def test_the_async_client_maps_html_and_unreachable_servers_like_the_sync_one(
    server: ScriptedServer,
) -> None:
    server.script("GET", "/v1/runs", Canned.html(200))

    async def scenario() -> None:
        async with AsyncSemphony(base_url=server.base_url, token=TOKEN, max_retries=0) as c:
            with pytest.raises(InvalidResponseError):
                await c.runs.list()
        url = f"http://127.0.0.1:{closed_port()}"
        async with AsyncSemphony(base_url=url, token=TOKEN, max_retries=0) as c:
            with pytest.raises(APIConnectionError):
                await c.runs.list()

    asyncio.run(scenario())


def test_simulator_controls_say_clearly_when_the_driver_is_not_sim(
    server: ScriptedServer,
) -> None:
    server.script("GET", "/v1/health", Canned.json(200, {**HEALTH, "driver": "tescan"}))
    with Semphony(base_url=server.base_url, token=TOKEN) as client:
        with pytest.raises(SemphonyError, match="'tescan' driver"):
            client.simulator.truth()
        with pytest.raises(SemphonyError, match="only with the 'sim' driver"):
            client.simulator.reload(shift_x_um=1.0)

    async def scenario() -> None:
        async with AsyncSemphony(base_url=server.base_url, token=TOKEN) as c:
            with pytest.raises(SemphonyError, match="'tescan' driver"):
                await c.simulator.clear_faults()

    asyncio.run(scenario())
    assert not any(s.path.startswith("/v1/sim") for s in server.seen)


def test_base_url_and_token_come_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEMPHONY_BASE_URL", server.base_url)
    monkeypatch.setenv("SEMPHONY_TOKEN", TOKEN)
    server.script("GET", "/v1/runs", Canned.json(200, {"items": [RUN]}))
    with Semphony() as client:
        assert [r.id for r in client.runs.list()] == ["run-1"]
    assert server.requests_to("GET", "/v1/runs")[0].headers["Authorization"] == f"Bearer {TOKEN}"
    monkeypatch.delenv("SEMPHONY_BASE_URL")
    with pytest.raises(SemphonyError, match="SEMPHONY_BASE_URL"):
        Semphony()


def test_the_async_local_client_drives_runs_and_the_simulator_and_stops_its_server() -> None:
    async def scenario() -> AsyncSemphony:
        client = AsyncSemphony.local(seed=2)
        async with client:
            health = await client.health()
            assert (health.driver, health.api_version.split(".")[0]) == ("sim", "2")
            run = await client.runs.create(name="async local")
            assert [r.id for r in await client.runs.list()] == [run.id]
            assert (await client.runs.retrieve(run.id)).name == "async local"
            with pytest.raises(NotFoundError):
                await client.runs.retrieve("run_missing")
            truth = await client.simulator.reload(shift_x_um=10.0, shift_y_um=0.0, rotation_deg=0.0)
            assert truth.shift_x_um == pytest.approx(10.0)
            assert (await client.device()).conventions.image_x_axis == "+x"
        return client

    client = asyncio.run(scenario())
    assert client.local_server is not None
    assert not client.local_server.running
    assert not client.local_server.data_dir.exists()
