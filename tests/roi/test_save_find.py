"""save_roi and find_roi end to end on the simulated SEM, checked against its ground truth.

One embedded server serves the module; each scenario saves its own ROI near the stage origin,
remounts the specimen, finds the ROI, and measures where the beam really ends up.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semphony._exceptions import ConflictError
from semphony._records import OpticsSnapshot, RoiLevelRecord, RoiRecord
from semphony._state import DetectorState, StagePose
from semphony.client import Semphony
from semphony.guardrails import ImagingGuardrails, StageRelativeLimits
from semphony.models import AcquisitionConfig, FindRoiResult, RoiSpec
from semphony.roi import FINDABILITY_THRESHOLD, LowFindabilityWarning, _find, _findability
from semphony.roi._find import LevelImages, _find_config, find_roi
from semphony.roi._plan import rotate
from semphony.roi._report import write_report
from semphony.roi._save import save_roi
from semphony.roi.registration import register
from semphony.session import Session

RESOLUTION = (256, 256)
SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": 1500.0}


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    with Semphony.local(seed=7, specimen_kind="texture") as c:
        yield c


@pytest.fixture(scope="module")
def session(client: Semphony) -> Iterator[Session]:
    run = client.runs.create(name="roi-e2e")
    with run.session().start() as s:
        s.chamber.pump()
        s.beam.on()
        yield s


def _beam_centre_mm(client: Semphony, session: Session) -> tuple[float, float]:
    """Where the beam really points, in stage coordinates (true stage plus beam shift)."""
    true = client.simulator.truth()["stage_true"]
    state = session.state()
    bx, by = rotate(state.beam_shift_x_um, state.beam_shift_y_um, -true["r_deg"])
    return true["x_mm"] + bx / 1000.0, true["y_mm"] + by / 1000.0


def _at_first_load_mm(client: Semphony, x_mm: float, y_mm: float) -> tuple[float, float]:
    """The stage point (x, y) of now, in the coordinates of the specimen's first load."""
    truth = client.simulator.truth()
    ux, uy = rotate(
        x_mm * 1000.0 - truth["shift_x_um"],
        y_mm * 1000.0 - truth["shift_y_um"],
        -truth["rotation_deg"],
    )
    return ux / 1000.0, uy / 1000.0


def _save_here(
    client: Semphony, session: Session, name: str, x_mm: float, y_mm: float
) -> tuple[RoiRecord, tuple[float, float]]:
    """Save an ROI at (x, y); the record and its true centre in first-load coordinates."""
    session.stage.move_to(x=x_mm, y=y_mm)
    record = save_roi(
        session,
        RoiSpec(name=name, **SPEC),
        AcquisitionConfig(resolution=RESOLUTION),
        overwrite=True,
    )
    return record, _at_first_load_mm(client, *_beam_centre_mm(client, session))


def _error_um(client: Semphony, session: Session, saved_centre: tuple[float, float]) -> float:
    """How far the beam is from the saved ROI centre now, in µm (ground truth)."""
    now = client.simulator.truth(x_mm=saved_centre[0], y_mm=saved_centre[1])["point_now"]
    x, y = _beam_centre_mm(client, session)
    return float(math.hypot(x - now["x_mm"], y - now["y_mm"]) * 1000.0)


def test_save_roi_acquires_each_level_finest_first_and_returns_the_stored_record(
    client: Semphony, session: Session
) -> None:
    record, _ = _save_here(client, session, "typed", 0.2, 0.1)
    assert [lv.level for lv in record.levels] == ["roi", "l2", "l1", "l0"]
    assert [lv.fov_um for lv in record.levels] == [50.0, 150.0, 300.0, 1500.0]
    assert all(lv.resolution == RESOLUTION for lv in record.levels)
    assert record.levels[0].pixel_size_um == pytest.approx(50.0 / 256)
    assert record.pose.x_mm == pytest.approx(0.2)
    assert record.pose.y_mm == pytest.approx(0.1)
    assert record.run_id == session.run.id
    assert record.created_at is not None
    tagged = [
        (op["result"]["metadata"]["roi_name"], op["result"]["metadata"]["roi_level"])
        for op in session.run.operations(kind="acquisition")
        if op["result"]["metadata"].get("roi_name") == "typed"
    ]
    assert tagged[-4:] == [("typed", "roi"), ("typed", "l2"), ("typed", "l1"), ("typed", "l0")]
    assert "typed" in {r.name for r in session.rois.list()}


def test_save_roi_skips_levels_whose_fov_is_zero(client: Semphony, session: Session) -> None:
    record = save_roi(
        session,
        RoiSpec(name="two-levels", roi_fov_um=40.0, l0_fov_um=800.0),
        AcquisitionConfig(resolution=RESOLUTION),
        overwrite=True,
    )
    assert [lv.level for lv in record.levels] == ["roi", "l0"]
    assert record.spec.l1_fov_um == 0.0
    assert record.spec.l2_fov_um == 0.0


