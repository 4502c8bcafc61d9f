"""The find_roi report a microscopist reads: the coarsest level before correction, a scale bar
on every image, a legend naming the overlay's colours, and the command line's final residual."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from semphony.models import FindRoiResult
from semphony.roi._report import LevelImages, report_figure, residual_text, write_report
from semphony.roi.registration import register


def _panels() -> list[LevelImages]:
    rng = np.random.default_rng(3)
    reference = rng.random((64, 64))
    l0 = LevelImages("l0", 1000.0, reference)
    l0.image = np.roll(reference, 5, axis=1)  # the first image: before correction
    l0.image = reference  # the last: corrected
    l0.registration, l0.pixel_um, l0.iterations = register(reference, reference), 1000 / 64, 2
    return [l0, LevelImages("roi", 50.0, reference)]  # a level never imaged keeps its row


def _bars(ax: object) -> list[str]:
    return [a.txt_label.get_text() for a in ax.artists if isinstance(a, AnchoredSizeBar)]  # type: ignore[attr-defined]


def test_the_report_shows_before_correction_scale_bars_legends_and_the_cli_residual() -> None:
    panels = _panels()
    first, last = panels[0].first_image, panels[0].image
    assert first is not None
    assert last is not None
    assert not np.array_equal(first, last)  # the first image is kept, not the last
    result = FindRoiResult(found=True, metrics={"final_residual_um": 0.01234, "acquisitions": 7})
    figure = report_figure("site", panels, result)
    axes = figure.axes
    assert len(axes) == 9  # a before-correction row, then one row per level
    assert "before correction" in axes[1].get_title()
    shown = axes[1].get_images()[0].get_array()
    assert shown is not None
    assert np.array_equal(np.asarray(shown), first)
    # A scale bar on every image shown: 200 µm on the 1000 µm L0 field, 10 µm on the 50 µm ROI.
    assert _bars(axes[0]) == ["200 µm"]
    assert _bars(axes[3]) == ["200 µm"]
    assert _bars(axes[6]) == ["10 µm"]
    # The overlays say which colour is the reference.
    for overlay_ax in (axes[2], axes[5]):
        legend = overlay_ax.get_legend()
        assert legend is not None
        assert next(t.get_text() for t in legend.get_texts()) == "reference"
    # One final-error figure, as the command line prints it.
    assert residual_text(result) == "0.012 µm"
    assert "final residual 0.012 µm" in figure.get_suptitle()


def test_a_report_without_a_residual_says_so_and_still_writes(tmp_path: Path) -> None:
    result = FindRoiResult(found=False, metrics={"reason": "test", "final_residual_um": None})
    assert residual_text(result) == "n/a"
    path = write_report(
        tmp_path / "r.svg", "unit", [LevelImages("roi", 50.0, np.ones((8, 8)))], result
    )
    assert "final residual n/a" in path.read_text()
