"""POST /v1/sessions/{id}/autofocus: an operation that finds the remounted surface's focus."""

from __future__ import annotations

import httpx

from tests.server.conftest import Api, Controlled


def test_autofocus_after_a_remount_sets_the_wd_of_the_surface(
    api: Api, client: httpx.Client, ready: Controlled
) -> None:
    truth = client.post("/v1/sim/reload", json={"height_um": 80.0}).json()
    op = api.run_operation(ready.path("autofocus"), {"fov_um": 40.0})
    assert op["kind"] == "autofocus"
    assert op["status"] == "succeeded", op
    result = op["result"]
    assert result["method"] == "sweep"
    assert result["sharpness"] >= result["start_sharpness"]
    assert result["instrument_s"] > 0
    # Within the depth of field at the sweep's pixel size (40 µm / 128 px / 5 mrad ≈ 62 µm).
    assert abs(result["working_distance_mm"] - truth["in_focus_wd_mm"]) < 0.062
    assert api.state()["working_distance_mm"] == result["working_distance_mm"]


def test_autofocus_with_the_beam_off_is_refused(api: Api, controlled: Controlled) -> None:
    api.pump(controlled)
    refused = api.client.post(controlled.path("autofocus"), json={"fov_um": 40.0})
    assert refused.status_code == 409
    assert "beam_required" in refused.text


def test_a_fov_beyond_the_device_is_a_conflict_naming_it(api: Api, ready: Controlled) -> None:
    # Within the contract's static bound (1e6 µm), beyond this device's FOV.
    fov = api.client.get("/v1/device").json()["limits"]["fov_um"]
    refused = api.client.post(ready.path("autofocus"), json={"fov_um": fov["max"] * 2})
    assert (refused.status_code, refused.json()["reason"]) == (409, "range.acquisition")
    assert refused.json()["errors"][0]["field"] == "body.fov_um"
    lo, hi = fov["min"], fov["max"]
    assert refused.json()["detail"] == (
        f"fov_um={hi * 2:g} is outside the allowed range [{lo:g}, {hi:g}] µm"
    )


def test_autofocus_without_a_fov_names_the_field(api: Api, ready: Controlled) -> None:
    refused = api.client.post(ready.path("autofocus"), json={"span_mm": 0.1})
    assert refused.status_code == 422
    assert "fov_um" in refused.text
