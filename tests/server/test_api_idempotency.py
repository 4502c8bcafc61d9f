"""`Idempotency-Key`: a repeated POST answers the first response and does not act twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.server.conftest import Api, Controlled, Served


def _acquisitions(api: Api, run_id: str) -> list[dict[str, object]]:
    response = api.client.get(f"/v1/runs/{run_id}/operations", params={"kind": "acquisition"})
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_a_repeated_acquisition_does_not_scan_twice(
    api: Api, ready: Controlled, served: Served
) -> None:
    body = {"resolution": [32, 32], "fov_um": 20.0}
    key = {"Idempotency-Key": "acq-1"}
    first = api.client.post(ready.path("acquisitions"), json=body, headers=key)
    second = api.client.post(ready.path("acquisitions"), json=body, headers=key)
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    api.wait(first.json())
    assert len(_acquisitions(api, ready.run_id)) == 1
    artifacts = list((served.data_dir / "artifacts").glob("*.tiff"))
    assert len(artifacts) == 1


def test_the_same_key_with_another_body_is_refused(api: Api, ready: Controlled) -> None:
    key = {"Idempotency-Key": "move-1"}
    first = api.client.post(ready.path("stage/move"), json={"x_mm": 1.0}, headers=key)
    assert first.status_code == 202
    api.wait(first.json())
    second = api.client.post(ready.path("stage/move"), json={"x_mm": 2.0}, headers=key)
    assert second.status_code == 422
    assert second.json()["reason"] == "idempotency.mismatch"
    moves = api.client.get(f"/v1/runs/{ready.run_id}/operations", params={"kind": "move"})
    assert len(moves.json()["items"]) == 1


def test_a_refused_request_is_not_remembered(api: Api, controlled: Controlled) -> None:
    key = {"Idempotency-Key": "beam-1"}
    refused = api.client.post(controlled.path("beam"), json={"on": True}, headers=key)
    assert refused.status_code == 409
    api.pump(controlled)
    accepted = api.client.post(controlled.path("beam"), json={"on": True}, headers=key)
    assert accepted.status_code == 200
    assert accepted.json()["beam_on"] is True


def test_keys_survive_a_restart(serve: Callable[..., Served], tmp_path: Path) -> None:
    data_dir = tmp_path / "persist"
    key = {"Idempotency-Key": "run-1"}
    first_server = serve(data_dir=data_dir)
    with first_server.client() as client:
        first = client.post("/v1/runs", json={"name": "once"}, headers=key)
    first_server.stop()
    second_server = serve(data_dir=data_dir)
    with second_server.client() as client:
        again = client.post("/v1/runs", json={"name": "once"}, headers=key)
        runs = client.get("/v1/runs").json()["items"]
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert [r["id"] for r in runs] == [first.json()["id"]]


def test_an_invalid_key_is_refused(client: httpx.Client) -> None:
    response = client.post("/v1/runs", json={"name": "x"}, headers={"Idempotency-Key": "a b"})
    assert response.status_code == 422
