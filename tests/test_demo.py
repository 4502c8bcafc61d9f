"""`semphony demo`: the whole story on the embedded simulator, and its ground-truth arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semphony._demo import SUMMARY_FILE, _at_first_load_mm
from semphony._types import SimTruth
from semphony.cli import main

# What the simulator answered for `reload(shift_x_um=100, shift_y_um=0, rotation_deg=90)` and
# `truth(x_mm=1, y_mm=0)`: the point at (1, 0) mm at first load lies at (0.1, 1.0) mm now.
_TRUTH = SimTruth.from_dict(
    {
        "shift_x_um": 100.0,
        "shift_y_um": 0.0,
        "rotation_deg": 90.0,
        "centre_x_mm": 0.0,
        "centre_y_mm": 0.0,
        "specimen_kind": "texture",
        "seed": 1,
        "reloads": 1,
        "point_at_load": {"x_mm": 1.0, "y_mm": 0.0},
        "point_now": {"x_mm": 0.1, "y_mm": 1.0},
    }
)


def test_a_point_now_maps_back_to_where_it_lay_at_first_load() -> None:
    x_mm, y_mm = _at_first_load_mm(_TRUTH, 0.1, 1.0)
    assert x_mm == pytest.approx(1.0, abs=1e-12)
    assert y_mm == pytest.approx(0.0, abs=1e-12)


def test_a_tiny_demo_resolution_is_refused_as_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--out", str(tmp_path), "--resolution-px", "8"])
    assert code == 2
    assert "--resolution-px" in capsys.readouterr().err


def test_the_demo_finds_the_roi_after_a_remount_and_writes_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "story"
    code = main(["demo", "--out", str(out), "--seed", "3"])
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    names = {p.name for p in out.iterdir()}
    assert names == {
        "saved-roi-50um.tiff",
        "saved-l2-150um.tiff",
        "saved-l1-300um.tiff",
        "saved-l0-1500um.tiff",
        "found-roi.tiff",
        "find-report.png",
        SUMMARY_FILE,
    }
    assert (out / "find-report.png").read_bytes().startswith(b"\x89PNG")
    summary = json.loads((out / SUMMARY_FILE).read_text())
    assert summary["found"] is True
    # One ROI pixel at the default 256 px over 50 µm.
    assert summary["tolerance_um"] == pytest.approx(50 / 256)
    assert summary["error_um"] < summary["tolerance_um"]
    assert abs(summary["remount"]["rotation_deg"]) >= 1.0
    assert str(out.resolve()) in stdout
    assert f"{summary['error_um']:.3f} µm" in stdout
