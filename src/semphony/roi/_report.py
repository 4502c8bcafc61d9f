"""The report of `find_roi` (PNG, PDF or SVG): first the coarsest level before any correction
(its reference beside the first image taken), then per level the reference, the last image and
their overlay. Every image carries a scale bar in µm, every overlay a legend of its colours, and
the title's final residual is the figure the command line prints (same value, same digits)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from numpy.typing import NDArray

from semphony.models import FindRoiResult, RoiLevel
from semphony.roi.registration import Registration

__all__ = [
    "REPORT_FORMATS",
    "LevelImages",
    "check_report_path",
    "overlay",
    "report_figure",
    "residual_text",
    "write_report",
]

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
    first_image: Array | None = None  # the level's first image: before any correction

    def __setattr__(self, name: str, value: object) -> None:
        # The search only ever replaces `image`; the first one it sets is kept for the report.
        if name == "image" and value is not None and getattr(self, "first_image", None) is None:
            object.__setattr__(self, "first_image", value)
        object.__setattr__(self, name, value)


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


_LEGEND = (
    Patch(color=(1.0, 0.0, 1.0), label="reference"),
    Patch(color=(0.0, 1.0, 0.0), label="image"),
    Patch(color=(0.6, 0.6, 0.6), label="both (aligned)"),
)


def _nice_length_um(fov_um: float) -> float:
    """A 1, 2 or 5 × 10^k length near a fifth of the field."""
    target = fov_um / 5.0
    power = 10.0 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target))


def _scale_bar(ax: Axes, fov_um: float, width_px: int) -> None:
    if fov_um <= 0 or width_px <= 0:
        return
    length_um = _nice_length_um(fov_um)
    bar = AnchoredSizeBar(
        ax.transData,
        length_um / fov_um * width_px,
        f"{length_um:g} µm",
        "lower right",
        pad=0.3,
        color="yellow",
        frameon=False,
        size_vertical=max(1.0, width_px / 100.0),
        fontproperties={"size": 8},
    )
    ax.add_artist(bar)


def _image(ax: Axes, image: Array, fov_um: float, title: str, *, rgb: bool = False) -> None:
    if rgb:
        ax.imshow(image)
    else:
        ax.imshow(image, cmap="gray")
    _scale_bar(ax, fov_um, image.shape[1])
    ax.set_title(title, fontsize=9)


def _overlay(ax: Axes, reference: Array, image: Array, fov_um: float, title: str) -> None:
    if image.shape != reference.shape:
        ax.set_title(title, fontsize=9)
        return
    _image(ax, overlay(reference, image), fov_um, title, rgb=True)
    ax.legend(handles=list(_LEGEND), loc="upper right", fontsize=7, framealpha=0.6)


def residual_text(result: FindRoiResult) -> str:
    """The final residual as the command line prints it (µm, three decimals)."""
    residual = result.metrics.get("final_residual_um")
    return f"{residual:.3f} µm" if isinstance(residual, int | float) else "n/a"


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


def report_figure(name: str, panels: Sequence[LevelImages], result: FindRoiResult) -> Figure:
    """The report as a matplotlib figure (see `write_report`)."""
    before = panels[0] if panels and panels[0].first_image is not None else None
    rows = max(1, len(panels)) + (1 if before is not None else 0)
    figure = Figure(figsize=(10.5, 3.6 * rows + 0.8), layout="constrained")
    FigureCanvasAgg(figure)
    verdict = "found" if result.found else "NOT found"
    reason = result.metrics.get("reason")
    figure.suptitle(
        f"find_roi({name!r}): {verdict}; final residual {residual_text(result)}; "
        f"{result.metrics.get('acquisitions')} acquisitions, "
        f"{result.metrics.get('stage_moves')} stage moves" + (f"\n{reason}" if reason else ""),
        fontsize=10,
    )
    axes = figure.subplots(rows, 3, squeeze=False)
    if before is not None and before.first_image is not None:
        left, middle, right = axes[0]
        _image(left, before.reference, before.fov_um, f"{before.level} reference")
        _image(
            middle,
            before.first_image,
            before.fov_um,
            f"{before.level} first image: before correction",
        )
        _overlay(right, before.reference, before.first_image, before.fov_um, "before correction")
    for row, panel in enumerate(panels, start=1 if before is not None else 0):
        left, middle, right = axes[row]
        _image(
            left, panel.reference, panel.fov_um, f"{panel.level} reference, FOV {panel.fov_um:g} µm"
        )
        if panel.image is not None:
            _image(
                middle,
                panel.image,
                panel.fov_um,
                f"{panel.level} last image (iteration {panel.iterations})",
            )
            _overlay(right, panel.reference, panel.image, panel.fov_um, _caption(panel))
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    if not panels:
        axes[0][0].set_title("no level was imaged", fontsize=9)
    return figure


def write_report(
    path: Path, name: str, panels: Sequence[LevelImages], result: FindRoiResult
) -> Path:
    """Write the report to `path` in the format its suffix names (see `check_report_path`)."""
    figure = report_figure(name, panels, result)
    figure.savefig(path, format=REPORT_FORMATS[path.suffix.lower()], dpi=80)
    return path
