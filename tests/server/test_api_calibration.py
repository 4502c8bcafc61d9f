"""POST /v1/sessions/{id}/calibration measures the image-to-stage axes; GET shows it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from semphony.server.calibration import POOR_FIT_FRACTION, calibrate_axes
from semphony.server.drivers.sim import SimDriver
from tests.server.conftest import OPERATOR_TOKEN, Api, Controlled, Served

_BODY = {"fov_um": 100.0, "step_fraction": 0.25, "resolution": 256}


def _near(matrix: list[list[float]], expected: list[list[float]], tol: float = 0.06) -> bool:
    return all(
        abs(m - e) <= tol
        for row, erow in zip(matrix, expected, strict=True)
        for m, e in zip(row, erow, strict=True)
    )


def test_before_any_calibration_the_device_has_none_and_get_is_404(
    client: httpx.Client,
) -> None:
    assert client.get("/v1/device").json()["calibration"] is None
    missing = client.get("/v1/calibration")
    assert missing.status_code == 404
    assert missing.json()["reason"] == "calibration.missing"


def test_calibration_of_the_default_simulator_finds_its_own_convention(
    api: Api, client: httpx.Client, ready: Controlled
) -> None:
    before = api.state()["stage"]
    op = api.run_operation(ready.path("calibration"), _BODY)
    assert op["kind"] == "calibration"
    assert op["status"] == "succeeded", op
    found = op["result"]
    assert _near(found["matrix"], [[1.0, 0.0], [0.0, -1.0]]), found
    assert found["mirrored_y"] is False
    assert abs(found["rotation_deg"]) < 2.0
    assert found["residual_um"] < 2.0
    assert len(found["moves"]) == 4
    assert found["instrument"] == "local"
    after = api.state()["stage"]
    assert abs(after["x_mm"] - before["x_mm"]) < 0.005  # back where it started (1 µm stage)
    stored = client.get("/v1/calibration").json()
    assert stored == found
    assert client.get("/v1/device").json()["calibration"] == found


@pytest.mark.parametrize(
    ("mirror_y", "turn", "expected"),
    [(True, 0, [[1.0, 0.0], [0.0, 1.0]]), (False, 90, [[0.0, -1.0], [-1.0, 0.0]])],
)
def test_calibration_finds_a_mirrored_or_turned_convention(
    serve: Callable[..., Served], mirror_y: bool, turn: int, expected: list[list[float]]
) -> None:
    served = serve(sim_mirror_y=mirror_y, sim_scan_turn_deg=turn)
    with served.client(OPERATOR_TOKEN) as client:
        api = Api(client)
        ctl = api.start_session()
        api.pump(ctl)
        api.beam(ctl, True)
        op = api.run_operation(ctl.path("calibration"), _BODY)
        assert op["status"] == "succeeded", op
        assert _near(op["result"]["matrix"], expected), op["result"]
        assert op["result"]["mirrored_y"] is mirror_y


def test_calibration_with_the_beam_off_is_refused(api: Api, controlled: Controlled) -> None:
    api.pump(controlled)
    refused = api.client.post(controlled.path("calibration"), json=_BODY)
    assert refused.status_code == 409
    assert "beam_required" in refused.text


def test_a_step_beyond_half_the_field_names_the_field(api: Api, ready: Controlled) -> None:
    refused = api.client.post(ready.path("calibration"), json={"step_fraction": 0.9})
    assert refused.status_code == 422
    assert "step_fraction" in refused.text


def test_a_stage_that_stops_short_fails_the_calibration_and_stores_nothing(
    api: Api, client: httpx.Client, ready: Controlled
) -> None:
    armed = client.post("/v1/sim/faults", json={"fault": "drop_move", "count": 1})
    assert armed.status_code in (200, 201), armed.text
    op = api.run_operation(ready.path("calibration"), _BODY)
    assert op["status"] == "failed", op
    assert op["problem"]["reason"] == "device.error"
    assert client.get("/v1/calibration").status_code == 404


def test_a_move_that_silently_did_not_happen_is_a_poor_fit() -> None:
    driver = SimDriver(seed=7)
    driver.open()
    driver.pump()
    driver.set_beam(True)
    driver.inject_fault("drop_move", silent=True, count=1)
    found = calibrate_axes(
        driver,
        fov_um=100.0,
        step_fraction=0.25,
        resolution=256,
        progress=lambda done, total: None,
        cancel=threading.Event(),
    )
    assert found.poor
    assert found.residual_um > POOR_FIT_FRACTION * found.step_um


def test_a_move_beyond_the_travel_is_refused_before_the_first_frame(
    api: Api, client: httpx.Client, ready: Controlled
) -> None:
    api.run_operation(ready.path("stage/move"), {"x_mm": 49.99, "y_mm": 0.0})
    refused = client.post(ready.path("calibration"), json={"fov_um": 1000.0})
    assert refused.status_code == 409, refused.text
    assert "x_mm" in refused.text


def test_an_integral_float_resolution_is_an_integer_as_json_schema_says(
    api: Api, ready: Controlled
) -> None:
    # JSON Schema's integer accepts 256.0 (found by the project's schemathesis run).
    op = api.run_operation(ready.path("calibration"), {**_BODY, "resolution": 128.0})
    assert op["status"] == "succeeded", op
    refused = api.client.post(ready.path("calibration"), json={**_BODY, "resolution": 128.5})
    assert refused.status_code == 422
    assert "resolution" in refused.text
