"""The audit log's entries say when on the instrument's clock, which request, and which session."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.conftest import Api, Controlled


def _entry(entries: list[dict[str, Any]], action: str, outcome: str) -> dict[str, Any]:
    found = [e for e in entries if e["action"] == action and e["outcome"] == outcome]
    assert len(found) == 1, f"expected one {action} {outcome} entry, got {entries}"
    return found[0]


def _request_id(response: httpx.Response) -> str:
    request_id: str | None = response.headers.get("x-request-id")
    assert request_id, f"no X-Request-Id on {response.request.url}"
    return request_id


def test_the_instrument_clock_advances_across_a_pump_in_the_audit_log(
    api: Api, controlled: Controlled
) -> None:
    api.pump(controlled)
    api.beam(controlled, True)
    entries = api.audit(controlled.run_id)
    started = _entry(entries, "session.start", "succeeded")["clock_s"]
    accepted = _entry(entries, "chamber.pump", "accepted")["clock_s"]
    pumped = _entry(entries, "chamber.pump", "succeeded")["clock_s"]
    beam = _entry(entries, "beam.set", "succeeded")["clock_s"]
    assert all(isinstance(c, float) for c in (started, accepted, pumped, beam)), entries
    # Pumping takes instrument time: its end and the next command come later on its clock.
    assert started <= accepted < pumped <= beam


def test_an_entry_names_the_request_that_carried_the_command(
    api: Api, controlled: Controlled
) -> None:
    accepted = api.client.post(controlled.path("chamber/pump"))
    assert accepted.status_code == 202, accepted.text
    api.wait(accepted.json())
    beam = api.client.post(controlled.path("beam"), json={"on": True})
    assert beam.status_code == 200, beam.text
    entries = api.audit(controlled.run_id)
    pump_id = _request_id(accepted)
    beam_id = _request_id(beam)
    assert pump_id != beam_id
    assert _entry(entries, "chamber.pump", "accepted")["request_id"] == pump_id
    assert _entry(entries, "beam.set", "succeeded")["request_id"] == beam_id
    # The operation's end happened inside the server, not in answer to a request.
    assert _entry(entries, "chamber.pump", "succeeded")["request_id"] is None


def test_session_start_names_the_session_it_created_and_its_request(api: Api) -> None:
    run = api.client.post("/v1/runs", json={"name": "audited"})
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    started = api.client.post(f"/v1/runs/{run_id}/sessions", json={"holder": "alice"})
    assert started.status_code == 201, started.text
    entry = _entry(api.audit(run_id), "session.start", "succeeded")
    assert entry["session_id"] == started.json()["id"]
    assert entry["holder"] == "alice"
    assert entry["run_id"] == run_id
    assert entry["status_code"] == 201
    assert entry["request_id"] == _request_id(started)
    assert isinstance(entry["clock_s"], float)


def test_a_refused_command_is_audited_with_its_clock_and_request(
    api: Api, controlled: Controlled
) -> None:
    before_s = api.state()["clock_s"]
    refused = api.client.post(controlled.path("beam"), json={"on": True})
    assert refused.status_code == 409, refused.text
    entry = _entry(api.audit(controlled.run_id), "beam.set", "refused")
    assert entry["reason"] == "interlock.vacuum_required"
    assert entry["request_id"] == _request_id(refused)
    assert entry["request_id"] == refused.json()["request_id"]
    assert entry["clock_s"] == before_s  # a refusal takes no instrument time
    assert entry["session_id"] == controlled.session_id


def test_a_refused_session_start_names_no_session_but_its_request(
    api: Api, controlled: Controlled
) -> None:
    second = api.client.post(f"/v1/runs/{controlled.run_id}/sessions", json={"holder": "bob"})
    assert second.status_code == 409, second.text
    entry = _entry(api.audit(controlled.run_id), "session.start", "refused")
    assert entry["session_id"] is None
    assert entry["request_id"] == _request_id(second)
    assert isinstance(entry["clock_s"], float)
