"""Specimens of the simulated SEM: procedural (texture, periodic, sparse) or loaded from an image.

A specimen is a function of specimen coordinates (µm, x right, y up, fixed to the specimen) that
`render` samples on any pixel grid: a `View` maps pixel (column, row) affinely to specimen
coordinates, so any FOV, resolution, rotation or shift costs the same per pixel.

The procedural specimens are a sum of octaves of hashed lattice noise, one octave per lattice
spacing 10 nm · 2^k (k = 0..20, i.e. 10 nm to 10 mm). Each lattice value is a hash of (seed, octave,
integer lattice index), so the specimen is deterministic for the seed and never repeats. Rendering
is a Laplacian-pyramid synthesis: the coarsest octave is evaluated on a tiny grid, upsampled by
cubic B-spline subdivision (which makes the octave smooth), the next octave's values are added, and
so on down to the octave just coarser than a pixel; finer octaves would average out inside a pixel
and are left out. Only the lattice points covering the view are ever computed, so the cost is about
constant per pixel whatever the scale. One bilinear resampling then maps the specimen-aligned grid
onto the pixel grid: two separable passes (a gather and a lerp each) when the view is axis-aligned,
`skimage.transform.warp` when it is rotated. The synthesis runs in float32, in place, with both
channels stacked so each level is one set of array operations.

Two channels are synthesised: topography ``T`` (1/f noise: equal amplitude per octave) and material
``P`` (sparse lattice spikes, i.e. particles at every scale, thresholded into a 0..1 mask ``M``).
A detector's `Contrast` mixes them: signal = base + topo·T + material·M + edge·4·M·(1 − M), the last
term being the bright rim SE images show at particle edges.
"""

from __future__ import annotations

import abc
import hashlib
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.sim.sampling import View, sample

__all__ = [
    "SPECIMEN_KINDS",
    "Contrast",
    "ImageSpecimen",
    "ProceduralSpecimen",
    "Specimen",
    "View",
    "make_specimen",
]

SpecimenKind = Literal["texture", "periodic", "sparse"]
SPECIMEN_KINDS: tuple[str, ...] = ("texture", "periodic", "sparse")

_F32 = NDArray[np.float32]
_BASE_SPACING_UM = 0.01  # octave 0: 10 nm
_TOP_OCTAVE = 20  # 10 nm · 2^20 ≈ 10.5 mm
_U32 = np.uint32


@dataclass(frozen=True)
class Contrast:
    """How a detector mixes the specimen channels into a signal (about 0..1)."""

    base: float
    topo: float
    material: float
    edge: float


class Specimen(abc.ABC):
    """Something the beam can image."""

    kind: str

    @abc.abstractmethod
    def render(self, view: View, contrast: Contrast) -> _F32:
        """Sample the detector signal on the view's pixel grid (float32, rows × cols)."""

    @abc.abstractmethod
    def identity(self) -> dict[str, object]:
        """A JSON-able description that identifies this specimen (kind, seed or image digest)."""


# ------------------------------------------------------------------------------ hashed lattices


