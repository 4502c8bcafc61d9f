"""Electron optics and detectors of the simulated SEM: where pixels land, blur, noise, response.

Geometry (the conventions `device_info` publishes), from a pixel to the specimen:

1. raster: pixel (col, row) ↦ q = ((col − (W−1)/2)·p, −(row − (H−1)/2)·p) µm, so image +x is
   stage +x and image rows run along stage −y; p = FOV / W (square pixels);
2. scan rotation ρ turns the raster counter-clockwise seen from the beam, so the specimen appears
   turned clockwise by ρ; beam shift b moves the field in stage axes: d = R(ρ)·q + b;
3. tilt t (about stage x) foreshortens y: d' = (d_x, d_y / cos t);
4. the stage rotates the specimen counter-clockwise by r about the optical axis (compucentric: the
   point under the beam stays there), so the holder point is h = stage_xy + R(−r)·d';
5. the specimen was remounted (reload) by rotation θ about the holder centre c and shift s:
   specimen point u = c + R(−θ)·(h − c − s).

Blur: a probe of a few nm grows with beam current; away from focus the disc grows by the beam's
convergence angle times the defocus. Noise: detected electrons per pixel = dwell × current ×
efficiency × signal; shot noise is approximated as Gaussian with that Poisson variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.transform import resize

from semphony.server.drivers.sim.specimen import Contrast, Specimen, View

_F32 = NDArray[np.float32]

__all__ = [
    "CONTRASTS",
    "EFFICIENCY",
    "Geometry",
    "Response",
    "beam_to_specimen",
    "blur_um",
    "render_frame",
]

ELECTRONS_PER_NA_US = 6241.5
# A beam's half-angle of convergence at a short working distance (a few mrad); with it the depth
# of field (blur under one pixel p) is ±p / CONVERGENCE_RAD, e.g. ±40 µm at 0.2 µm pixels.
CONVERGENCE_RAD = 0.005
Z_AT_POLE_PIECE_MM = 55.5  # the specimen surface's working distance is this minus stage z

CONTRASTS = {
    "SE": Contrast(base=0.38, topo=0.25, material=0.22, edge=0.3),
    "BSE": Contrast(base=0.25, topo=0.07, material=0.5, edge=0.0),
}
EFFICIENCY = {"SE": 0.15, "BSE": 0.06}


@dataclass(frozen=True)
class Geometry:
    """Everything that decides where the beam lands: true stage, placement, scan settings."""

    stage_x_um: float
    stage_y_um: float
    r_deg: float
    t_deg: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    placement_shift_x_um: float = 0.0
    placement_shift_y_um: float = 0.0
    placement_rotation_deg: float = 0.0


@dataclass(frozen=True)
class Response:
    """Detector response: out = clip(gain·signal + offset, 0, 1) ** gamma."""

    gain: float = 1.0
    offset: float = 0.0
    gamma: float = 1.0


def _rot(deg: float) -> NDArray[np.float64]:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def beam_to_specimen(geom: Geometry, q_um: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map raster offsets q (µm, shape (..., 2), image axes with y up) to specimen coordinates."""
    d = q_um @ _rot(geom.scan_rotation_deg).T + np.array(
        [geom.beam_shift_x_um, geom.beam_shift_y_um]
    )
    d = d * np.array([1.0, 1.0 / math.cos(math.radians(geom.t_deg))])
    h = np.array([geom.stage_x_um, geom.stage_y_um]) + d @ _rot(-geom.r_deg).T
    s = np.array([geom.placement_shift_x_um, geom.placement_shift_y_um])
    u: NDArray[np.float64] = (h - s) @ _rot(-geom.placement_rotation_deg).T
    return u


def _view(geom: Geometry, shape: tuple[int, int], pixel_um: float, detail_um: float) -> View:
    rows, cols = shape
    q = np.array(
        [
            [-(cols - 1) / 2 * pixel_um, (rows - 1) / 2 * pixel_um],
            [(1 - (cols - 1) / 2) * pixel_um, (rows - 1) / 2 * pixel_um],
            [-(cols - 1) / 2 * pixel_um, ((rows - 1) / 2 - 1) * pixel_um],
        ]
    )
    u = beam_to_specimen(geom, q)
    c, r = u[1] - u[0], u[2] - u[0]
    return View(
        shape=shape,
        origin_um=(float(u[0, 0]), float(u[0, 1])),
        col_step_um=(float(c[0]), float(c[1])),
        row_step_um=(float(r[0]), float(r[1])),
        detail_um=detail_um,
    )


def blur_um(defocus_mm: float, beam_current_na: float, hv_kv: float) -> float:
    """The beam's blur (Gaussian sigma, µm) from probe size and defocus."""
    probe = 0.002 * math.sqrt(1.0 + beam_current_na) * math.sqrt(10.0 / hv_kv)
    disc = abs(defocus_mm) * 1000.0 * CONVERGENCE_RAD
    return math.hypot(probe, disc)


