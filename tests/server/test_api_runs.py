"""Runs and the audit log."""

from __future__ import annotations

import httpx

from tests.server.conftest import Api, Controlled


def test_runs_are_created_listed_newest_first_and_fetched(client: httpx.Client) -> None:
    first = client.post("/v1/runs", json={"name": "one", "description": "first"})
    second = client.post("/v1/runs", json={"name": "two"})
    assert first.status_code == second.status_code == 201
    assert first.json()["description"] == "first"
    listed = [r["id"] for r in client.get("/v1/runs").json()["items"]]
    assert listed == [second.json()["id"], first.json()["id"]]
    fetched = client.get(f"/v1/runs/{first.json()['id']}")
    assert fetched.json() == first.json()


def test_an_unknown_run_is_404(client: httpx.Client) -> None:
    for path in ("/v1/runs/run_nope", "/v1/runs/run_nope/audit", "/v1/runs/run_nope/operations"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["reason"] == "not_found"


def test_the_audit_log_records_who_did_what_with_which_outcome(
    api: Api, controlled: Controlled
) -> None:
    api.pump(controlled)
    api.client.post(controlled.path("optics"), json={"fov_um": 30.0})
    entries = api.audit(controlled.run_id)
    actions = [(e["action"], e["outcome"]) for e in entries]
    assert ("session.start", "succeeded") in actions
    assert ("chamber.pump", "accepted") in actions
    assert ("chamber.pump", "succeeded") in actions
    assert ("optics.set", "succeeded") in actions
    optics = next(e for e in entries if e["action"] == "optics.set")
    assert optics["params"] == {"fov_um": 30.0}
    assert optics["actor"] == "operator"
    assert optics["session_id"] == controlled.session_id
    assert "operator-test-token" not in str(entries)
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids)
    later = api.client.get(
        f"/v1/runs/{controlled.run_id}/audit", params={"after_id": ids[-2]}
    ).json()["items"]
    assert [e["id"] for e in later] == ids[-1:]


def test_an_audit_cursor_beyond_every_entry_reads_nothing(api: Api, controlled: Controlled) -> None:
    # The largest cursor the contract allows (2^53 - 1, every JSON reader's exact integers).
    response = api.client.get(f"/v1/runs/{controlled.run_id}/audit", params={"after_id": 2**53 - 1})
    assert response.status_code == 200
    assert response.json()["items"] == []
    beyond = api.client.get(f"/v1/runs/{controlled.run_id}/audit", params={"after_id": 2**70})
    assert beyond.status_code == 422
    assert [e["field"] for e in beyond.json()["errors"]] == ["query.after_id"]
