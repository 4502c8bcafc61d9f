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
        # A 100 µm height blurs the ROI level (0.2 µm pixels) by a σ of about 2.6 px; L0 (5.9 µm
        # pixels) sees none of it, so the finest level's blur measure called for the refocus.
        assert focus["trigger"] == "blur"
        assert focus["blur_excess_px2"] is None or focus["blur_excess_px2"] >= 1.0
        assert truth.in_focus_wd_mm is not None
        depth_of_field_mm = 50.0 / 128 / 0.005 / 1000
        after = client.simulator.truth()
        assert after.in_focus_wd_mm is not None
        assert abs(session.state().working_distance_mm - after.in_focus_wd_mm) < (depth_of_field_mm)


def test_find_after_a_remount_at_the_same_height_does_not_refocus() -> None:
    with (
        Semphony.local(seed=7, specimen_kind="texture") as client,
        client.runs.create(name="no-refocus").session().start() as session,
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
        client.simulator.reload(
            shift_x_um=200.0, shift_y_um=-120.0, rotation_deg=1.0, height_um=0.0
        )
        result = find_roi(session, "focus-site", config=AcquisitionConfig(dwell_time_us=0.5))
        assert result.found, result.metrics["reason"]
        assert result.metrics["autofocus"] is None
        assert result.metrics["blur_excess_px2"] < 1.0
