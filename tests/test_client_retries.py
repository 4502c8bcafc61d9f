"""Retries: 429 honouring Retry-After, 5xx, connection errors; one Idempotency-Key per call."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import semphony._wire._transport
from semphony._base_client import (
    MAX_RETRY_AFTER_S,
    MAX_RETRY_DELAY_S,
    parse_retry_after,
    retry_delay_s,
    should_retry_status,
)
from semphony.client import (
    APIConnectionError,
    DeviceError,
    InternalServerError,
    RateLimitError,
    Semphony,
)
from tests._fixtures import HEALTH, TOKEN, Canned, ScriptedServer, closed_port, serve_scripted

RUN = {"id": "run-1", "name": "retry", "created_at": "2025-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def _scripted() -> Iterator[ScriptedServer]:
    yield from serve_scripted(dict(HEALTH))


@pytest.fixture
def server(_scripted: ScriptedServer) -> ScriptedServer:
    _scripted.reset()
    return _scripted


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client asks for, recorded instead of slept."""
    asked: list[float] = []
    monkeypatch.setattr(semphony._wire._transport, "_sleep", asked.append)
    return asked


def test_a_429_is_retried_after_the_seconds_retry_after_names(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script(
        "POST",
        "/v1/runs",
        Canned(
            429,
            b'{"title": "Too Many Requests", "status": 429, "reason": "rate.limited"}',
            (("Content-Type", "application/problem+json"), ("Retry-After", "3")),
        ),
        Canned.json(201, RUN),
    )
    with Semphony(base_url=server.base_url, token=TOKEN, max_retries=2) as client:
        run = client.runs.create(name="retry")
    assert run.id == "run-1"
    assert sleeps == [3.0]
    posts = server.requests_to("POST", "/v1/runs")
    assert len(posts) == 2
    keys = {p.headers["Idempotency-Key"] for p in posts}
    assert len(keys) == 1
    assert keys.pop()


def test_a_5xx_is_retried_with_the_same_idempotency_key(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script(
        "POST",
        "/v1/runs",
        Canned.problem(503, title="Unavailable"),
        Canned.problem(500, title="Oops"),
        Canned.json(201, RUN),
    )
    with Semphony(base_url=server.base_url, token=TOKEN, max_retries=2) as client:
        client.runs.create(name="retry")
    posts = server.requests_to("POST", "/v1/runs")
    assert len(posts) == 3
    assert len({p.headers["Idempotency-Key"] for p in posts}) == 1
    assert len(sleeps) == 2


def test_separate_logical_calls_get_separate_idempotency_keys(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script("POST", "/v1/runs", Canned.json(201, RUN))
    with Semphony(base_url=server.base_url, token=TOKEN) as client:
        client.runs.create(name="a")
        client.runs.create(name="b")
    posts = server.requests_to("POST", "/v1/runs")
    assert len({p.headers["Idempotency-Key"] for p in posts}) == 2


def test_max_retries_zero_sends_once_and_raises(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script(
        "POST", "/v1/runs", Canned.problem(503, title="Unavailable"), Canned.json(201, RUN)
    )
    with (
        Semphony(base_url=server.base_url, token=TOKEN, max_retries=0) as client,
        pytest.raises(InternalServerError),
    ):
        client.runs.create(name="x")
    assert len(server.requests_to("POST", "/v1/runs")) == 1
    assert sleeps == []


def test_retries_stop_after_max_retries(server: ScriptedServer, sleeps: list[float]) -> None:
    server.script("GET", "/v1/runs", Canned.problem(502, title="Bad Gateway"))
    with (
        Semphony(base_url=server.base_url, token=TOKEN, max_retries=3) as client,
        pytest.raises(InternalServerError),
    ):
        client.runs.list()
    assert len(server.requests_to("GET", "/v1/runs")) == 4
    assert len(sleeps) == 3


def test_a_device_error_is_never_retried(server: ScriptedServer, sleeps: list[float]) -> None:
    server.script(
        "POST",
        "/v1/runs",
        Canned.problem(502, title="Device", device_code=3, device_message="stage fault"),
    )
    with (
        Semphony(base_url=server.base_url, token=TOKEN, max_retries=3) as client,
        pytest.raises(DeviceError),
    ):
        client.runs.create(name="x")
    assert len(server.requests_to("POST", "/v1/runs")) == 1


def test_a_retry_after_beyond_the_cap_is_raised_not_waited_for(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    too_long = str(int(MAX_RETRY_AFTER_S) + 60)
    server.script(
        "GET",
        "/v1/runs",
        Canned(429, b"{}", (("Content-Type", "application/json"), ("Retry-After", too_long))),
    )
    with (
        Semphony(base_url=server.base_url, token=TOKEN, max_retries=3) as client,
        pytest.raises(RateLimitError),
    ):
        client.runs.list()
    assert sleeps == []


def test_a_connection_error_is_retried_then_raised(sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with (
        Semphony(base_url=url, token=TOKEN, max_retries=2) as client,
        pytest.raises(APIConnectionError),
    ):
        client.runs.list()
    assert len(sleeps) == 2


def test_with_options_changes_retries_but_shares_the_connection_pool(
    server: ScriptedServer, sleeps: list[float]
) -> None:
    server.script("GET", "/v1/runs", Canned.problem(503, title="Unavailable"))
    with Semphony(base_url=server.base_url, token=TOKEN, max_retries=3) as client:
        quiet = client.with_options(max_retries=0)
        with pytest.raises(InternalServerError):
            quiet.runs.list()
        quiet.close()  # closes nothing: the original owns the connections
        assert client.health().driver == "sim"
    assert len(server.requests_to("GET", "/v1/runs")) == 1
    assert quiet.options.max_retries == 0
    assert client.options.max_retries == 3


@pytest.mark.parametrize(
    ("status", "problem", "retried"),
    [
        (429, None, True),
        (500, None, True),
        (503, None, True),
        (501, None, False),
        (502, {"device_code": 1}, False),
        (404, None, False),
        (409, None, False),
    ],
)
def test_which_statuses_are_retried(
    status: int, problem: dict[str, int] | None, retried: bool
) -> None:
    assert should_retry_status(status, problem) is retried


@given(attempt=st.integers(min_value=0, max_value=50), seed=st.integers())
def test_backoff_is_capped_and_jitter_only_shortens_it(attempt: int, seed: int) -> None:
    delay = retry_delay_s(attempt, rng=random.Random(seed))
    assert delay is not None
    base = min(MAX_RETRY_DELAY_S, 0.5 * 2.0**attempt)
    assert 0.75 * base <= delay <= base


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now_s=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
