"""Saved ROI records."""

from __future__ import annotations

from typing import Any

import httpx


def _record(name: str, specimen_id: str | None = "wafer-1") -> dict[str, Any]:
    return {
        "name": name,
        "spec": {"roi_fov_um": 50, "l2_fov_um": 150, "l1_fov_um": 300, "l0_fov_um": 1500},
        "levels": [
            {"level": "roi", "fov_um": 50, "image_id": "img_a", "correlation_id": "op_a"},
        ],
        "pose": {"x_mm": 0.1, "y_mm": 0.2, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0},
        "optics": {
            "fov_um": 50,
            "working_distance_mm": 10,
            "scan_rotation_deg": 0,
            "beam_shift_x_um": 0,
            "beam_shift_y_um": 0,
            "hv_kv": 10,
            "beam_current_na": 0.1,
        },
        "detector": {
            "mode": "SE",
            "channel": 0,
            "gain": 1,
            "offset": 0,
            "gamma": 1,
            "bit_depth": 8,
        },
        "specimen_id": specimen_id,
    }


def test_an_roi_is_saved_listed_and_fetched(client: httpx.Client) -> None:
    saved = client.post("/v1/rois", json=_record("grain-1"))
    assert saved.status_code == 201, saved.text
    assert saved.json()["name"] == "grain-1"
    assert saved.json()["created_at"]
    client.post("/v1/rois", json=_record("other", specimen_id="wafer-2"))
    names = [r["name"] for r in client.get("/v1/rois").json()["items"]]
    assert names == ["grain-1", "other"]
    only = client.get("/v1/rois", params={"specimen_id": "wafer-1"}).json()["items"]
    assert [r["name"] for r in only] == ["grain-1"]
    fetched = client.get("/v1/rois/grain-1").json()
    assert fetched["spec"]["l0_fov_um"] == 1500
    assert fetched["pose"]["y_mm"] == 0.2


def test_saving_an_existing_name_needs_overwrite(client: httpx.Client) -> None:
    assert client.post("/v1/rois", json=_record("r")).status_code == 201
    again = client.post("/v1/rois", json=_record("r"))
    assert again.status_code == 409
    assert again.json()["reason"] == "roi.exists"
    replaced = client.post("/v1/rois", params={"overwrite": "true"}, json=_record("r", "w9"))
    assert replaced.status_code == 200
    assert client.get("/v1/rois/r").json()["specimen_id"] == "w9"


def test_an_unknown_roi_is_404(client: httpx.Client) -> None:
    assert client.get("/v1/rois/nothing").status_code == 404
