"""find_roi after a remount that changed the specimen's height: it refocuses, then finds the ROI."""

from __future__ import annotations

from semphony.client import Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.roi._find import find_roi
from semphony.roi._save import save_roi

SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": 1500.0}


def test_find_after_a_height_change_refocuses_and_finds_the_roi() -> None:
    with (
        Semphony.local(seed=7, specimen_kind="texture") as client,
        client.runs.create(name="refocus").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        session.stage.move_to(x=0.3, y=-0.2)
        save_roi(
            session,
            RoiSpec(name="focus-site", **SPEC),
            AcquisitionConfig(resolution=(256, 256)),
            overwrite=True,
        )
        truth = client.simulator.reload(
            shift_x_um=200.0, shift_y_um=-120.0, rotation_deg=1.0, height_um=100.0
        )
        result = find_roi(session, "focus-site")
        assert result.found, result.metrics["reason"]
        focus = result.metrics["autofocus"]
        assert focus is not None
        assert focus["method"] == "sweep"
        assert focus["l0_sharpness"] < focus["reference_sharpness"]
        assert truth.in_focus_wd_mm is not None
        depth_of_field_mm = 50.0 / 128 / 0.005 / 1000
        after = client.simulator.truth()
        assert after.in_focus_wd_mm is not None
        assert abs(session.state().working_distance_mm - after.in_focus_wd_mm) < (depth_of_field_mm)