def test_saving_an_existing_name_is_refused_before_acquiring_unless_overwrite(
    client: Semphony, session: Session
) -> None:
    spec = RoiSpec(name="taken", roi_fov_um=40.0, l0_fov_um=800.0)
    config = AcquisitionConfig(resolution=RESOLUTION)
    save_roi(session, spec, config, overwrite=True)
    before = len(session.run.operations(kind="acquisition"))
    with pytest.raises(ConflictError) as caught:
        save_roi(session, spec, config)
    assert caught.value.reason == "roi.exists"
    assert len(session.run.operations(kind="acquisition")) == before
    again = save_roi(session, spec, config, specimen_id="wafer-7", overwrite=True)
    assert again.specimen_id == "wafer-7"


def test_find_after_a_reload_puts_the_beam_on_the_roi_within_tolerance(
    client: Semphony, session: Session, tmp_path: Path
) -> None:
    record, centre = _save_here(client, session, "shifted", 0.3, -0.2)
    client.simulator.reload(shift_x_um=320.0, shift_y_um=-210.0, rotation_deg=0.0)
    report = tmp_path / "find.png"
    result = find_roi(session, "shifted", report=report)
    assert isinstance(result, FindRoiResult)
    assert result.found, result.metrics["reason"]
    tolerance = record.levels[0].pixel_size_um
    assert tolerance is not None
    assert result.metrics["final_residual_um"] <= tolerance
    assert _error_um(client, session, centre) <= tolerance
    assert [h["level"] for h in result.level_history][:1] == ["l0"]
    assert result.level_history[-1]["stop"] == "found"
    assert result.iterations == len(result.level_history)
    assert set(result.final_pose or {}) == {"x", "y", "r", "fov_um"}
    # One more frame per level whose focus was judged (L0 and the ROI level) than matched.
    checks = result.metrics["focus_check_acquisitions"]
    assert checks >= 1
    # No refocus was needed, so each focus check's image was its level's first: no scan of its own.
    assert result.metrics["acquisitions"] == len(result.level_history)
    assert result.metrics["instrument_s"] > 0
    assert report.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_rotated_reload_is_found_upright_with_its_angle_measured(
    client: Semphony, session: Session
) -> None:
    record, centre = _save_here(client, session, "turned", -0.25, 0.15)
    client.simulator.reload(shift_x_um=-260.0, shift_y_um=180.0, rotation_deg=6.0)
    result = find_roi(session, "turned")
    assert result.found, result.metrics["reason"]
    assert result.metrics["rotation_deg"] == pytest.approx(6.0, abs=0.1)
    assert not result.metrics["rotation_at_search_edge"]
    assert _error_um(client, session, centre) <= _roi_pixel_um(record)
    # Upright: a fresh ROI image matches the saved reference without turning it.
    reference = session.imaging.read(_reference_result(record))
    image = session.imaging.read(
        session.imaging.acquire(AcquisitionConfig(fov_um=50.0, resolution=RESOLUTION))
    )
    check = register(np.asarray(reference, float), np.asarray(image, float))
    assert check.passed
    assert math.hypot(*check.offset_px) < 1.0


def _roi_pixel_um(record: RoiRecord) -> float:
    pixel = record.levels[0].pixel_size_um
    assert pixel is not None
    return pixel


def _reference_result(record: RoiRecord) -> Any:
    from semphony.models import AcquisitionResult

    finest = record.levels[0]
    return AcquisitionResult(correlation_id=finest.correlation_id, image_id=finest.image_id)


def test_an_absent_roi_is_reported_not_found_with_a_reason(
    client: Semphony, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_find, "_GRID_RINGS", 1)  # the 3×3 grid is enough to show the behaviour
    _save_here(client, session, "gone", 0.1, 0.1)
    client.simulator.reload(shift_x_um=4000.0, shift_y_um=-3500.0, rotation_deg=0.0)
    result = find_roi(session, "gone")
    assert result.found is False
    assert "confidence gate" in result.metrics["reason"]
    assert result.metrics["grid_cells_searched"] == 8
    assert not any(h["passed"] for h in result.level_history)
    assert result.level_history[-1]["stop"] == "confidence_under_gate" or any(
        h["stop"] == "confidence_under_gate" for h in result.level_history
    )


