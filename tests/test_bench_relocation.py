"""The relocation benchmark: its statistics are right, its plan has what the targets need, and a
small batch of it runs end to end on the embedded simulator (no timings are asserted)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks._reloc_cases import CORE, REAL, synthetic_cases
from benchmarks._reloc_real import FINDABLE_DETAIL, IMAGES, load
from benchmarks._reloc_reliability import ece, label
from benchmarks._reloc_reliability import rows as reliability_rows
from benchmarks._reloc_run import worker
from benchmarks._reloc_stats import percentile, wilson, wilson_upper
from benchmarks._reloc_table import COLUMNS, rows
from benchmarks.confidence_fit import binned_side, fit
from benchmarks.relocation import plan, tasks


def test_wilson_matches_the_closed_form_and_known_values() -> None:
    # 19 of 21 (the issue's core figure): the textbook Wilson interval is 0.711-0.973.
    low, high = wilson(19, 21)
    assert low == pytest.approx(0.7109, abs=5e-4)
    assert high == pytest.approx(0.9735, abs=5e-4)
    # 300 of 300 found: the lower bound is n/(n + z²), just under 98.7 %.
    low, high = wilson(300, 300)
    assert high == 1.0
    assert low == pytest.approx(300 / (300 + 1.959964**2), rel=1e-6)
    # 0 bad accepts of 300: the upper bound is z²/(n + z²), near the rule of three (3/n).
    assert wilson_upper(0, 300) == pytest.approx(1.959964**2 / (300 + 1.959964**2), rel=1e-6)
    assert 0.9 * 3 / 300 < wilson_upper(0, 300) < 1.5 * 3 / 300
    assert wilson(0, 0) == (0.0, 1.0)
    # The interval holds the observed rate and narrows as the cases grow.
    for k, n in [(1, 10), (50, 60), (95, 100)]:
        lo, hi = wilson(k, n)
        assert lo < k / n < hi
        lo4, hi4 = wilson(4 * k, 4 * n)
        assert hi4 - lo4 < hi - lo
    with pytest.raises(ValueError, match="successes"):
        wilson(5, 4)


def test_percentile_interpolates_like_numpy() -> None:
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    assert percentile(values, 50) == pytest.approx(3.5)
    assert percentile(values, 95) == pytest.approx(9.0 - 0.35 * 3.0)
    assert math.isnan(percentile([], 50))


def test_the_full_plan_has_the_counts_the_targets_need() -> None:
    cases = synthetic_cases(quick=False)
    core = [c for c in cases if c.regime == CORE]
    assert len(core) >= 300
    assert {c.resolution for c in core} == {256, 512, 1024}
    assert min(sum(c.resolution == r for c in core) for r in (256, 512, 1024)) >= 100
    assert sum(c.absent for c in cases) == 100
    for regime in ("hard geometry", "heavy noise", "off the overview", "sparse specimen"):
        assert sum(c.regime == regime for c in cases) >= 60
    assert len({c.index for c in cases}) == len(cases)
    assert synthetic_cases(quick=False) == cases  # seeded


def test_real_images_are_shipped_and_placed_as_the_issue_says() -> None:
    cases = [c for c in plan(quick=True) if c.regime == REAL]
    assert cases
    for name in IMAGES:
        assert load(name).ndim == 2  # no download: the file is in the package
    for c in cases:
        roi_um, l0_um = c.levels_um[0], c.levels_um[-1]
        assert 25.0 <= roi_um <= 50.0  # at 1 µm per source pixel: 25-50 source pixels
        assert abs(c.rotation_deg) <= 10.0
        assert 0.0 <= c.offset <= 0.45
        image = load(c.specimen[len("image:") :])
        assert l0_um <= min(image.shape)  # L0 fits on the image
        assert c.findability >= 0.0
    assert 0 < FINDABLE_DETAIL < 1


def test_a_small_batch_runs_and_tabulates() -> None:
    cases = plan(quick=True)
    texture = next(t for t in tasks(cases) if t[0] == "texture")
    small = [c for c in texture[4] if c.resolution == 256 and not c.absent][:1]
    real = next(t for t in tasks(cases) if t[0].startswith("image:"))
    outcomes = worker((*texture[:4], small)) + worker((*real[:4], real[4][:1]))
    assert all("crashed" not in o for o in outcomes), outcomes
    assert all(o["acquisitions"] >= 1 and o["instrument_s"] > 0 for o in outcomes)
    table = rows(outcomes)
    assert all(len(row) == len(COLUMNS) for row in table)
    names = [row[0] for row in table]
    assert CORE in names
    # The core case sits in one of the two focus rows, as its outcome says.
    refocused = bool(outcomes[0]["autofocus_acquisitions"])
    focus_row = f"{CORE} {'refocused' if refocused else 'in focus'} after the remount"
    assert focus_row in names
    assert isinstance(outcomes[0]["height_um"], float)
    assert "every case" in names
    every = table[-1]
    assert every[1] == 2  # both cases counted


def _entry(x_mm: float, y_mm: float, shift_um: tuple[float, float], **extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "level": "L0",
        "fov_um": 1500.0,
        "pixel_um": 1500.0 / 256,
        "confidence": 0.5,
        "evidence": 1.0,
        "pose": {"x_mm": x_mm, "y_mm": y_mm, "r_deg": 0.0, "t_deg": 0.0},
        "scan_rotation_deg": 0.0,
        "beam_shift_um": [0.0, 0.0],
        "shift_x_um": shift_um[0],
        "shift_y_um": shift_um[1],
        **extra,
    }


def test_a_candidate_is_right_where_pose_beam_shift_and_shift_point_at_the_truth() -> None:
    truth = (1.0, -2.0)
    history = [
        _entry(0.9, -2.0, (100.0, 0.0)),  # exactly there
        _entry(0.9, -2.0, (160.0, 0.0)),  # 60 µm off: within 5 % of a 1500 µm field
        _entry(0.9, -2.0, (400.0, 0.0)),  # 300 µm off: a wrong place
        # The beam shift counts, turned into stage axes by the stage rotation (90° here: the
        # column's +x is the stage's -y).
        _entry(
            1.0,
            -2.0,
            (0.0, 50.0),
            beam_shift_um=[50.0, 0.0],
            pose={"x_mm": 1.0, "y_mm": -2.0, "r_deg": 90.0, "t_deg": 0.0},
        ),
    ]
    labelled = label(history, truth, 256)
    assert [c[1] for c in labelled] == [True, True, False, True]
    assert labelled[0][5] == 256  # the image side, from the FOV and the pixel size
    # With no ROI to find, every candidate is wrong.
    assert not any(c[1] for c in label(history, None, 256))


def test_the_calibration_error_is_zero_when_confidence_matches_the_fraction_right() -> None:
    calibrated = [(0.25, i < 1, 256, "L0", 1.0, 256) for i in range(4)]
    calibrated += [(0.95, i < 19, 256, "L0", 9.0, 256) for i in range(20)]
    assert ece(calibrated) == pytest.approx(0.0, abs=1e-12)
    overconfident = [(0.95, i < 10, 256, "L0", 9.0, 256) for i in range(20)]
    assert ece(overconfident) == pytest.approx(0.45)
    table = reliability_rows(calibrated + overconfident)
    assert [row[1] for row in table[:2]] == [4, 40]
    assert table[-1][0] == "ECE, every candidate"
    assert math.isnan(ece([]))


def test_the_platt_fit_recovers_a_known_logistic() -> None:
    rng = np.random.default_rng(5)
    evidence = np.exp(rng.uniform(-3.0, 3.0, 4000))
    truth = 1.0 / (1.0 + np.exp(-(2.0 * np.log(evidence) - 1.0)))
    right = rng.random(4000) < truth
    a, b = fit(list(evidence), list(right))
    assert a == pytest.approx(2.0, rel=0.15)
    assert b == pytest.approx(-1.0, abs=0.2)
    assert binned_side(1024) == 512
    assert binned_side(256) == 256
    assert binned_side(128) == 128
