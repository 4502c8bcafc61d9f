"""Resampling a specimen-aligned grid onto a view's pixels (bilinear, separable when it can be)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.transform import AffineTransform, warp

__all__ = ["View", "sample"]

_F32 = NDArray[np.float32]


@dataclass(frozen=True)
class View:
    """A pixel grid in specimen coordinates: (col, row) ↦ origin + col·col_step + row·row_step.

    `detail_um` is the finest structure worth rendering (the pixel size, or the blur if larger).
    """

    shape: tuple[int, int]  # (rows, cols)
    origin_um: tuple[float, float]
    col_step_um: tuple[float, float]
    row_step_um: tuple[float, float]
    detail_um: float

    def corners_um(self) -> NDArray[np.float64]:
        rows, cols = self.shape
        o = np.array(self.origin_um)
        c = np.array(self.col_step_um)
        r = np.array(self.row_step_um)
        return np.array(
            [o, o + (cols - 1) * c, o + (rows - 1) * r, o + (cols - 1) * c + (rows - 1) * r]
        )


# A cross term smaller than this (in grid cells over the whole frame) is the rounding residue of an
# unrotated view, far below float32 resolution of the interpolation weights.
_AXIS_ALIGNED_CELLS = 1e-6


def sample(
    grid: _F32, view: View, grid_origin_um: tuple[float, float], spacing_um: float, cval: float
) -> _F32:
    """Bilinear resampling of a specimen-aligned grid (rows = +y) onto the view's pixels.

    Outside the grid the value is `cval`, blended over the last cell as a constant border would
    be. An axis-aligned view (no net rotation, or a quarter turn) is separable: one interpolation
    along the grid's columns and one along its rows, each a gather and a lerp.
    """
    ox, oy = grid_origin_um
    cx, cy = view.col_step_um
    rx, ry = view.row_step_um
    px, py = view.origin_um
    rows, cols = view.shape
    s = spacing_um
    col = np.arange(cols, dtype=np.float64)
    row = np.arange(rows, dtype=np.float64)
    if abs(rx) * rows / s < _AXIS_ALIGNED_CELLS and abs(cy) * cols / s < _AXIS_ALIGNED_CELLS:
        # Grid x follows the image columns, grid y the image rows.
        return _sample_separable(grid, (px - ox + col * cx) / s, (py - oy + row * ry) / s, cval)
    if abs(cx) * cols / s < _AXIS_ALIGNED_CELLS and abs(ry) * rows / s < _AXIS_ALIGNED_CELLS:
        # A quarter turn: grid x follows the image rows, grid y the image columns.
        turned = _sample_separable(grid, (px - ox + row * rx) / s, (py - oy + col * cy) / s, cval)
        return np.ascontiguousarray(turned.T)
    # warp's inverse map takes output (col, row) to input (col = x index, row = y index).
    matrix = np.array(
        [
            [cx / s, rx / s, (px - ox) / s],
            [cy / s, ry / s, (py - oy) / s],
            [0.0, 0.0, 1.0],
        ]
    )
    out = warp(  # type: ignore[no-untyped-call]
        grid,
        AffineTransform(matrix=matrix),  # type: ignore[no-untyped-call]
        output_shape=view.shape,
        order=1,
        mode="constant",
        cval=cval,
        preserve_range=True,
    )
    return np.asarray(out, dtype=np.float32)


def _lerp_axis(n: int, coord: NDArray[np.float64]) -> tuple[NDArray[np.intp], _F32]:
    """Left neighbour index and weight of the right one, for coordinates already within 0..n-1."""
    left = np.clip(np.floor(coord), 0, n - 2).astype(np.intp)
    return left, (coord - left).astype(np.float32)


def _sample_separable(
    grid: _F32, x: NDArray[np.float64], y: NDArray[np.float64], cval: float
) -> _F32:
    """out[r, c] = bilinear value of `grid` at (row y[r], column x[c]), `cval` outside."""
    n_rows, n_cols = grid.shape
    if x.min() < 0 or x.max() > n_cols - 1 or y.min() < 0 or y.max() > n_rows - 1:
        # A border of cval gives the constant-mode blend over the edge cell; beyond it, clamping
        # onto the border gives cval itself.
        grid = np.pad(grid, 1, mode="constant", constant_values=np.float32(cval))
        n_rows, n_cols = grid.shape
        x = np.clip(x + 1.0, 0.0, n_cols - 1.0)
        y = np.clip(y + 1.0, 0.0, n_rows - 1.0)
    i0, wx = _lerp_axis(n_cols, x)
    j0, wy = _lerp_axis(n_rows, y)
    # Only the grid rows the view touches take part in the first pass.
    top = int(j0.min())
    band = grid[top : int(j0.max()) + 2]
    j0 -= top
    # Pass 1, along x: the band at every output column.
    along = band.take(i0, axis=1)
    step = band.take(i0 + 1, axis=1)
    step -= along
    step *= wx
    along += step
    rise = np.subtract(along[1:], along[:-1], out=step[:-1])
    # Pass 2, along y: every output row from its two band rows.
    out = along.take(j0, axis=0)
    lift = rise.take(j0, axis=0)
    lift *= wy[:, None]
    out += lift
    return out