def test_a_large_correction_is_split_into_moves_the_relative_limits_allow(
    client: Semphony, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, centre = _save_here(client, session, "far", 0.0, 0.0)
    client.simulator.reload(shift_x_um=450.0, shift_y_um=380.0, rotation_deg=0.0)
    limits = StageRelativeLimits(x_pct=10, y_pct=10)  # 150 µm per move at the L0 FOV
    monkeypatch.setattr(session, "guardrails", ImagingGuardrails(stage_relative=limits))
    moves: list[tuple[float, float, float]] = []
    move_by = session.stage.move_by

    def recording_move_by(**axes: Any) -> StagePose:
        fov_um = session.state().fov_um
        moves.append((axes.get("x") or 0.0, axes.get("y") or 0.0, fov_um))
        return move_by(**axes)

    monkeypatch.setattr(session.stage, "move_by", recording_move_by)
    result = find_roi(session, "far")
    assert result.found, result.metrics["reason"]
    assert _error_um(client, session, centre) <= _roi_pixel_um(record)
    assert result.metrics["stage_moves"] == len(moves)
    # 450 µm at 150 µm per move needs at least three moves on x alone.
    assert len(moves) >= 3
    for dx_mm, dy_mm, fov_um in moves:
        assert abs(dx_mm) * 1000.0 <= 0.1 * fov_um + 1e-9
        assert abs(dy_mm) * 1000.0 <= 0.1 * fov_um + 1e-9


# ---------------------------------------------------------------------------- without a server


def _record(**acquisition: Any) -> RoiRecord:
    return RoiRecord(
        name="unit",
        spec=RoiSpec(name="unit", roi_fov_um=50.0, l0_fov_um=1000.0),
        levels=(
            RoiLevelRecord("roi", 50.0, "img_a", "op_a", (512, 512), 50.0 / 512),
            RoiLevelRecord("l0", 1000.0, "img_b", "op_b", (512, 512), 1000.0 / 512),
        ),
        pose=StagePose(x_mm=1.0, y_mm=2.0, z_mm=45.0, r_deg=90.0, t_deg=0.0),
        optics=OpticsSnapshot(
            fov_um=50.0,
            working_distance_mm=10.5,
            scan_rotation_deg=0.0,
            beam_shift_x_um=4.0,
            beam_shift_y_um=0.0,
            hv_kv=10.0,
            beam_current_na=0.1,
        ),
        detector=DetectorState(mode="SE", channel=0, gain=1, offset=0, gamma=1, bit_depth=8),
        acquisition=AcquisitionConfig(**acquisition) if acquisition else None,
        specimen_id="s1",
        run_id="run_1",
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_a_record_survives_its_wire_form() -> None:
    record = _record(resolution=(512, 512), mode="SE", dwell_time_us=1.0)
    assert RoiRecord.from_dict(record.to_dict()) == record


def test_a_record_missing_a_field_is_refused_naming_it() -> None:
    doc = _record().to_dict()
    del doc["pose"]
    with pytest.raises(ValueError, match="'pose'"):
        RoiRecord.from_dict(doc)


def test_the_roi_centre_includes_the_beam_shift_in_stage_axes() -> None:
    # r = 90°: a beam shift of +4 µm along the column's x lies along stage -y.
    x, y = _record().centre_mm
    assert x == pytest.approx(1.0)
    assert y == pytest.approx(2.0 - 0.004)


def test_find_uses_the_saved_settings_but_not_the_saved_focus() -> None:
    config = _find_config(
        _record(resolution=(512, 512), mode="SE", detector_channel=0, working_distance_mm=9.0),
        None,
    )
    assert config.resolution == (512, 512)
    assert config.mode == "SE"
    assert config.working_distance_mm is None


def test_a_detector_override_drops_the_saved_detector_channel() -> None:
    config = _find_config(
        _record(resolution=(512, 512), mode="SE", detector_channel=0),
        AcquisitionConfig(mode="BSE"),
    )
    assert config.mode == "BSE"
    assert config.detector_channel is None
    assert config.resolution == (512, 512)


def test_find_refuses_a_config_that_sets_the_fov() -> None:
    with pytest.raises(ValueError, match=r"config\.fov_um"):
        _find_config(_record(), AcquisitionConfig(fov_um=10.0))


def test_the_report_is_a_png_with_a_row_per_level(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    reference = rng.random((64, 64))
    panels = [
        LevelImages("l0", 1000.0, reference, reference, register(reference, reference), 2.0, 1),
        LevelImages("roi", 50.0, reference),  # a level never imaged still gets its row
    ]
    result = FindRoiResult(found=False, metrics={"reason": "test", "final_residual_um": None})
    path = write_report(tmp_path / "r.png", "unit", panels, result)
    from matplotlib.image import imread

    pixels = imread(path)
    assert pixels.shape[0] > pixels.shape[1] * 0.6  # two rows of three panels


def test_a_textured_roi_is_saved_findable_at_every_level(
    client: Semphony, session: Session
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowFindabilityWarning)
        record, _ = _save_here(client, session, "distinct", 0.2, -0.1)
    stored = client.rois.retrieve("distinct")
    for level in stored.levels:
        assert level.findability is not None
        assert level.findability >= FINDABILITY_THRESHOLD
    assert [lv.findability for lv in stored.levels] == [lv.findability for lv in record.levels]


def test_a_bland_roi_warns_at_save_and_find_says_so_in_its_reason(
    client: Semphony, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every level counts as bland under an unreachable threshold; the plumbing is what is shown.
    monkeypatch.setattr(_findability, "FINDABILITY_THRESHOLD", 1e6)
    monkeypatch.setattr(_find, "_GRID_RINGS", 1)
    with pytest.warns(LowFindabilityWarning, match="level l0 has findability"):
        _save_here(client, session, "bland", -0.1, 0.2)
    client.simulator.reload(shift_x_um=4000.0, shift_y_um=-3500.0, rotation_deg=0.0)
    result = find_roi(session, "bland")
    assert result.found is False
    assert "saved with low findability (roi " in result.metrics["reason"]
