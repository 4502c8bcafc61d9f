"""Operations: long-poll, progress, cancel, one at a time, and a run's list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.server.conftest import Api, Controlled, Served


@pytest.fixture
def slow(serve: Callable[..., Served]) -> Iterator[tuple[Api, Controlled]]:
    """A pumped server with the beam on whose scans are slowed far beyond a test's patience."""
    served = serve(realtime=0.001)
    with served.client() as client:
        api = Api(client)
        ctl = api.start_session()
        api.pump(ctl)
        api.beam(ctl, True)
        assert (
            client.post("/v1/sim/faults", json={"fault": "slow", "factor": 1000}).status_code == 200
        )
        yield api, ctl


def _start_long_scan(api: Api, ctl: Controlled) -> dict[str, Any]:
    accepted = api.client.post(
        ctl.path("acquisitions"), json={"resolution": [512, 512], "dwell_time_us": 32}
    )
    assert accepted.status_code == 202, accepted.text
    op: dict[str, Any] = accepted.json()
    assert op["status"] in ("pending", "running")
    assert op["progress"] == {"done": 0, "total": 512, "unit": "lines"}
    return op


def _wait_for_progress(api: Api, op_id: str) -> dict[str, Any]:
    for _ in range(500):
        op: dict[str, Any] = api.client.get(f"/v1/operations/{op_id}").json()
        if op["progress"]["done"] > 0:
            return op
        api.client.get(f"/v1/operations/{op_id}", params={"wait_s": 0.02})
    raise AssertionError("the scan made no progress")


def test_long_poll_returns_the_finished_operation(api: Api, ready: Controlled) -> None:
    accepted = api.client.post(ready.path("acquisitions"), json={"resolution": [64, 64]})
    assert accepted.status_code == 202
    response = api.client.get(f"/v1/operations/{accepted.json()['id']}", params={"wait_s": 30})
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert response.json()["result"]["correlation_id"] == accepted.json()["id"]


def test_cancel_stops_a_scan_mid_way(slow: tuple[Api, Controlled]) -> None:
    api, ctl = slow
    op = _start_long_scan(api, ctl)
    running = _wait_for_progress(api, op["id"])
    assert running["status"] == "running"
    assert api.state()["active_operation_id"] == op["id"]
    cancelled = api.client.delete(f"/v1/operations/{op['id']}")
    assert cancelled.status_code == 200, cancelled.text
    final = api.wait(cancelled.json())
    assert final["status"] == "cancelled"
    assert 0 < final["progress"]["done"] < final["progress"]["total"]
    assert final["result"] is None
    assert api.state()["active_operation_id"] is None
    listed = api.client.get(f"/v1/runs/{ctl.run_id}/operations", params={"kind": "acquisition"})
    assert [(o["id"], o["status"]) for o in listed.json()["items"]] == [(op["id"], "cancelled")]
    # Cancelling a finished operation answers it unchanged.
    again = api.client.delete(f"/v1/operations/{op['id']}")
    assert again.status_code == 200
    assert again.json()["status"] == "cancelled"


def test_a_second_operation_while_one_runs_is_busy(slow: tuple[Api, Controlled]) -> None:
    api, ctl = slow
    op = _start_long_scan(api, ctl)
    response = api.client.post(ctl.path("stage/move"), json={"x_mm": 1.0})
    assert response.status_code == 409
    assert response.json()["reason"] == "interlock.busy"
    optics = api.client.post(ctl.path("optics"), json={"fov_um": 20.0})
    assert optics.status_code == 409
    api.client.delete(f"/v1/operations/{op['id']}")


def test_beam_off_stops_a_running_scan(slow: tuple[Api, Controlled]) -> None:
    api, ctl = slow
    op = _start_long_scan(api, ctl)
    _wait_for_progress(api, op["id"])
    response = api.client.post(ctl.path("beam"), json={"on": False})
    assert response.status_code == 200, response.text
    assert response.json()["beam_on"] is False
    final = api.wait(op)
    assert final["status"] == "cancelled"


def test_stop_ends_a_running_scan_and_leaves_the_beam_on(slow: tuple[Api, Controlled]) -> None:
    api, ctl = slow
    op = _start_long_scan(api, ctl)
    _wait_for_progress(api, op["id"])
    response = api.client.post(ctl.path("stop"))
    assert response.status_code == 200, response.text
    assert response.json()["beam_on"] is True
    final = api.wait(op)
    assert final["status"] == "cancelled"
    assert api.state()["active_operation_id"] is None
    stops = [e for e in api.audit(ctl.run_id) if e["action"] == "session.stop"]
    assert [e["outcome"] for e in stops] == ["succeeded"]


def test_stop_after_the_session_ended_still_goes_through_as_an_override(
    api: Api, ready: Controlled
) -> None:
    api.client.delete(f"/v1/sessions/{ready.session_id}")
    response = api.client.post(ready.path("stop"))
    assert response.status_code == 200, response.text
    (entry,) = [e for e in api.audit(ready.run_id) if e["action"] == "session.stop"]
    assert entry["params"] == {"override": True}
    assert entry["user"] == "operator"


def test_an_unknown_operation_is_404(api: Api) -> None:
    response = api.client.get("/v1/operations/op_nope", params={"wait_s": 1})
    assert response.status_code == 404
    assert response.json()["reason"] == "not_found"


def test_a_device_error_fails_the_operation_with_its_code(api: Api, ready: Controlled) -> None:
    fault = {"fault": "scan_error", "device_code": 1234, "device_message": "ScScanXY failed"}
    assert api.client.post("/v1/sim/faults", json=fault).status_code == 200
    op = api.run_operation(ready.path("acquisitions"), {"resolution": [64, 64]})
    assert op["status"] == "failed"
    assert op["problem"]["reason"] == "device.error"
    assert op["problem"]["device_code"] == 1234
    assert op["problem"]["device_message"] == "ScScanXY failed"


def test_a_runs_operations_filter_by_kind_and_status(api: Api, ready: Controlled) -> None:
    api.run_operation(ready.path("acquisitions"), {"resolution": [32, 32]})
    api.run_operation(ready.path("stage/move"), {"x_mm": 0.5})
    listing = api.client.get(f"/v1/runs/{ready.run_id}/operations").json()["items"]
    assert [o["kind"] for o in listing] == ["pump", "acquisition", "move"]
    only = api.client.get(
        f"/v1/runs/{ready.run_id}/operations",
        params={"kind": "acquisition", "status": "succeeded"},
    ).json()["items"]
    assert [o["kind"] for o in only] == ["acquisition"]
    none = api.client.get(f"/v1/runs/{ready.run_id}/operations", params={"status": "failed"})
    assert none.json()["items"] == []