def render_frame(
    specimen: Specimen,
    geom: Geometry,
    *,
    mode: str,
    resolution: tuple[int, int],
    fov_um: float,
    blur_sigma_um: float,
    dwell_us: float,
    beam_current_na: float,
    response: Response,
    bit_depth: int,
    rng: np.random.Generator,
) -> NDArray[np.uint8] | NDArray[np.uint16]:
    """Render one frame: geometry, blur, shot noise, detector response, quantisation."""
    width, height = resolution
    pixel = fov_um / width
    contrast = CONTRASTS[mode]
    sigma_px = blur_sigma_um / pixel
    if sigma_px > 6.0:
        # A wide blur is rendered at a reduced resolution and upsampled: cost stays per pixel.
        m = int(sigma_px // 3)
        small = (-(-height // m), -(-width // m))
        g = _shifted(geom, pixel, m, resolution)
        signal = specimen.render(_view(g, small, pixel * m, pixel * m), contrast)
        signal = ndimage.gaussian_filter(signal, sigma_px / m, mode="nearest", truncate=3.0)
        big = resize(  # type: ignore[no-untyped-call]
            signal, (small[0] * m, small[1] * m), order=1, preserve_range=True
        )
        signal = np.asarray(big[:height, :width], dtype=np.float32)
    else:
        signal = specimen.render(_view(geom, (height, width), pixel, pixel), contrast)
        if sigma_px > 0.5:
            signal = ndimage.gaussian_filter(signal, sigma_px, mode="nearest", truncate=3.0)
    signal = np.ascontiguousarray(signal, dtype=np.float32)
    _detect(signal, electrons_per_unit=_electrons(mode, dwell_us, beam_current_na), rng=rng)
    return _respond(signal, response, bit_depth)


def _electrons(mode: str, dwell_us: float, beam_current_na: float) -> float:
    """Detected electrons per pixel for a signal of 1."""
    return dwell_us * beam_current_na * ELECTRONS_PER_NA_US * EFFICIENCY[mode]


def _detect(signal: _F32, *, electrons_per_unit: float, rng: np.random.Generator) -> None:
    """Add shot noise in place: Gaussian with the Poisson variance signal / electrons_per_unit."""
    np.maximum(signal, np.float32(0.0), out=signal)
    noise = rng.standard_normal(signal.shape, dtype=np.float32)
    sd = np.multiply(signal, np.float32(1.0 / electrons_per_unit))
    np.sqrt(sd, out=sd)
    noise *= sd
    signal += noise


def _respond(
    signal: _F32, response: Response, bit_depth: int
) -> NDArray[np.uint8] | NDArray[np.uint16]:
    """Detector response and quantisation: clip(gain·s + offset, 0, 1) ** gamma, rounded."""
    if response.gain != 1.0:
        signal *= np.float32(response.gain)
    if response.offset != 0.0:
        signal += np.float32(response.offset)
    np.clip(signal, np.float32(0.0), np.float32(1.0), out=signal)
    if response.gamma != 1.0:
        np.power(signal, np.float32(response.gamma), out=signal)
    full = 255.0 if bit_depth == 8 else 65535.0
    signal *= np.float32(full)
    signal += np.float32(0.5)
    if bit_depth == 8:
        return signal.astype(np.uint8)
    return signal.astype(np.uint16)


def _shifted(geom: Geometry, pixel: float, m: int, resolution: tuple[int, int]) -> Geometry:
    """Geometry whose reduced raster (m× pixels, rounded-up size) covers the same field."""
    width, height = resolution
    w_small, h_small = -(-width // m), -(-height // m)
    # The reduced raster's centre sits at full-pixel ((w_small·m − 1)/2, (h_small·m − 1)/2).
    dx = ((w_small * m - 1) / 2 - (width - 1) / 2) * pixel
    dy = -((h_small * m - 1) / 2 - (height - 1) / 2) * pixel
    shift = _rot(geom.scan_rotation_deg) @ np.array([dx, dy])
    return Geometry(
        stage_x_um=geom.stage_x_um,
        stage_y_um=geom.stage_y_um,
        r_deg=geom.r_deg,
        t_deg=geom.t_deg,
        scan_rotation_deg=geom.scan_rotation_deg,
        beam_shift_x_um=geom.beam_shift_x_um + float(shift[0]),
        beam_shift_y_um=geom.beam_shift_y_um + float(shift[1]),
        placement_shift_x_um=geom.placement_shift_x_um,
        placement_shift_y_um=geom.placement_shift_y_um,
        placement_rotation_deg=geom.placement_rotation_deg,
    )
