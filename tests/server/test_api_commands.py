"""Commands on a session: interlocks refuse with a reason, change nothing and are audited."""

from __future__ import annotations

import base64
import hashlib

import httpx

from tests.server.conftest import Api, Controlled


def _refused(response: httpx.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["reason"] == reason


def _last_refusal(api: Api, run_id: str) -> dict[str, object]:
    refused = [e for e in api.audit(run_id) if e["outcome"] == "refused"]
    assert refused, "the refusal is not in the audit log"
    return refused[-1]


def test_beam_on_without_vacuum_is_refused_and_changes_nothing(
    api: Api, controlled: Controlled
) -> None:
    before = api.state()
    response = api.client.post(controlled.path("beam"), json={"on": True})
    _refused(response, 409, "interlock.vacuum_required")
    after = api.state()
    assert after["beam_on"] is False
    assert after["vacuum"] == before["vacuum"]
    entry = _last_refusal(api, controlled.run_id)
    assert entry["action"] == "beam.set"
    assert entry["status_code"] == 409
    assert entry["reason"] == "interlock.vacuum_required"
    assert entry["params"] == {"on": True}
    assert entry["actor"] == "operator"


def test_vent_with_beam_on_is_refused(api: Api, ready: Controlled) -> None:
    response = api.client.post(ready.path("chamber/vent"))
    _refused(response, 409, "interlock.beam_must_be_off")
    assert api.state()["vacuum"] == "pumped"
    assert _last_refusal(api, ready.run_id)["action"] == "chamber.vent"
    ops = api.client.get(f"/v1/runs/{ready.run_id}/operations", params={"kind": "vent"})
    assert ops.json()["items"] == []


def test_scan_with_beam_off_is_refused(api: Api, controlled: Controlled) -> None:
    api.pump(controlled)
    response = api.client.post(controlled.path("acquisitions"), json={"resolution": [64, 64]})
    _refused(response, 409, "interlock.beam_required")
    assert _last_refusal(api, controlled.run_id)["action"] == "acquisition.start"


def test_a_move_outside_travel_is_refused_and_the_stage_stays(
    api: Api, controlled: Controlled
) -> None:
    before = api.state()["stage"]
    response = api.client.post(controlled.path("stage/move"), json={"x_mm": 80.0})
    # The contract allows 80 mm (a static bound of ±1000): this stage's travel does not, a
    # conflict with this instrument, naming the field, the value and the device's range.
    _refused(response, 409, "range.stage_travel")
    assert response.json()["errors"][0]["field"] == "body.x_mm"
    travel = api.client.get("/v1/device").json()["limits"]["stage"]["x_mm"]
    assert response.json()["detail"] == (
        f"x_mm=80 is outside the allowed range [{travel['min']:g}, {travel['max']:g}] mm"
    )
    assert api.state()["stage"] == before
    assert _last_refusal(api, controlled.run_id)["reason"] == "range.stage_travel"


def test_a_move_breaking_the_clearance_rule_is_refused(api: Api, controlled: Controlled) -> None:
    before = api.state()["stage"]
    response = api.client.post(controlled.path("stage/move"), json={"z_mm": 49.0, "t_deg": 60.0})
    _refused(response, 409, "range.stage_clearance")
    assert api.state()["stage"] == before


def test_optics_out_of_range_are_refused(api: Api, controlled: Controlled) -> None:
    before = api.state()["beam_shift_x_um"]
    response = api.client.post(controlled.path("optics"), json={"beam_shift_x_um": 500.0})
    _refused(response, 409, "range.optics")
    assert api.state()["beam_shift_x_um"] == before


def test_optics_change_answers_the_new_state(api: Api, controlled: Controlled) -> None:
    response = api.client.post(
        controlled.path("optics"), json={"fov_um": 42.0, "scan_rotation_deg": 5.0}
    )
    assert response.status_code == 200, response.text
    assert response.json()["fov_um"] == 42.0
    assert response.json()["scan_rotation_deg"] == 5.0
    assert api.state()["fov_um"] == 42.0


def test_a_move_is_an_operation_whose_result_is_the_readback(
    api: Api, controlled: Controlled
) -> None:
    op = api.run_operation(controlled.path("stage/move"), {"x_mm": 1.0, "y_mm": -2.0})
    assert op["kind"] == "move"
    assert op["status"] == "succeeded", op
    pose = op["result"]["pose"]
    assert pose == api.state()["stage"]
    # The readback lands within the stage's repeatability of the target (a few µm).
    assert abs(pose["x_mm"] - 1.0) < 0.01
    assert abs(pose["y_mm"] + 2.0) < 0.01


def test_an_acquisition_reports_applied_settings_and_its_artifact(
    api: Api, ready: Controlled
) -> None:
    op = api.run_operation(
        ready.path("acquisitions"),
        {"fov_um": 50.0, "resolution": [64, 32], "dwell_time_us": 0.9, "roi_name": "a1"},
    )
    assert op["status"] == "succeeded", op
    assert op["progress"] == {"done": 32, "total": 32, "unit": "lines"}
    result = op["result"]
    assert result["correlation_id"] == op["id"]
    assert result["mime"] == "image/tiff"
    assert result["size"] == [64, 32]
    meta = result["metadata"]
    assert meta["applied"]["dwell_time_us"] == 1.0  # snapped to the speed table
    assert meta["applied"]["scan_speed_index"] == 3
    assert meta["applied"]["fov_um"] == 50.0
    assert meta["applied"]["pixel_size_um"] == 50.0 / 64
    assert meta["ignored_fields"] == []
    assert meta["roi_name"] == "a1"
    assert meta["run_id"] == ready.run_id
    assert meta["session_id"] == ready.session_id
    assert set(meta["stage"]) == {"x_mm", "y_mm", "z_mm", "r_deg", "t_deg"}
    assert meta["clock_s_end"] > meta["clock_s_start"]
    download = api.client.get(f"/v1/artifacts/{result['image_id']}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/tiff"
    assert int(download.headers["content-length"]) == len(download.content)
    digest = hashlib.sha256(download.content).digest()
    assert download.headers["repr-digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert hashlib.sha256(download.content).hexdigest() == meta["sha256"]
    assert result["remote_path"].endswith(f"{result['image_id']}.tiff")


def test_an_unsupported_acquisition_value_is_refused(api: Api, ready: Controlled) -> None:
    response = api.client.post(ready.path("acquisitions"), json={"dwell_time_us": 5000.0})
    _refused(response, 409, "range.acquisition")


def test_artifact_ids_cannot_name_a_path(api: Api) -> None:
    for image_id in ("..%2F..%2Fsemphony.db", "img_does_not_exist"):
        response = api.client.get(f"/v1/artifacts/{image_id}")
        assert response.status_code in (404, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")


def test_beam_off_is_always_allowed(api: Api, ready: Controlled) -> None:
    response = api.client.post(ready.path("beam"), json={"on": False})
    assert response.status_code == 200
    assert response.json()["beam_on"] is False
