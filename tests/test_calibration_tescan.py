"""Axis calibration through the tescan driver: the SharkSEM emulator started with another
instrument's convention (mirrored y; scan turned 90°), `semphony serve --driver tescan` over real
loopback sockets. The calibration measures the convention, `/v1/device` publishes it, and
`find_roi` relocates a saved ROI through it after the stage was moved away.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from semphony.client import Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.server.drivers.tescan.emulator import Emulator, EmulatorConfig
from tests.server.conftest import OPERATOR_TOKEN, make_settings, serve_in_thread

SPEC = RoiSpec(name="site", roi_fov_um=50.0, l2_fov_um=150.0, l1_fov_um=300.0, l0_fov_um=1500.0)
# The emulator's convention → the image-to-stage matrix the calibration must find.
CONVENTIONS = {
    "mirrored_y": ((True, 0), ((1.0, 0.0), (0.0, 1.0))),
    "turned_90": ((False, 90), ((0.0, -1.0), (-1.0, 0.0))),
}


@pytest.fixture(params=sorted(CONVENTIONS))
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Semphony, str]]:
    (mirror_y, turn), _ = CONVENTIONS[request.param]
    config = EmulatorConfig(seed=7, time_scale=0.0, mirror_y=mirror_y, scan_turn_deg=turn)
    emulator = Emulator(config).start()
    try:
        settings = make_settings(
            tmp_path / "data",
            driver="tescan",
            tescan_host="127.0.0.1",
            tescan_port=emulator.control_port,
        )
        served = serve_in_thread(settings)
        try:
            with Semphony(base_url=served.base_url, token=OPERATOR_TOKEN) as c:
                yield c, str(request.param)
        finally:
            served.stop()
    finally:
        emulator.stop()


def test_the_calibration_finds_the_emulators_convention_and_find_roi_works_through_it(
    served: tuple[Semphony, str],
) -> None:
    client, convention = served
    _, expected = CONVENTIONS[convention]
    with client.runs.create(name="calibrate").session().start() as session:
        session.chamber.pump()
        session.beam.on()
        session.stage.move_to(x=0.4, y=-0.3)
        found = session.stage.calibrate(fov_um=100.0)
        for row, want in zip(found.matrix, expected, strict=True):
            assert row == pytest.approx(want, abs=0.06), found.matrix
        assert found.residual_um < 2.0
        published = client.device().calibration
        assert published is not None
        assert published.matrix == found.matrix

        session.imaging.save_roi(SPEC, AcquisitionConfig(resolution=(256, 256)), overwrite=True)
        start = session.state().stage
        session.stage.move_by(x=0.12, y=0.09)  # the ROI is off the L0 field's centre now
        result = session.imaging.find_roi(SPEC.name)
        assert result.found, result.metrics.get("reason")
        assert result.metrics["axis_calibration"] is not None
        after = session.state().stage
        pixel_um = SPEC.roi_fov_um / 256
        # The beam shift takes up the last micrometres: stage plus beam shift is where it was.
        state = session.state()
        x_um = (after.x_mm - start.x_mm) * 1000 + state.beam_shift_x_um
        y_um = (after.y_mm - start.y_mm) * 1000 + state.beam_shift_y_um
        assert abs(x_um) <= 3 * pixel_um + 1.0
        assert abs(y_um) <= 3 * pixel_um + 1.0
