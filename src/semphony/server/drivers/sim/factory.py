"""Build a `SimDriver` from the server's settings (the registry's factory for ``--driver sim``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.axes import AxisConvention
from semphony.server.drivers.sim.driver import SimDriver

__all__ = ["from_settings", "read_specimen_image"]


def read_specimen_image(path: Path) -> NDArray[np.float64]:
    """A specimen image as a 2-D grey array (colour channels are averaged)."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        pixels = np.asarray(tifffile.imread(path), dtype=np.float64)
    else:
        from skimage import io

        pixels = np.asarray(io.imread(path), dtype=np.float64)
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=-1) if pixels.shape[-1] in (3, 4) else pixels[0]
    if pixels.ndim != 2:
        raise ValueError(f"specimen_path: {path} is not a 2-D image (shape {pixels.shape})")
    return pixels


def from_settings(settings: Any) -> SimDriver:
    """A simulator for the settings' seed, specimen (kind, or image and pixel size), realtime and
    axis convention."""
    path = getattr(settings, "specimen_path", None)
    image = read_specimen_image(Path(path)) if path is not None else None
    return SimDriver(
        seed=int(getattr(settings, "seed", 0)),
        specimen_kind=getattr(settings, "specimen_kind", None) or "texture",
        specimen_image=image,
        specimen_pixel_um=getattr(settings, "specimen_pixel_um", None),
        realtime=float(getattr(settings, "realtime", 0.0)),
        axes=AxisConvention(
            mirror_y=bool(getattr(settings, "sim_mirror_y", False)),
            scan_turn_deg=int(getattr(settings, "sim_scan_turn_deg", 0)),
        ),
    )
