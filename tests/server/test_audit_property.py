"""Property: for any sequence of allowed and refused commands, GET /v1/audit lists each request
exactly once (matched by its X-Request-Id), and a refused one is not recorded as a success."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semphony.server.app import create_app
from tests.server.conftest import OPERATOR_TOKEN, VIEWER_TOKEN, make_settings

_OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
_VIEWER = {"Authorization": f"Bearer {VIEWER_TOKEN}"}

# (name, request kwargs): each one tries to change something, allowed or refused.
_COMMANDS: dict[str, dict[str, Any]] = {
    "create_run": {"json": {"name": "prop"}, "headers": _OPERATOR},
    "invalid_body": {"json": {"name": 5}, "headers": _OPERATOR},
    "viewer": {"json": {"name": "prop"}, "headers": _VIEWER},
    "bad_json": {
        "content": b"{not json",
        "headers": {**_OPERATOR, "Content-Type": "application/json"},
    },
    "wrong_media": {
        "content": b"name=prop",
        "headers": {**_OPERATOR, "Content-Type": "text/plain"},
    },
}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path_factory.mktemp("audit-property"), realtime=0.0))
    with TestClient(app) as client:
        yield client


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(sorted(_COMMANDS)), min_size=1, max_size=6))
def test_the_audit_lists_every_command_once_with_its_outcome(
    app_client: TestClient, names: list[str]
) -> None:
    sent: dict[str, int] = {}
    for name in names:
        response = app_client.post("/v1/runs", **_COMMANDS[name])
        request_id = response.headers["x-request-id"]
        sent[request_id] = response.status_code
    audit = app_client.get("/v1/audit", params={"limit": 10_000}, headers=_OPERATOR)
    assert audit.status_code == 200, audit.text
    entries = [e for e in audit.json()["items"] if e.get("request_id") in sent]
    counts = {rid: sum(1 for e in entries if e["request_id"] == rid) for rid in sent}
    assert all(n == 1 for n in counts.values()), (counts, sent)
    for entry in entries:
        if sent[entry["request_id"]] >= 400:
            assert entry["outcome"] != "succeeded", entry
