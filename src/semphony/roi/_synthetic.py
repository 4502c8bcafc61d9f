"""Deterministic synthetic specimens and imaging degradations for registration tests and benchmarks.

A specimen is a large 2-D array (1/f texture with particles); ``field`` renders a view of it at a
given centre and rotation, and ``degrade`` applies what changes between a save and a find: intensity
remapping (contrast, gamma, an SE↔BSE-like partial inversion), defocus blur and shot noise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.transform import AffineTransform, warp

__all__ = ["IntensityMap", "degrade", "field", "specimen"]

Array = NDArray[np.float64]
IntensityMap = Literal["identity", "gamma", "contrast", "se_to_bse", "inverted"]


def specimen(size_px: int, *, seed: int, particles: int | None = None) -> Array:
    """A square 1/f texture with bright particles, in [0, 1], the same for the same seed."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(size_px)[:, None]
    fx = np.fft.rfftfreq(size_px)[None, :]
    radius = np.hypot(fy, fx)
    radius[0, 0] = 1.0
    # Amplitude ∝ 1/f (power ∝ 1/f²): the spectrum of natural scenes, detail at every scale.
    spectrum = (rng.normal(size=radius.shape) + 1j * rng.normal(size=radius.shape)) / radius
    spectrum[0, 0] = 0.0
    texture = np.fft.irfft2(spectrum, s=(size_px, size_px))
    texture = (texture - texture.mean()) / texture.std()
    count = particles if particles is not None else size_px * size_px // 2000
    discs = np.zeros((size_px, size_px))
    ys, xs = rng.integers(0, size_px, size=(2, count))
    radii = rng.uniform(1.5, 12.0, size=count)
    heights = rng.uniform(0.5, 1.5, size=count)
    yy, xx = np.ogrid[-13:14, -13:14]
    for y, x, r, h in zip(ys, xs, radii, heights, strict=True):
        disc = np.clip(r + 0.5 - np.hypot(yy, xx), 0.0, 1.0) * h
        y0, x0 = y - 13, x - 13
        ty0, tx0 = max(y0, 0), max(x0, 0)
        ty1, tx1 = min(y0 + 27, size_px), min(x0 + 27, size_px)
        discs[ty0:ty1, tx0:tx1] = np.maximum(
            discs[ty0:ty1, tx0:tx1], disc[ty0 - y0 : ty1 - y0, tx0 - x0 : tx1 - x0]
        )
    image = 0.35 * texture + 2.5 * discs
    low, high = np.percentile(image, [0.5, 99.5])
    return np.asarray(np.clip((image - low) / (high - low), 0.0, 1.0), dtype=np.float64)


def field(
    source: Array,
    *,
    centre_xy: tuple[float, float],
    shape: tuple[int, int],
    rotation_deg: float = 0.0,
) -> Array:
    """The view of ``source`` centred at ``centre_xy`` (source pixels), turned by ``rotation_deg``.

    The specimen appears rotated counter-clockwise by ``rotation_deg`` as displayed (row 0 at the
    top), about the field's centre, like skimage.transform.rotate with a positive angle.
    """
    rows, cols = shape
    centre = np.array([(cols - 1) / 2.0, (rows - 1) / 2.0])
    # Output pixel q samples the source at centre_xy + R⁻¹(q − centre); with y pointing down a
    # displayed counter-clockwise turn by θ is R = [[cos θ, sin θ], [−sin θ, cos θ]] in (x, y).
    theta = np.deg2rad(rotation_deg)
    inverse = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    matrix = np.eye(3)
    matrix[:2, :2] = inverse
    matrix[:2, 2] = np.asarray(centre_xy) - inverse @ centre
    transform = AffineTransform(matrix=matrix)  # type: ignore[no-untyped-call]
    out = warp(  # type: ignore[no-untyped-call]
        source, transform, output_shape=shape, order=3, mode="reflect"
    )
    return np.asarray(out, dtype=np.float64)


def degrade(
    image: Array,
    *,
    rng: np.random.Generator,
    intensity: IntensityMap = "identity",
    blur_px: float = 0.0,
    dose: float | None = None,
    read_noise: float = 0.0,
) -> Array:
    """Remap intensities, blur (defocus), add shot noise: ``dose`` e⁻ per unit signal."""
    out = np.clip(image, 0.0, 1.0)
    if intensity == "gamma":
        out = out**2.2
    elif intensity == "contrast":
        out = 0.2 + 0.3 * out
    elif intensity == "se_to_bse":
        # Partly inverted, non-monotone: the darkest ~15 % of the specimen turns bright, the rest is
        # compressed like a gamma of 0.6 (a different detector sees a different contrast).
        out = np.abs(out - 0.12) ** 0.6
    elif intensity == "inverted":
        out = 1.0 - out
    if blur_px > 0:
        out = ndimage.gaussian_filter(out, blur_px)
    if dose is not None:
        out = rng.poisson(np.clip(out, 0.0, None) * dose) / dose
    if read_noise > 0:
        out = out + rng.normal(scale=read_noise, size=out.shape)
    return np.asarray(out, dtype=np.float64)
