"""POST /v1/sessions/{id}/detector/auto-signal: contrast and brightness that fill the range."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
import tifffile

from tests.server.conftest import Api, Controlled


def _dim(api: Api, ready: Controlled) -> None:
    # A response that uses a sliver of the range: what the auto signal must repair.
    response = api.client.post(ready.path("detector"), json={"gain": 0.15, "offset": 0.02})
    assert response.status_code == 200, response.text


def _spread(api: Api, client: httpx.Client, ready: Controlled) -> tuple[float, float]:
    config = {"fov_um": 60.0, "resolution": [128, 128], "bit_depth": 16}
    op = api.run_operation(ready.path("acquisitions"), config)
    assert op["status"] == "succeeded", op
    tiff = client.get(f"/v1/artifacts/{op['result']['image_id']}")
    assert tiff.status_code == 200, tiff.text
    pixels = tifffile.imread(io.BytesIO(tiff.content)).astype(np.float64) / 65535
    lo, hi = np.percentile(pixels, [0.5, 99.5])
    return float(lo), float(hi)


def test_auto_signal_spreads_a_dim_image_over_the_range(
    api: Api, client: httpx.Client, ready: Controlled
) -> None:
    _dim(api, ready)
    before = _spread(api, client, ready)
    op = api.run_operation(ready.path("detector/auto-signal"))
    assert (op["kind"], op["status"]) == ("auto_signal", "succeeded"), op
    result = op["result"]
    assert result["method"] == "frames"
    assert result["frames"] == 2
    assert result["instrument_s"] > 0
    assert result["low_fraction"] == pytest.approx(0.05, abs=0.03)
    assert result["high_fraction"] == pytest.approx(0.95, abs=0.03)
    detector = api.state()["detector"]
    assert (detector["gain"], detector["offset"]) == (result["gain"], result["offset"])
    lo, hi = _spread(api, client, ready)  # a frame of the user's own shows it too
    assert hi - lo > 0.8 > 5 * (before[1] - before[0])


def test_auto_signal_with_the_beam_off_is_refused_and_changes_nothing(
    api: Api, controlled: Controlled
) -> None:
    api.pump(controlled)
    detector = api.state()["detector"]
    refused = api.client.post(controlled.path("detector/auto-signal"))
    assert (refused.status_code, refused.json()["reason"]) == (409, "interlock.beam_required")
    assert api.state()["detector"] == detector


def test_auto_signal_needs_the_lease(api: Api, ready: Controlled) -> None:
    detector = api.state()["detector"]
    refused = api.client.post(
        ready.path("detector/auto-signal"), headers={"Lease-Secret": "not-the-secret"}
    )
    assert refused.status_code == 403, refused.text
    assert api.state()["detector"] == detector
