"""Axis conventions: how an instrument's image sits on its stage, for simulated instruments.

The simulator renders an image S whose columns run along stage +x and whose rows (top to bottom)
run along stage −y. An instrument with another convention shows E = mirror(turn(S)):

- ``scan_turn_deg`` k·90 (0, 90, 180, 270): ``turn(S) = numpy.rot90(S, k)``, the picture turned
  counter-clockwise as displayed (row 0 at the top). For 90° and 270° the simulator renders the
  transposed size (E's width × height is S's height × width) over a field whose width is E's
  height (`AxisConvention.sim_size`), so E's pixels stay square with pixel size FOV / E's width;
- ``mirror_y``: ``numpy.flipud``: image rows run the other way along the stage.

`conventions()` spells out where image +x and image +y (down the rows) point on the stage. The
SharkSEM emulator and the ``sim`` driver both use this module, so a test can start either with a
non-default convention and check that calibration (`semphony calibrate`) measures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["TURNS_DEG", "AxisConvention", "conventions", "transform"]

TURNS_DEG = (0, 90, 180, 270)
Pixels = NDArray[Any]


def transform(sim_image: Pixels, mirror_y: bool, turn_deg: int) -> Pixels:
    """E = mirror(turn(S)) as the module docstring defines it."""
    image = np.rot90(sim_image, turn_deg // 90)
    if mirror_y:
        image = np.flipud(image)
    return np.ascontiguousarray(image)


def conventions(mirror_y: bool, turn_deg: int) -> dict[str, str]:
    """Where image +x (columns, left to right) and image +y (rows, top to bottom) point."""
    # Label each pixel of a 3×3 simulator image with its (row, column), transform it, and read
    # which simulator step the emulated image's right and down neighbours of the centre are.
    e = transform(np.arange(9, dtype=np.uint8).reshape(3, 3), mirror_y, turn_deg)
    names = {(0, 1): "stage +x", (0, -1): "stage -x", (1, 0): "stage -y", (-1, 0): "stage +y"}

    def direction(value: int) -> str:
        row, col = divmod(value, 3)
        return names[(row - 1, col - 1)]

    return {
        "image_x": direction(int(e[1, 2])),
        "image_y": direction(int(e[2, 1])),
        "mirror_y": str(mirror_y).lower(),
        "scan_turn_deg": str(turn_deg),
    }


@dataclass(frozen=True)
class AxisConvention:
    """A simulated instrument's image convention; the default is the simulator's own."""

    mirror_y: bool = False
    scan_turn_deg: int = 0

    def __post_init__(self) -> None:
        if self.scan_turn_deg not in TURNS_DEG:
            raise ValueError(f"scan_turn_deg={self.scan_turn_deg!r} must be 0, 90, 180 or 270")

    @property
    def is_default(self) -> bool:
        return not self.mirror_y and self.scan_turn_deg == 0

    @property
    def turned(self) -> bool:
        """True when the simulator renders the transposed size (a quarter turn)."""
        return self.scan_turn_deg in (90, 270)

    def sim_size(self, width: int, height: int, fov_um: float) -> tuple[int, int, float]:
        """The simulator's width, height and FOV for an image of `width` × `height` at `fov_um`."""
        if not self.turned:
            return width, height, fov_um
        return height, width, fov_um * height / width

    def apply(self, sim_image: Pixels) -> Pixels:
        """The instrument's image of the simulator's `sim_image`."""
        if self.is_default:
            return sim_image
        return transform(sim_image, self.mirror_y, self.scan_turn_deg)

    def conventions(self) -> dict[str, str]:
        """Where image +x and +y point on the stage (see `conventions`)."""
        return conventions(self.mirror_y, self.scan_turn_deg)
