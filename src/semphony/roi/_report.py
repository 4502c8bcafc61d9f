"""The report of `find_roi` (PNG, PDF or SVG): per level, the reference, the last image and
their overlay."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from semphony.models import FindRoiResult, RoiLevel
from semphony.roi.registration import Registration

__all__ = ["REPORT_FORMATS", "LevelImages", "check_report_path", "overlay", "write_report"]

Array = NDArray[np.float64]

REPORT_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
"""The report formats, by the suffix of the report's file name."""


@dataclass
class LevelImages:
    """What the report shows for one level: reference, last image and its registration."""

    level: RoiLevel
    fov_um: float
    reference: Array
    image: Array | None = None
    registration: Registration | None = None
    pixel_um: float = 0.0
    iterations: int = 0


def check_report_path(path: str | os.PathLike[str], option: str) -> Path:
    """`path` if a report can be written there: its suffix names a format (png, pdf, svg) and
    its folder exists; otherwise a `ValueError` naming `option`, before anything is imaged."""
    target = Path(path)
    if target.suffix.lower() not in REPORT_FORMATS:
        raise ValueError(
            f"{option}: {str(target)!r} must end in .png, .pdf or .svg (the report's format "
            f"follows the suffix), not {target.suffix or 'no suffix'!r}"
        )
    if not target.parent.is_dir():
        raise ValueError(f"{option}: the folder {target.parent} does not exist")
    return target


def _normalised(image: Array) -> Array:
    """Stretch to [0, 1] between the 1st and 99th percentiles (robust to hot pixels)."""
    low, high = np.percentile(image, [1.0, 99.0])
    if high <= low:
        return np.zeros_like(image, dtype=np.float64)
    return np.asarray(np.clip((image - low) / (high - low), 0.0, 1.0), dtype=np.float64)


def overlay(reference: Array, image: Array) -> Array:
    """An RGB overlay: the reference in magenta, the image in green; aligned detail turns grey."""
    if reference.shape != image.shape:
        raise ValueError(
            f"overlay needs images of one shape, got {reference.shape} and {image.shape}"
        )
    ref = _normalised(reference)
    img = _normalised(image)
    return np.stack([ref, img, ref], axis=-1)


def _caption(panel: LevelImages) -> str:
    reg = panel.registration
    if reg is None:
        return "no image"
    dx, dy = reg.offset_px
    shift_um = float(np.hypot(dx, dy)) * panel.pixel_um
    return (
        f"shift {shift_um:.3f} µm ({dx:+.2f}, {dy:+.2f} px)\n"
        f"angle {reg.rotation_deg:+.2f}°  confidence {reg.confidence:.3f}"
    )


def write_report(
    path: Path, name: str, panels: Sequence[LevelImages], result: FindRoiResult
) -> Path:
    """Write the report to `path` in the format its suffix names (see `check_report_path`)."""
    rows = max(1, len(panels))
    figure = Figure(figsize=(10.5, 3.6 * rows + 0.8), layout="constrained")
    FigureCanvasAgg(figure)
    verdict = "found" if result.found else "NOT found"
    residual = result.metrics.get("final_residual_um")
    residual_text = f"{residual:.3f} µm" if isinstance(residual, float) else "n/a"
    reason = result.metrics.get("reason")
    figure.suptitle(
        f"find_roi({name!r}): {verdict}; final residual {residual_text}; "
        f"{result.metrics.get('acquisitions')} acquisitions, "
        f"{result.metrics.get('stage_moves')} stage moves" + (f"\n{reason}" if reason else ""),
        fontsize=10,
    )
    axes = figure.subplots(rows, 3, squeeze=False)
    for row, panel in enumerate(panels):
        left, middle, right = axes[row]
        left.imshow(panel.reference, cmap="gray")
        left.set_title(f"{panel.level} reference, FOV {panel.fov_um:g} µm", fontsize=9)
        if panel.image is not None:
            middle.imshow(panel.image, cmap="gray")
            middle.set_title(f"{panel.level} last image (iteration {panel.iterations})", fontsize=9)
            if panel.image.shape == panel.reference.shape:
                right.imshow(overlay(panel.reference, panel.image))
            right.set_title(_caption(panel), fontsize=9)
        for ax in (left, middle, right):
            ax.set_xticks([])
            ax.set_yticks([])
    if not panels:
        axes[0][0].set_title("no level was imaged", fontsize=9)
    figure.savefig(path, format=REPORT_FORMATS[path.suffix.lower()], dpi=80)
    return path
