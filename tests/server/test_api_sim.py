"""Simulator controls over HTTP: reload, truth, faults, detector response."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from semphony.server.store import Store
from tests.server.conftest import Api, Controlled, make_settings, serve_in_thread
from tests.server.fake_hardware import FakeHardware


def test_reload_moves_the_specimen_by_the_commanded_amount(client: httpx.Client) -> None:
    before = client.get("/v1/sim/truth").json()
    assert before["reloads"] == 0
    assert before["point_at_load"] is None
    after = client.post(
        "/v1/sim/reload", json={"shift_x_um": 100.0, "shift_y_um": -50.0, "rotation_deg": 0.0}
    ).json()
    assert after["reloads"] == 1
    assert after["shift_x_um"] == pytest.approx(100.0)
    assert after["shift_y_um"] == pytest.approx(-50.0)
    point = client.get("/v1/sim/truth", params={"x_mm": 1.0, "y_mm": 2.0}).json()
    assert point["point_at_load"] == {"x_mm": 1.0, "y_mm": 2.0}
    assert point["point_now"]["x_mm"] == pytest.approx(1.1)
    assert point["point_now"]["y_mm"] == pytest.approx(1.95)


def test_a_single_truth_coordinate_pairs_with_the_stage_readback(client: httpx.Client) -> None:
    response = client.get("/v1/sim/truth", params={"x_mm": 1.0})
    assert response.status_code == 200
    readback_y = client.get("/v1/state").json()["stage"]["y_mm"]
    assert response.json()["point_at_load"] == {"x_mm": 1.0, "y_mm": readback_y}


def test_a_fault_ignores_members_that_do_not_apply_to_it(client: httpx.Client) -> None:
    body = {"fault": "slow", "factor": 3.0, "after_lines": 2, "device_message": "x"}
    response = client.post("/v1/sim/faults", json=body)
    assert response.status_code == 200, response.text
    assert {"fault": "slow", "factor": 3.0} in response.json()["items"]


def test_faults_are_armed_listed_and_cleared(client: httpx.Client) -> None:
    armed = client.post("/v1/sim/faults", json={"fault": "scan_error", "device_code": 5})
    assert armed.status_code == 200
    assert armed.json()["items"][0]["fault"] == "scan_error"
    assert armed.json()["items"][0]["device_code"] == 5
    cleared = client.delete("/v1/sim/faults")
    assert cleared.json() == {"items": []}


def test_detector_response_changes_the_state(api: Api, controlled: Controlled) -> None:
    response = api.client.post("/v1/sim/detector", json={"gain": 2.0, "gamma": 0.8})
    assert response.status_code == 200
    detector = response.json()["detector"]
    assert detector["gain"] == 2.0
    assert detector["gamma"] == 0.8
    assert api.state()["detector"]["gain"] == 2.0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/sim/reload"),
        ("GET", "/v1/sim/truth"),
        ("POST", "/v1/sim/faults"),
        ("DELETE", "/v1/sim/faults"),
        ("POST", "/v1/sim/detector"),
    ],
)
def test_simulator_routes_on_another_driver_are_404_simulator_unavailable(
    tmp_path: Path, method: str, path: str
) -> None:
    served = serve_in_thread(make_settings(tmp_path / "data"), FakeHardware())
    try:
        with served.client() as client:
            response = client.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 404
            assert response.json()["reason"] == "simulator.unavailable"
            assert "simulator" not in client.get("/v1/device").json()["capabilities"]
    finally:
        served.stop()


def test_another_driver_keeps_no_snapshot_but_works_end_to_end(tmp_path: Path) -> None:
    served = serve_in_thread(make_settings(tmp_path / "data"), FakeHardware())
    try:
        with served.client() as client:
            api = Api(client)
            ctl = api.start_session()
            api.pump(ctl)
            api.beam(ctl, True)
            op = api.run_operation(ctl.path("acquisitions"), {"resolution": [32, 32]})
            assert op["status"] == "succeeded"
    finally:
        served.stop()
    with Store(tmp_path / "data") as store:
        assert store.snapshots.load() is None


def test_reload_with_a_height_reports_it_and_where_the_surface_is_in_focus(
    client: httpx.Client,
) -> None:
    before = client.get("/v1/sim/truth").json()
    after = client.post("/v1/sim/reload", json={"height_um": 60.0}).json()
    assert after["height_um"] == pytest.approx(60.0)
    assert abs(after["tilt_x_deg"]) < 1.0
    assert after["in_focus_wd_mm"] < before["in_focus_wd_mm"]
    refused = client.post("/v1/sim/reload", json={"height_um": 1e4})
    assert refused.status_code == 422
    assert "height_um" in refused.text
