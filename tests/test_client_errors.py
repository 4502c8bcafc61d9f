"""Every error cause, against a real misbehaving server on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from semphony.client import (
    APIConnectionError,
    APITimeoutError,
    ConflictError,
    DeviceError,
    IncompatibleServerError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    Semphony,
    SemphonyApiError,
    SemphonyGuardrailException,
    UnprocessableEntityError,
)
from tests._fixtures import HEALTH, TOKEN, Canned, ScriptedServer, closed_port, serve_scripted


@pytest.fixture(scope="module")
def _scripted() -> Iterator[ScriptedServer]:
    yield from serve_scripted(dict(HEALTH))


@pytest.fixture
def server(_scripted: ScriptedServer) -> ScriptedServer:
    _scripted.reset()
    _scripted.health = dict(HEALTH)
    return _scripted


@pytest.fixture
def client(server: ScriptedServer) -> Iterator[Semphony]:
    with Semphony(base_url=server.base_url, token=TOKEN, max_retries=0) as c:
        yield c


def test_a_closed_port_raises_a_connection_error_naming_the_server() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with (
        Semphony(base_url=url, token=TOKEN, max_retries=0) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.runs.list()
    assert isinstance(caught.value, SemphonyApiError)
    assert not isinstance(caught.value, APITimeoutError)
    assert url in str(caught.value)
    assert caught.value.status_code is None


def test_a_redirect_to_a_login_page_is_an_invalid_response_and_is_not_followed(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script("GET", "/v1/runs", Canned(302, b"", (("Location", "/login?next=/v1/runs"),)))
    server.script("GET", "/login", Canned.html(200))
    with pytest.raises(InvalidResponseError) as caught:
        client.runs.list()
    assert caught.value.status_code == 302
    assert "/login" in str(caught.value)
    assert "redirect" in str(caught.value)
    assert server.requests_to("GET", "/login") == []


def test_a_200_with_an_html_body_is_an_invalid_response_naming_the_content_type(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script("GET", "/v1/runs", Canned.html(200))
    with pytest.raises(InvalidResponseError) as caught:
        client.runs.list()
    assert caught.value.status_code == 200
    assert "text/html" in str(caught.value)
    assert "not JSON" in str(caught.value)


def test_a_500_problem_is_an_internal_server_error_carrying_the_detail(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "GET",
        "/v1/runs",
        Canned.problem(
            500, title="Internal Server Error", detail="database is locked", request_id="req-42"
        ),
    )
    with pytest.raises(InternalServerError) as caught:
        client.runs.list()
    error = caught.value
    assert error.status_code == 500
    assert error.request_id == "req-42"
    assert error.problem is not None
    assert error.problem["detail"] == "database is locked"
    assert str(error) == "database is locked"
    assert (error.method, error.url) == ("GET", f"{client.base_url}/v1/runs")


def test_a_500_with_an_html_body_is_still_an_internal_server_error(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script("GET", "/v1/runs", Canned.html(500, "<h1>Bad things</h1>"))
    with pytest.raises(InternalServerError) as caught:
        client.runs.list()
    assert caught.value.status_code == 500
    assert caught.value.problem is None


def test_broken_json_in_a_success_is_an_invalid_response(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "GET", "/v1/runs", Canned(200, b'{"items": [', (("Content-Type", "application/json"),))
    )
    with pytest.raises(InvalidResponseError) as caught:
        client.runs.list()
    assert caught.value.status_code == 200
    assert "JSONDecodeError" in str(caught.value)


def test_broken_json_in_an_error_answer_keeps_the_status_class(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "GET",
        "/v1/runs",
        Canned(404, b'{"title": ', (("Content-Type", "application/problem+json"),)),
    )
    with pytest.raises(NotFoundError) as caught:
        client.runs.list()
    assert caught.value.status_code == 404
    assert caught.value.problem is None


def test_a_success_missing_a_required_field_is_an_invalid_response_naming_it(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "GET", "/v1/runs/r1", Canned.json(200, {"id": "r1", "created_at": "2025-01-01T00:00:00Z"})
    )
    with pytest.raises(InvalidResponseError) as caught:
        client.runs.retrieve("r1")
    assert "name" in str(caught.value)


def test_a_device_error_problem_carries_the_device_code_and_message(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "POST",
        "/v1/runs",
        Canned.problem(
            502,
            title="Device error",
            detail="the microscope refused the command",
            reason="device.error",
            device_code=-7,
            device_message="ScScanXY failed: detector not ready",
        ),
    )
    with pytest.raises(DeviceError) as caught:
        client.runs.create(name="scan")
    error = caught.value
    assert isinstance(error, SemphonyApiError)
    assert error.device_code == -7
    assert error.device_message == "ScScanXY failed: detector not ready"
    assert error.status_code == 502
    assert "ScScanXY failed: detector not ready" in str(error)


def test_a_validation_problem_names_the_field_and_the_rule(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "POST",
        "/v1/runs",
        Canned.problem(
            422,
            title="Unprocessable",
            detail="invalid request",
            errors=[{"field": "name", "rule": "max_length", "message": "at most 200 characters"}],
        ),
    )
    with pytest.raises(UnprocessableEntityError) as caught:
        client.runs.create(name="x")
    assert "name: at most 200 characters" in str(caught.value)


def test_an_interlock_conflict_keeps_its_machine_readable_reason(
    server: ScriptedServer, client: Semphony
) -> None:
    server.script(
        "POST",
        "/v1/runs",
        Canned.problem(
            409,
            title="Conflict",
            detail="lease held",
            reason="lease.held",
            lease_holder="alice@rig",
        ),
    )
    with pytest.raises(ConflictError) as caught:
        client.runs.create(name="x")
    assert caught.value.reason == "lease.held"
    assert "alice@rig" in str(caught.value)


def test_a_server_slower_than_the_timeout_raises_a_timeout_error(
    server: ScriptedServer,
) -> None:
    server.script("GET", "/v1/runs", Canned(200, b'{"items": []}', (), delay_s=1.0))
    with (
        Semphony(base_url=server.base_url, token=TOKEN, max_retries=0, timeout=0.2) as client,
        pytest.raises(APITimeoutError) as caught,
    ):
        client.runs.list()
    assert isinstance(caught.value, APIConnectionError)
    assert "Timed out" in str(caught.value)


def test_a_server_of_another_major_api_version_is_refused_on_first_contact(
    server: ScriptedServer,
) -> None:
    server.health = {**HEALTH, "api_version": "3.0"}
    server.script("GET", "/v1/health", Canned.json(200, server.health))
    with (
        Semphony(base_url=server.base_url, token=TOKEN, max_retries=0) as client,
        pytest.raises(IncompatibleServerError) as caught,
    ):
        client.runs.list()
    assert "3.0" in str(caught.value)
    assert server.requests_to("GET", "/v1/runs") == []


def test_guardrail_exceptions_are_not_api_errors() -> None:
    assert not issubclass(SemphonyGuardrailException, SemphonyApiError)


def test_the_token_appears_in_no_error_message_repr_or_debug_log(
    server: ScriptedServer, client: Semphony, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("GET", "/v1/runs", Canned.html(500, f"<pre>Authorization: Bearer {TOKEN}</pre>"))
    server.script(
        "POST", "/v1/runs", Canned.problem(401, title="Unauthorized", detail=f"bad token {TOKEN}")
    )
    with caplog.at_level(logging.DEBUG, logger="semphony"):
        with pytest.raises(InternalServerError) as first:
            client.runs.list()
        with pytest.raises(SemphonyApiError) as second:
            client.runs.create(name="x")
    assert server.requests_to("GET", "/v1/runs")[0].headers["Authorization"] == f"Bearer {TOKEN}"
    for text in (
        str(first.value),
        str(second.value),
        repr(client),
        repr(client.options),
        caplog.text,
    ):
        assert TOKEN not in text
    assert "/v1/runs" in caplog.text