def _mix(x: NDArray[np.uint32], scratch: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """A 32-bit integer finaliser (lowbias32), in place: every input bit affects every output bit.

    `scratch` (same shape) takes the shifted copies, so no temporary is allocated.
    """
    for shift, factor in ((16, 0x7FEB352D), (15, 0x846CA68B)):
        np.right_shift(x, _U32(shift), out=scratch)
        np.bitwise_xor(x, scratch, out=x)
        np.multiply(x, _U32(factor), out=x)
    np.right_shift(x, _U32(16), out=scratch)
    np.bitwise_xor(x, scratch, out=x)
    return x


def _mix_1d(x: NDArray[np.uint32]) -> NDArray[np.uint32]:
    return _mix(x, np.empty_like(x))


def _lattice_hash(salt: int, i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.uint32]:
    """Hash of (salt, i, j) on the grid j (rows) × i (columns), as uint32."""
    s = _U32(salt & 0xFFFFFFFF)
    a = _mix_1d((i & 0xFFFFFFFF).astype(np.uint32) * _U32(0x9E3779B1) ^ s)
    b = _mix_1d((j & 0xFFFFFFFF).astype(np.uint32) * _U32(0x85EBCA77) + s)
    b *= _U32(0xC2B2AE3D)
    h = np.bitwise_xor(a[None, :], b[:, None])
    return _mix(h, np.empty_like(h))


def _salt(seed: int, octave: int, channel: int) -> int:
    return (seed * 0x27D4EB2F + octave * 0x165667B1 + channel * 0x9E3779B9) & 0xFFFFFFFF


def _unit(h: NDArray[np.uint32], out: _F32 | None = None) -> _F32:
    """Map hash bits to floats uniform in [-1, 1) (exact in float32: 24 bits scaled by 2^-23)."""
    bits = np.right_shift(h, _U32(8))
    out = np.multiply(bits, np.float32(2.0 / 2**24), out=out, dtype=np.float32)
    out -= np.float32(1.0)
    return out


def _subdivide(c: _F32, axis: int) -> _F32:
    """One cubic B-spline subdivision step along `axis`: n samples become 2n - 3.

    Coarse samples a..b give fine samples 2a+1 .. 2b-1 (odd fine = midpoint average, even fine =
    (1, 6, 1)/8 smoothing), so every fine value depends only on global lattice indices.
    """
    n = c.shape[axis]
    shape = list(c.shape)
    shape[axis] = 2 * n - 3
    out = np.empty(shape, np.float32)

    def cut(a: NDArray[np.float32], part: slice) -> NDArray[np.float32]:
        index: list[slice] = [slice(None)] * a.ndim
        index[axis] = part
        return a[tuple(index)]

    # Same float32 operations in the same order as (c[:-1] + c[1:]) · 0.5 and
    # (6·c[1:-1] + c[:-2] + c[2:]) · 0.125, written in place.
    mid = cut(out, slice(0, None, 2))
    np.add(cut(c, slice(None, -1)), cut(c, slice(1, None)), out=mid)
    mid *= np.float32(0.5)
    even = cut(out, slice(1, None, 2))
    np.multiply(cut(c, slice(1, -1)), np.float32(6.0), out=even)
    even += cut(c, slice(None, -2))
    even += cut(c, slice(2, None))
    even *= np.float32(0.125)
    return out


def _coarse_range(lo: int, hi: int) -> tuple[int, int]:
    """Coarse indices needed to subdivide into fine indices lo..hi."""
    return (lo - 1) // 2, -((-(hi + 1)) // 2)


def _smoothstep(x: _F32) -> _F32:
    """Hermite smoothstep of x clipped to 0..1, in place (x is consumed)."""
    np.clip(x, np.float32(0.0), np.float32(1.0), out=x)
    ramp = np.multiply(x, np.float32(-2.0))
    ramp += np.float32(3.0)
    x *= x
    x *= ramp
    return x


@dataclass(frozen=True)
class _Recipe:
    """Per-kind amplitudes: topography per octave, particle density and particle height."""

    topo_amp: float
    particle_density: float
    lattice: bool


_RECIPES: dict[str, _Recipe] = {
    "texture": _Recipe(topo_amp=0.55, particle_density=0.02, lattice=False),
    "periodic": _Recipe(topo_amp=0.18, particle_density=0.002, lattice=True),
    "sparse": _Recipe(topo_amp=0.08, particle_density=0.003, lattice=False),
}

# The periodic specimen: round dots on a square lattice (2 µm pitch) with ~5 % defective sites
# (4 % missing, 1 % oversized), inside a grid of darker streets every 128 µm.
_PITCH_UM = 2.0
_DOT_SIGMA_UM = 0.42
_MISSING = 0.04
_BRIGHT = 0.01
_STREET_PITCH_UM = 128.0
_STREET_HALF_WIDTH_UM = 3.0


class ProceduralSpecimen(Specimen):
    """A procedural specimen with detail from 10 nm to 10 mm, deterministic for `seed`."""

    def __init__(self, kind: str = "texture", seed: int = 0) -> None:
        if kind not in _RECIPES:
            raise ValueError(f"specimen kind {kind!r} is not one of {list(SPECIMEN_KINDS)}")
        self.kind = kind
        self.seed = int(seed)
        self._recipe = _RECIPES[kind]

    def identity(self) -> dict[str, object]:
        return {"kind": self.kind, "seed": self.seed}

    def render(self, view: View, contrast: Contrast) -> _F32:
        corners = view.corners_um()
        lo = corners.min(axis=0)
        hi = corners.max(axis=0)
        ratio = view.detail_um / _BASE_SPACING_UM
        finest = max(0, min(_TOP_OCTAVE - 1, math.ceil(math.log2(ratio))))
        spacing = _BASE_SPACING_UM * 2.0**finest
        # One lattice point of margin beyond the footprint so bilinear sampling stays inside.
        i_range = (math.floor(lo[0] / spacing) - 1, math.ceil(hi[0] / spacing) + 1)
        j_range = (math.floor(lo[1] / spacing) - 1, math.ceil(hi[1] / spacing) + 1)
        ranges = [(i_range, j_range)]
        for _ in range(finest, _TOP_OCTAVE):
            (ia, ib), (ja, jb) = ranges[-1]
            ranges.append((_coarse_range(ia, ib), _coarse_range(ja, jb)))
        # Everything but the finest octave is mixed into the signal one level up, on a grid a
        # quarter the size: particles, their rims and the lattice are smooth at that scale.
        channels = self._synthesise(finest + 1, ranges[1:])
        topo, parts = channels[0], channels[1]  # views into a fresh array: safe to edit in place
        (ia, ib), (ja, jb) = ranges[1]
        coarse = 2 * spacing
        xs = np.arange(ia, ib + 1, dtype=np.float64) * coarse
        ys = np.arange(ja, jb + 1, dtype=np.float64) * coarse
        parts -= np.float32(0.16)
        parts *= np.float32(12.0)
        mask = _smoothstep(parts)
        if self._recipe.lattice:
            topo, mask = self._add_lattice(topo, mask, xs, ys, coarse)
        # signal = base + topo·T + material·M + edge·4·M·(1 − M), evaluated in place.
        signal = topo
        signal *= np.float32(contrast.topo)
        signal += np.float32(contrast.base)
        scratch = np.multiply(mask, np.float32(contrast.material))
        signal += scratch
        if contrast.edge:
            np.multiply(mask, np.float32(4.0 * contrast.edge), out=scratch)
            np.subtract(np.float32(1.0), mask, out=mask)
            scratch *= mask
            signal += scratch
        del scratch, mask
        i = np.arange(i_range[0], i_range[1] + 1, dtype=np.int64)
        j = np.arange(j_range[0], j_range[1] + 1, dtype=np.int64)
        noise = _unit(_lattice_hash(_salt(self.seed, finest, 1), i, j))
        noise *= np.float32(contrast.topo * self._recipe.topo_amp)
        signal = _refine(signal, (ia, ja), i_range, j_range)
        signal += noise
        del noise
        origin = (i_range[0] * spacing, j_range[0] * spacing)
        return sample(signal, view, origin, spacing, cval=contrast.base)

    def _synthesise(
        self, finest: int, ranges: list[tuple[tuple[int, int], tuple[int, int]]]
    ) -> _F32:
        """Sum the octaves from the top down to `finest`; `ranges[k]` covers octave finest + k.

        Returns the channels stacked as (topography, particles) × rows × cols, so that each level's
        subdivision is one set of array operations for both.
        """
        recipe = self._recipe
        stack: _F32 | None = None
        threshold = _U32(int(recipe.particle_density * 65536))
        amp = np.float32(recipe.topo_amp)
        for level in range(_TOP_OCTAVE, finest - 1, -1):
            (ia, ib), (ja, jb) = ranges[level - finest]
            i = np.arange(ia, ib + 1, dtype=np.int64)
            j = np.arange(ja, jb + 1, dtype=np.int64)
            h = _lattice_hash(_salt(self.seed, level, 1), i, j)
            octave = np.empty((2, *h.shape), np.float32)
            noise = _unit(h, out=octave[0])
            noise *= amp
            # The low 16 bits below the density threshold mark a particle; high bits its height.
            spikes = np.multiply(
                np.right_shift(h, _U32(24)), np.float32(1 / 640), out=octave[1], dtype=np.float32
            )
            spikes += np.float32(0.6)
            h &= _U32(0xFFFF)
            np.copyto(spikes, np.float32(0.0), where=h >= threshold)
            if stack is None:
                stack = octave
                continue
            (pia, _), (pja, _) = ranges[level - finest + 1]
            stack = _refine(stack, (pia, pja), (ia, ib), (ja, jb))
            stack += octave
        assert stack is not None
        return stack

    def _add_lattice(
        self,
        topo: _F32,
        mask: _F32,
        xs: NDArray[np.float64],
        ys: NDArray[np.float64],
        spacing: float,
    ) -> tuple[_F32, _F32]:
        """Add the dot lattice (with defects) and the streets, faded out where unresolved."""
        site_x = np.rint(xs / _PITCH_UM).astype(np.int64)
        site_y = np.rint(ys / _PITCH_UM).astype(np.int64)
        gx = np.exp(-(((xs - site_x * _PITCH_UM) / _DOT_SIGMA_UM) ** 2) / 2).astype(np.float32)
        gy = np.exp(-(((ys - site_y * _PITCH_UM) / _DOT_SIGMA_UM) ** 2) / 2).astype(np.float32)
        ux = np.unique(site_x)
        uy = np.unique(site_y)
        u = _unit(_lattice_hash(_salt(self.seed, 99, 2), ux, uy)) * 0.5 + 0.5
        defect = np.where(u < _MISSING, 0.0, np.where(u < _MISSING + _BRIGHT, 1.6, 1.0))
        defect = defect.astype(np.float32)
        d = defect.take(np.searchsorted(uy, site_y), axis=0).take(
            np.searchsorted(ux, site_x), axis=1
        )
        dots = _smoothstep((gy[:, None] * gx[None, :] - np.float32(0.5)) * np.float32(5.0)) * d
        # Average coverage of a dot lattice, used where the pixels are too coarse to resolve it.
        mean = np.float32(0.5 * math.pi * (1.1 * _DOT_SIGMA_UM) ** 2 / _PITCH_UM**2)
        fade = np.float32(np.clip((_PITCH_UM / spacing - 3.0) / 3.0, 0.0, 1.0))
        mask = mask + mean + (dots - mean) * fade
        sx = self._street(xs, spacing)
        sy = self._street(ys, spacing)
        streets = np.maximum(sy[:, None], sx[None, :]).astype(np.float32, copy=False)
        return topo - np.float32(0.6) * streets, mask

    @staticmethod
    def _street(coord: NDArray[np.float64], spacing: float) -> _F32:
        """1 inside a street, 0 outside; blurred to its mean when thinner than a sample."""
        offset = np.abs(coord - np.rint(coord / _STREET_PITCH_UM) * _STREET_PITCH_UM)
        soft = max(spacing, 0.2)
        inside = np.clip((_STREET_HALF_WIDTH_UM - offset) / soft + 0.5, 0.0, 1.0)
        if spacing > _STREET_HALF_WIDTH_UM:
            inside = np.full_like(inside, 2 * _STREET_HALF_WIDTH_UM / _STREET_PITCH_UM)
        return inside.astype(np.float32)


def _refine(
    coarse: _F32,
    coarse_start: tuple[int, int],
    i_range: tuple[int, int],
    j_range: tuple[int, int],
) -> _F32:
    """Subdivide `coarse` (last two axes: rows j, columns i; first index (i, j) = coarse_start) and
    crop to the fine ranges; the result is a view into a fresh array."""
    ci, cj = coarse_start
    fine = _subdivide(_subdivide(coarse, coarse.ndim - 2), coarse.ndim - 1)
    r0 = j_range[0] - (2 * cj + 1)
    c0 = i_range[0] - (2 * ci + 1)
    return fine[..., r0 : r0 + j_range[1] - j_range[0] + 1, c0 : c0 + i_range[1] - i_range[0] + 1]


class ImageSpecimen(Specimen):
    """A specimen image centred on the stage origin at `pixel_um` per pixel (rows = −y)."""

    kind = "image"

    def __init__(self, image: NDArray[np.generic], pixel_um: float) -> None:
        if image.ndim != 2 or min(image.shape) < 2:
            raise ValueError("the specimen image must be a 2-D array of at least 2×2 pixels")
        if not (math.isfinite(pixel_um) and pixel_um > 0):
            raise ValueError(f"specimen_pixel_um={pixel_um!r} must be a positive number")
        data = np.asarray(image, dtype=np.float64)
        lo, hi = float(data.min()), float(data.max())
        norm = ((data - lo) / (hi - lo) if hi > lo else np.zeros_like(data)) * 2 - 1
        # Flip rows so that row index grows with +y; keep a mip pyramid against aliasing.
        level = np.ascontiguousarray(norm[::-1], dtype=np.float32)
        self._levels = [level]
        while min(level.shape) >= 4:
            h, w = (level.shape[0] // 2) * 2, (level.shape[1] // 2) * 2
            v = level[:h, :w]
            level = (v[0::2, 0::2] + v[1::2, 0::2] + v[0::2, 1::2] + v[1::2, 1::2]) * np.float32(
                0.25
            )
            self._levels.append(level)
        self.pixel_um = float(pixel_um)
        self.shape = image.shape
        self.sha256 = hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()

    def identity(self) -> dict[str, object]:
        return {
            "kind": "image",
            "sha256": self.sha256,
            "shape": list(self.shape),
            "pixel_um": self.pixel_um,
        }

    def render(self, view: View, contrast: Contrast) -> _F32:
        lvl = int(
            np.clip(
                math.floor(math.log2(max(view.detail_um / self.pixel_um, 1.0))),
                0,
                len(self._levels) - 1,
            )
        )
        grid = self._levels[lvl]
        spacing = self.pixel_um * 2**lvl
        rows, cols = grid.shape
        # Sample centres: pixel (0, 0) of level `lvl` sits at the image's lower-left corner.
        ox = -self.shape[1] * self.pixel_um / 2 + spacing / 2
        oy = -self.shape[0] * self.pixel_um / 2 + spacing / 2
        topo = sample(grid, view, (ox, oy), spacing, cval=-1.0)
        del rows, cols
        signal = (
            np.float32(contrast.base) + np.float32(contrast.topo + 0.5 * contrast.material) * topo
        )
        return signal.astype(np.float32)


def make_specimen(
    kind: str = "texture",
    seed: int = 0,
    image: NDArray[np.generic] | None = None,
    pixel_um: float | None = None,
) -> Specimen:
    """Build the specimen the driver's constructor asks for."""
    if image is not None:
        if pixel_um is None:
            raise ValueError("a specimen image needs specimen_pixel_um")
        return ImageSpecimen(image, pixel_um)
    return ProceduralSpecimen(kind, seed)
