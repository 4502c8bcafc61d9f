"""find_roi on simulators whose images are mirrored or turned against the stage.

`semphony calibrate` (here `session.stage.calibrate()`) measures the convention; `find_roi` then
relocates a saved ROI through it. Without a calibration the search assumes the default
convention, its moves go the wrong way, and it says it did not find the ROI.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from semphony.cli import main
from semphony.client import AsyncSemphony, Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.session import Session
from tests.roi.test_save_find import _beam_centre_mm
from tests.server.conftest import OPERATOR_TOKEN, Served, make_settings, serve_in_thread

SPEC = RoiSpec(
    name="calibrated", roi_fov_um=50.0, l2_fov_um=150.0, l1_fov_um=300.0, l0_fov_um=1500.0
)
CONFIG = AcquisitionConfig(resolution=(256, 256))
CONVENTIONS = {
    "mirrored_y": ((True, 0), ((1.0, 0.0), (0.0, 1.0))),
    "turned_90": ((False, 90), ((0.0, -1.0), (-1.0, 0.0))),
}


@pytest.fixture(params=sorted(CONVENTIONS))
def convention(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(convention: str, tmp_path: Path) -> Iterator[Semphony]:
    (mirror_y, turn), _ = CONVENTIONS[convention]
    settings = make_settings(tmp_path / "data", sim_mirror_y=mirror_y, sim_scan_turn_deg=turn)
    served: Served = serve_in_thread(settings)
    try:
        with Semphony(base_url=served.base_url, token=OPERATOR_TOKEN) as c:
            yield c
    finally:
        served.stop()


@pytest.fixture
def session(client: Semphony) -> Iterator[Session]:
    with client.runs.create(name="calibrated").session().start() as s:
        s.chamber.pump()
        s.beam.on()
        yield s


def _error_um(client: Semphony, session: Session, saved: tuple[float, float]) -> float:
    """How far the beam is from where the saved (first-load) centre lies now, in µm."""
    now = client.simulator.truth(x_mm=saved[0], y_mm=saved[1])["point_now"]
    x, y = _beam_centre_mm(client, session)
    return float(math.hypot(x - now["x_mm"], y - now["y_mm"]) * 1000.0)


def _save_and_remount(client: Semphony, session: Session) -> tuple[float, float]:
    session.stage.move_to(x=0.2, y=0.1)
    session.imaging.save_roi(SPEC, CONFIG, overwrite=True)
    saved = _beam_centre_mm(client, session)  # first-load coordinates: nothing was remounted
    client.simulator.reload(shift_x_um=60.0, shift_y_um=-45.0, rotation_deg=1.5, height_um=0.0)
    session.stage.move_by(x=0.3, y=-0.2)  # and the stage is somewhere else
    return saved


def test_calibration_finds_the_convention_and_find_roi_works_through_it(
    client: Semphony, session: Session, convention: str
) -> None:
    _, expected = CONVENTIONS[convention]
    found = session.stage.calibrate(fov_um=100.0)
    for row, want in zip(found.matrix, expected, strict=True):
        assert row == pytest.approx(want, abs=0.06), found.matrix
    assert found.residual_um < 2.0
    published = client.device().calibration
    assert published is not None
    assert published.matrix == found.matrix

    saved = _save_and_remount(client, session)
    result = session.imaging.find_roi(SPEC.name)
    assert result.found, result.metrics.get("reason")
    assert result.metrics["axis_calibration"] is not None
    assert _error_um(client, session, saved) < 1.5
    # The remount turned the specimen 1.5° counter-clockwise; the scan rotation takes that up
    # whatever the image's convention (a mirrored image shows the turn the other way round).
    assert result.metrics["scan_rotation_deg"] == pytest.approx(1.5, abs=0.2)


def test_without_calibration_find_roi_says_it_did_not_find_the_roi(
    client: Semphony, session: Session
) -> None:
    assert client.device().calibration is None
    saved = _save_and_remount(client, session)
    result = session.imaging.find_roi(SPEC.name)
    assert result.metrics["axis_calibration"] is None
    assert not result.found
    assert _error_um(client, session, saved) > 5.0


def test_semphony_calibrate_prints_and_stores_the_matrix(
    client: Semphony, session: Session, convention: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session.close()  # the CLI takes the lease itself
    argv = ["calibrate", "--url", client.base_url, "--token", OPERATOR_TOKEN, "--fov-um", "100"]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "image-to-stage matrix for 'local'" in out
    assert ("mirrored y" in out) is (convention == "mirrored_y")
    assert client.device().calibration is not None


def test_the_async_session_calibrates_too(client: Semphony, convention: str) -> None:
    _, expected = CONVENTIONS[convention]

    async def calibrate() -> list[list[float]]:
        async with AsyncSemphony(base_url=client.base_url, token=OPERATOR_TOKEN) as ac:
            run = await ac.runs.create(name="calibrate async")
            async with run.session().start() as s:
                await s.chamber.pump()
                await s.beam.on()
                found = await s.stage.calibrate(fov_um=100.0, step_fraction=0.2)
                return found.matrix

    matrix = asyncio.run(calibrate())
    for row, want in zip(matrix, expected, strict=True):
        assert row == pytest.approx(want, abs=0.06), matrix
