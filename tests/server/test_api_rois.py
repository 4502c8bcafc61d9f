"""Saved ROI records."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.records import roi_record


def _record(name: str, specimen_id: str | None = "wafer-1") -> dict[str, Any]:
    return roi_record(name, specimen_id=specimen_id)


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
