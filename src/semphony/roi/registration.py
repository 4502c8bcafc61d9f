"""Image registration for ROI relocation: translation, rotation and a confidence that can be gated.

Conventions (pinned by tests):

- Images are 2-D arrays indexed ``[row, column]``; x is the column (increasing to the right), y the
  row (increasing downwards: row 0 is at the top, as displayed).
- ``offset_px = (dx, dy)``: a feature at reference pixel ``(x, y)`` appears in the moving image at
  ``(x + dx, y + dy)``, in pixels of the original (unbinned) images. If the specimen content moved
  5 px to the right between the reference and the moving image, ``offset_px == (5.0, 0.0)``; to
  lay the moving image over the reference, shift it by ``-offset_px``.
- ``rotation_deg = θ``: the moving image shows the reference content turned counter-clockwise by θ
  as displayed (row 0 at the top) about the image centre ``c = ((width - 1) / 2,
  (height - 1) / 2)``, which is what ``skimage.transform.rotate(reference, θ)`` does for a
  positive θ. With a rotation, a feature at reference pixel ``p`` appears at moving pixel
  ``c + R(θ)(p - c) + offset``, where ``R(θ) = [[cos θ, sin θ], [-sin θ, cos θ]]`` acts on
  ``(x, y)`` with y pointing down.

Both images must have the same shape and the same pixel size (the orchestration compares images of
the same field of view and resolution).

Method: block-average to about ``BINNED_SIZE_PX``, difference-of-Gaussians band-pass, a Tukey
window, then scikit-image's ``phase_cross_correlation`` with plain cross-correlation
(``normalization=None``) and ``disambiguate=True``; a second pass on the overlapping crops
removes the window's pull towards zero shift and gives the sub-pixel shift. The confidence
combines the correlation surface's peak-to-sidelobe ratio, the Pearson correlation of the
band-passed overlap, tile by tile, over the overlap; `semphony.roi._confidence` calibrates it
(``evidence`` against unrelated places, gated at ``EVIDENCE_GATE``; ``confidence`` a probability).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.filters import difference_of_gaussians, window
from skimage.measure import block_reduce
from skimage.registration import phase_cross_correlation
from skimage.transform import rotate

from semphony.roi._confidence import EVIDENCE_GATE, confidence, evidence

__all__ = [
    "BINNED_SIZE_PX",
    "EVIDENCE_GATE",
    "Registration",
    "register",
    "register_rotation",
    "residual_rotation_deg",
]

Array = NDArray[np.float64]

BINNED_SIZE_PX = 512
"""Images are block-averaged by an integer factor so that their longer side is about this size."""

_DOG_LOW_SIGMA_PX = 1.0
_DOG_HIGH_SIGMA_PX = 20.0
# The angle is refined on finer detail: with a 1/f specimen the 1-20 px band's energy sits in its
# low frequencies, which barely change with the angle (measured: errors up to 0.17° at 45 % shifts
# with 1-20 px, under 0.06° with 1-3 px, heavy noise included).
_DETAIL_HIGH_SIGMA_PX = 3.0
_UPSAMPLE_FACTOR = 20
_PSR_EXCLUSION_PX = 11
_MIN_BINNED_SIDE_PX = 32
# A Hann window leaves too little weight in the overlap of a shift of 45 % of the field (measured:
# it fails there); a Tukey window flat over its central 75 % still tames the wrap-around edges.
_WINDOW = ("tukey", 0.25)

# `residual_rotation_deg`: tiles whose correlation peak stands out this far are placed; the fit
# needs this many of the 3×3 and drops a tile that misses it by more than this (binned pixels).
_FIT_GRID = 3
_FIT_MIN_PSR = 8.0
_FIT_MIN_TILES = 5
_FIT_MAX_MISFIT_PX = 0.5
_FIT_MAX_TILE_SHIFT_PX = 3.0
_TILES = 4  # the overlap is cut into _TILES × _TILES tiles for the agreement figure
_MIN_TILES = 4


@dataclass(frozen=True)
class Registration:
    """Where the reference's content lies in the moving image, and how sure that is.

    Attributes:
        offset_px: ``(dx, dy)`` original pixels; reference pixel ``p`` appears at moving pixel
            ``p + offset_px`` (about the centre after the rotation, see the module docstring).
        rotation_deg: counter-clockwise as displayed, like ``skimage.transform.rotate``'s angle.
        confidence: the calibrated probability that the match is right, in [0, 1]; monotone in
            ``evidence`` at a given image size.
        evidence: PSR times the overlap's tile-by-tile agreement, in units of the highest figure
            unrelated places reach at this binned size (`semphony.roi._confidence`).
        psr: peak-to-sidelobe ratio of the cross-correlation surface (binned pixels).
        overlap_correlation: Pearson correlation of the band-passed overlap after alignment (with
            the contrast inversion undone when ``contrast_inverted``).
        overlap: the fraction of the reference's area that the moving image covers.
        passed: ``evidence >= EVIDENCE_GATE``.
        binning: the block-averaging factor used (original pixels per binned pixel).
        contrast_inverted: the best match correlates negatively (e.g. SE against BSE).
        at_search_edge: ``register_rotation`` only: the angle lies at the edge of the search range,
            so the true angle may lie beyond it.
    """

    offset_px: tuple[float, float]
    rotation_deg: float
    confidence: float
    psr: float
    overlap_correlation: float
    overlap: float
    passed: bool
    binning: int
    contrast_inverted: bool = False
    at_search_edge: bool = False
    evidence: float = 0.0


@dataclass(frozen=True)
class _Prepared:
    """Binned and band-passed images and what is needed to map binned shifts back."""

    reference: Array
    moving: Array
    binning: int
    # Binned grid centre minus the original image centre, in original pixels (x, y).
    centre_error_xy: tuple[float, float]


@dataclass(frozen=True)
class _Match:
    offset_yx: tuple[float, float]  # binned pixels
    psr: float
    correlation: float
    overlap: float
    inverted: bool
    score: float


def register(reference: Array, moving: Array, *, rotation_deg: float = 0.0) -> Registration:
    """Find the offset of ``moving`` against ``reference`` turned first by ``rotation_deg``."""
    if not math.isfinite(rotation_deg):
        raise ValueError(f"rotation_deg must be a finite number, got {rotation_deg!r}")
    prepared = _prepare(reference, moving)
    match = _match(prepared, rotation_deg)
    return _result(prepared, match, rotation_deg, at_search_edge=False)


def register_rotation(
    reference: Array,
    moving: Array,
    *,
    max_angle_deg: float = 20.0,
    coarse_step_deg: float = 2.0,
    tolerance_deg: float = 0.05,
    candidates: int = 1,
) -> Registration:
    """Search the angle in ±``max_angle_deg`` (coarse grid, then golden section), then the offset.

    With ``candidates`` > 1, the next highest peaks of the coarse grid are refined in turn while
    the result fails the confidence gate, and the one with the most evidence is returned (a sparse
    specimen's coarse grid can rank a wrong angle first).

    Angles are ranked by the correlation peak (its peak-to-sidelobe ratio on the grids, its
    normalised height in the golden section); the result is scored at the angle found exactly as
    ``register`` scores it. ``at_search_edge`` is set when that angle lies within
    ``2 * tolerance_deg`` of ±``max_angle_deg``.
    """
    _check_positive("max_angle_deg", max_angle_deg)
    _check_positive("coarse_step_deg", coarse_step_deg)
    _check_positive("tolerance_deg", tolerance_deg)
    if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
        raise ValueError(f"candidates must be an int >= 1, got {candidates!r}")
    if tolerance_deg >= coarse_step_deg:
        raise ValueError(
            f"tolerance_deg ({tolerance_deg}) must be smaller than "
            f"coarse_step_deg ({coarse_step_deg})"
        )
    prepared = _prepare(reference, moving)
    # Coarse grid on images binned twice more, ranked by the peak-to-sidelobe ratio alone (cheap);
    # then a grid a fifth as fine around the best, same score; then golden section at full binned
    # resolution on the normalised cross-correlation peak of finer detail (smooth in the angle);
    # the offset and confidence at the angle found come from the same `_match` as `register`'s.
    coarse_ref, coarse_mov = _halved(prepared.reference), _halved(prepared.moving)
    steps = max(1, math.ceil(max_angle_deg / coarse_step_deg))
    angles = np.linspace(-max_angle_deg, max_angle_deg, 2 * steps + 1)
    scores = np.array([_psr_at(coarse_ref, coarse_mov, float(a)) for a in angles])
    detail = _bandpass(_as_image("reference", reference), prepared.binning, _DETAIL_HIGH_SIGMA_PX)
    moving_detail = _bandpass(_as_image("moving", moving), prepared.binning, _DETAIL_HIGH_SIGMA_PX)
    moving_spectrum = np.fft.fft2(moving_detail * _window(moving_detail.shape))
    best: Registration | None = None
    for start in _peaks(scores, candidates):
        found = _refine_angle(
            prepared,
            (coarse_ref, coarse_mov),
            (detail, moving_spectrum),
            float(angles[start]),
            float(angles[1] - angles[0]),
            max_angle_deg,
            tolerance_deg,
        )
        if best is None or found.evidence > best.evidence:
            best = found
        if best.passed:
            break  # the strongest coarse peak that passes is kept: the others were weaker
    assert best is not None  # _peaks returns at least the highest
    return best


def _peaks(scores: Array, count: int) -> list[int]:
    """The indices of the ``count`` highest local maxima of ``scores``, highest first."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    chosen: list[int] = []
    for i in order:
        if len(chosen) == count:
            break
        left = scores[i - 1] if i > 0 else -math.inf
        right = scores[i + 1] if i + 1 < len(scores) else -math.inf
        if not chosen or (scores[i] >= left and scores[i] >= right):
            chosen.append(i)
    return chosen


def _refine_angle(
    prepared: _Prepared,
    coarse: tuple[Array, Array],
    detail: tuple[Array, NDArray[np.complex128]],
    start_deg: float,
    step_deg: float,
    max_angle_deg: float,
    tolerance_deg: float,
) -> Registration:
    """From a coarse grid angle: a grid a fifth as fine, then golden section, then the match."""
    coarse_ref, coarse_mov = coarse
    finer = np.clip(
        np.linspace(start_deg - step_deg, start_deg + step_deg, 11), -max_angle_deg, max_angle_deg
    )
    best = _best_angle(finer, lambda a: _psr_at(coarse_ref, coarse_mov, a))
    # The peak-to-sidelobe ratio is noisy in the angle (measured: the finer grid can miss by one
    # step), so the golden section brackets two steps either side.
    bracket = 2.0 * float(finer[1] - finer[0])
    reference_detail, moving_spectrum = detail
    angle = _golden_section_max(
        lambda a: _peak_correlation_at(reference_detail, moving_spectrum, a),
        max(best - bracket, -max_angle_deg),
        min(best + bracket, max_angle_deg),
        tolerance_deg,
    )
    match = _match(prepared, angle)
    at_edge = bool(max_angle_deg - abs(angle) <= 2 * tolerance_deg)
    return _result(prepared, match, angle, at_search_edge=at_edge)


def residual_rotation_deg(
    reference: Array, moving: Array, *, offset_px: tuple[float, float] = (0.0, 0.0)
) -> tuple[float, float] | None:
    """The small angle (same sense as ``Registration.rotation_deg``) still left between two images
    registered at ``offset_px`` and its standard error (both in degrees), fitted to the offsets of
    a 3×3 grid of half-size tiles; None when fewer than five tiles give a clear peak that fits one
    similarity transform.

    Tile offsets need no interpolation, unlike turning an image: a turned reference is blurred by
    bilinear interpolation, which raises its correlation with a noisy image by more than a tenth of
    a degree changes it (measured: the golden section then ran to its bracket's edge, ±0.097°).
    """
    ref = _as_image("reference", reference)
    mov = _as_image("moving", moving)
    if ref.shape != mov.shape:
        raise ValueError(f"moving must have the reference's shape {ref.shape}, got {mov.shape}")
    binning = _binning_for((ref.shape[0], ref.shape[1]))
    ref_bp, mov_bp = _bandpass(ref, binning), _bandpass(mov, binning)
    rows, cols = ref_bp.shape
    shift_x, shift_y = round(offset_px[0] / binning), round(offset_px[1] / binning)
    # The tiles cover the overlap: reference rows/columns whose content the moving image shows.
    y_lo, y_hi = max(0, -shift_y), min(rows, rows - shift_y)
    x_lo, x_hi = max(0, -shift_x), min(cols, cols - shift_x)
    tile_rows, tile_cols = (y_hi - y_lo) // 2, (x_hi - x_lo) // 2
    if min(tile_rows, tile_cols) < _MIN_BINNED_SIDE_PX:
        return None
    weights = _window((tile_rows, tile_cols))
    centres: list[tuple[float, float]] = []
    offsets: list[tuple[float, float]] = []
    for i in range(_FIT_GRID):
        for j in range(_FIT_GRID):
            top = y_lo + i * (y_hi - y_lo - tile_rows) // (_FIT_GRID - 1)
            left = x_lo + j * (x_hi - x_lo - tile_cols) // (_FIT_GRID - 1)
            m_top, m_left = top + shift_y, left + shift_x
            a = ref_bp[top : top + tile_rows, left : left + tile_cols]
            b = mov_bp[m_top : m_top + tile_rows, m_left : m_left + tile_cols]
            surface = _correlation_surface(a, b)
            peak = np.unravel_index(int(np.argmax(np.abs(surface))), surface.shape)
            sign = 1.0 if surface[peak] >= 0 else -1.0
            if _peak_to_sidelobe(sign * surface, (int(peak[0]), int(peak[1]))) < _FIT_MIN_PSR:
                continue  # too little in this tile to place it (a sparse specimen's empty patch)
            shift, _, _ = phase_cross_correlation(  # type: ignore[no-untyped-call]
                a * weights, sign * b * weights, upsample_factor=50, normalization=None
            )
            dy, dx = -float(shift[0]), -float(shift[1])
            if max(abs(dx), abs(dy)) > _FIT_MAX_TILE_SHIFT_PX:
                continue
            centres.append(
                (
                    left + (tile_cols - 1) / 2 - (cols - 1) / 2,
                    top + (tile_rows - 1) / 2 - (rows - 1) / 2,
                )
            )
            offsets.append((dx, dy))
    return _fit_angle_deg(np.asarray(centres), np.asarray(offsets))


def _fit_angle_deg(centres: Array, offsets: Array) -> tuple[float, float] | None:
    """θ of the small similarity dx = tx + s·x + θ·y, dy = ty + s·y − θ·x (outliers dropped) and
    its standard error, both in degrees."""
    keep = np.ones(len(centres), dtype=bool)
    for _ in range(3):
        if int(keep.sum()) < _FIT_MIN_TILES:
            return None
        x, y = centres[keep, 0], centres[keep, 1]
        ones, zeros = np.ones_like(x), np.zeros_like(x)
        design = np.concatenate(
            [np.stack([ones, zeros, x, y], axis=1), np.stack([zeros, ones, y, -x], axis=1)]
        )
        target = np.concatenate([offsets[keep, 0], offsets[keep, 1]])
        params, *_ = np.linalg.lstsq(design, target, rcond=None)
        misfit = np.hypot(*(design @ params - target).reshape(2, -1))
        bad = misfit > _FIT_MAX_MISFIT_PX
        if not bad.any():
            dof = max(1, len(target) - 4)
            variance = float(np.sum((design @ params - target) ** 2)) / dof
            error_deg = math.degrees(math.sqrt(variance * np.linalg.inv(design.T @ design)[3, 3]))
            return math.degrees(float(params[3])), error_deg
        indices = np.flatnonzero(keep)
        keep[indices[int(np.argmax(misfit))]] = False  # drop the worst tile, fit again
    return None


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _as_image(name: str, image: Array) -> Array:
    array = np.asarray(image)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D image, got an array of shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    as_float = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(as_float)):
        raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
    return as_float


def _binning_for(shape: tuple[int, int]) -> int:
    return max(1, round(max(shape) / BINNED_SIZE_PX))


def _prepare(reference: Array, moving: Array) -> _Prepared:
    ref = _as_image("reference", reference)
    mov = _as_image("moving", moving)
    if ref.shape != mov.shape:
        raise ValueError(
            f"moving must have the reference's shape {ref.shape} (same field of view and pixel "
            f"size), got {mov.shape}"
        )
    rows, cols = ref.shape
    binning = _binning_for((rows, cols))
    binned_rows, binned_cols = rows // binning, cols // binning
    if min(binned_rows, binned_cols) < _MIN_BINNED_SIDE_PX:
        raise ValueError(
            f"reference is too small to register: shape {ref.shape} bins to "
            f"{(binned_rows, binned_cols)}, and each side must be at least {_MIN_BINNED_SIDE_PX} px"
        )
    # The trailing rows/columns that do not fill a block are dropped, which moves the binned grid's
    # centre off the image centre; rotations are about the image centre, so remember by how much.
    error_x = (binning * binned_cols - cols) / 2.0
    error_y = (binning * binned_rows - rows) / 2.0
    moving_bp = _bandpass(mov, binning)
    return _Prepared(
        reference=_bandpass(ref, binning),
        moving=moving_bp,
        binning=binning,
        centre_error_xy=(error_x, error_y),
    )


def _bandpass(image: Array, binning: int, high_sigma_px: float = _DOG_HIGH_SIGMA_PX) -> Array:
    rows, cols = image.shape
    cropped = image[: rows - rows % binning, : cols - cols % binning]
    binned = cropped
    if binning > 1:
        binned = block_reduce(cropped, (binning, binning), np.mean)  # type: ignore[no-untyped-call]
    if np.ptp(binned) == 0:  # featureless: exactly zero, so that it matches nothing
        return np.zeros(binned.shape)
    filtered = difference_of_gaussians(  # type: ignore[no-untyped-call]
        binned, _DOG_LOW_SIGMA_PX, high_sigma_px
    )
    return np.asarray(filtered, dtype=np.float64)


def _rotated(image: Array, angle_deg: float) -> Array:
    """``image`` turned by ``angle_deg`` about its centre; the corners it empties are zero."""
    if angle_deg == 0.0:
        return image
    turned = rotate(  # type: ignore[no-untyped-call]
        image, angle_deg, order=1, mode="constant", cval=0.0, preserve_range=True
    )
    return np.asarray(turned, dtype=np.float64)


def _coverage(shape: tuple[int, int], angle_deg: float) -> NDArray[np.bool_]:
    """The pixels that an image turned by ``angle_deg`` still covers."""
    if angle_deg == 0.0:
        return np.ones(shape, dtype=bool)
    # The one-pixel seam that interpolation mixes with the empty corners counts as empty too.
    coverage = rotate(  # type: ignore[no-untyped-call]
        np.ones(shape), angle_deg, order=1, mode="constant", cval=0.0
    )
    return np.asarray(coverage > 0.999)


@functools.lru_cache(maxsize=8)
def _window(shape: tuple[int, int]) -> Array:
    # skimage builds n-D windows by warping a 1-D one, which costs more than an FFT: build it once.
    weights = np.asarray(window(_WINDOW, shape), dtype=np.float64)  # type: ignore[no-untyped-call]
    weights.flags.writeable = False
    return weights


def _match(prepared: _Prepared, angle_deg: float) -> _Match:
    reference = _rotated(prepared.reference, angle_deg)
    valid = _coverage(reference.shape, angle_deg)
    moving = prepared.moving
    weights = _window(reference.shape)
    ref_w = reference * weights
    mov_w = moving * weights
    if not (np.any(ref_w) and np.any(mov_w)):
        return _Match((0.0, 0.0), 0.0, 0.0, 0.0, inverted=False, score=0.0)
    surface = _correlation_surface(reference, moving)
    peak = np.unravel_index(int(np.argmax(np.abs(surface))), surface.shape)
    sign = 1.0 if surface[peak] >= 0 else -1.0
    psr = _peak_to_sidelobe(sign * surface, (int(peak[0]), int(peak[1])))
    # A negative peak is a contrast inversion: flip the moving image so that scikit-image's
    # disambiguation (which keeps the most positively correlated quadrant) sees a positive match.
    shift, _, _ = phase_cross_correlation(  # type: ignore[no-untyped-call]
        ref_w, sign * mov_w, upsample_factor=1, normalization=None, disambiguate=True
    )
    offset = -np.round(shift).astype(int)  # reference pixel p appears at moving pixel p + offset
    rows, cols = reference.shape
    ref_rows = slice(max(0, -offset[0]), min(rows, rows - offset[0]))
    ref_cols = slice(max(0, -offset[1]), min(cols, cols - offset[1]))
    mov_rows = slice(ref_rows.start + offset[0], ref_rows.stop + offset[0])
    mov_cols = slice(ref_cols.start + offset[1], ref_cols.stop + offset[1])
    ref_crop = reference[ref_rows, ref_cols]
    mov_crop = sign * moving[mov_rows, mov_cols]
    crop_valid = valid[ref_rows, ref_cols]
    residual = np.zeros(2)
    if min(ref_crop.shape) >= _MIN_BINNED_SIDE_PX:
        # Second pass on the overlapping crops: both windows now cover the same content, so the
        # window no longer pulls the peak towards zero shift (measured: 0.1-0.2 px → < 0.03 px).
        crop_weights = _window(ref_crop.shape)
        residual_shift, _, _ = phase_cross_correlation(  # type: ignore[no-untyped-call]
            ref_crop * crop_weights,
            mov_crop * crop_weights,
            upsample_factor=_UPSAMPLE_FACTOR,
            normalization=None,
        )
        residual = -np.asarray(residual_shift, dtype=np.float64)
        if np.max(np.abs(residual)) <= 1.0:
            mov_crop = ndimage.shift(mov_crop, -residual, order=1, mode="constant", cval=np.nan)
        else:  # a residual beyond a pixel means the crops did not agree; keep the integer answer
            residual = np.zeros(2)
    usable = crop_valid & np.isfinite(mov_crop)
    count = int(np.count_nonzero(usable))
    correlation = _pearson(ref_crop[usable], mov_crop[usable]) if count > 2 else 0.0
    overlap = count / reference.size
    offset_yx = (float(offset[0] + residual[0]), float(offset[1] + residual[1]))
    score = evidence(psr, _tile_agreement(ref_crop, mov_crop, usable), max(reference.shape))
    return _Match(offset_yx, psr, correlation, overlap, inverted=sign < 0, score=score)


def _halved(image: Array) -> Array:
    """``image`` block-averaged by two, unless that would make it too small."""
    if min(image.shape) < 4 * _MIN_BINNED_SIDE_PX:
        return image
    rows, cols = image.shape
    cropped = image[: rows - rows % 2, : cols - cols % 2]
    return np.asarray(block_reduce(cropped, (2, 2), np.mean))  # type: ignore[no-untyped-call]


def _best_angle(angles: Array, score: Callable[[float], float]) -> float:
    scores = [score(float(a)) for a in angles]
    return float(angles[int(np.argmax(scores))])


def _psr_at(reference: Array, moving: Array, angle_deg: float) -> float:
    """Peak-to-sidelobe ratio with the reference turned by ``angle_deg`` (either contrast sign)."""
    turned = _rotated(reference, angle_deg)
    surface = _correlation_surface(turned, moving)
    peak = np.unravel_index(int(np.argmax(np.abs(surface))), surface.shape)
    sign = 1.0 if surface[peak] >= 0 else -1.0
    return _peak_to_sidelobe(sign * surface, (int(peak[0]), int(peak[1])))


def _peak_correlation_at(
    reference: Array, moving_spectrum: NDArray[np.complex128], angle_deg: float
) -> float:
    """The normalised cross-correlation at the sub-pixel peak, reference turned by ``angle_deg``.

    ``moving_spectrum`` is the FFT of the windowed moving image (the same at every angle).
    """
    turned = _rotated(reference, angle_deg)
    if not (np.any(turned) and np.any(moving_spectrum)):
        return 0.0
    weights = _window(turned.shape)
    # With normalization=None, scikit-image's `error` is sqrt(1 - |peak|² / (|a|²·|b|²)).
    _, error, _ = phase_cross_correlation(  # type: ignore[no-untyped-call]
        np.fft.fft2(turned * weights),
        moving_spectrum,
        upsample_factor=_UPSAMPLE_FACTOR,
        space="fourier",
        normalization=None,
    )
    return 1.0 - float(error) ** 2


def _correlation_surface(reference: Array, moving: Array) -> Array:
    """Circular cross-correlation of the windowed images; its peak is at scikit-image's shift."""
    weights = _window(reference.shape)
    spectrum = np.fft.rfft2(reference * weights) * np.conj(np.fft.rfft2(moving * weights))
    return np.asarray(np.fft.irfft2(spectrum, s=reference.shape), dtype=np.float64)


def _peak_to_sidelobe(surface: Array, peak: tuple[int, int]) -> float:
    rows, cols = surface.shape
    centred = np.roll(surface, (rows // 2 - peak[0], cols // 2 - peak[1]), axis=(0, 1))
    half = _PSR_EXCLUSION_PX // 2
    sidelobe = np.ones(surface.shape, dtype=bool)
    sidelobe[rows // 2 - half : rows // 2 + half + 1, cols // 2 - half : cols // 2 + half + 1] = (
        False
    )
    outside = centred[sidelobe]
    spread = float(outside.std())
    if spread == 0.0:
        return 0.0
    return (float(centred[rows // 2, cols // 2]) - float(outside.mean())) / spread


def _pearson(a: Array, b: Array) -> float:
    a = a - a.mean()
    b = b - b.mean()
    norm = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b)) / norm if norm > 0 else 0.0


def _tile_agreement(reference: Array, moving: Array, usable: NDArray[np.bool_]) -> float:
    """The median over a grid of tiles of the overlap of r·sqrt(n), r each tile's correlation.

    A true match agrees everywhere in the overlap; an unrelated place can still correlate as a
    whole when one bright particle lands on another (measured on the simulator's sparse specimen:
    whole-overlap r·sqrt(n) up to 101 against unrelated places, tile median under 8).
    """
    rows, cols = reference.shape
    values: list[float] = []
    for i in range(_TILES):
        for j in range(_TILES):
            tile = (
                slice(i * rows // _TILES, (i + 1) * rows // _TILES),
                slice(j * cols // _TILES, (j + 1) * cols // _TILES),
            )
            mask = usable[tile]
            count = int(np.count_nonzero(mask))
            if count < max(3, mask.size // 2):
                continue  # mostly outside the overlap (a rotated corner)
            r = _pearson(reference[tile][mask], moving[tile][mask])
            values.append(r * math.sqrt(count))
    if len(values) < _MIN_TILES:
        return 0.0
    return float(np.median(values))


def _golden_section_max(
    score: Callable[[float], float], low: float, high: float, tolerance: float
) -> float:
    """The argument in [low, high] that maximises a unimodal ``score``, to within ``tolerance``."""
    inverse_phi = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = low, high
    c = b - inverse_phi * (b - a)
    d = a + inverse_phi * (b - a)
    score_c, score_d = score(c), score(d)
    while b - a > tolerance:
        if score_c >= score_d:
            b, d, score_d = d, c, score_c
            c = b - inverse_phi * (b - a)
            score_c = score(c)
        else:
            a, c, score_c = c, d, score_d
            d = a + inverse_phi * (b - a)
            score_d = score(d)
    return float(a + b) / 2.0


def _result(
    prepared: _Prepared, match: _Match, angle_deg: float, *, at_search_edge: bool
) -> Registration:
    binning = prepared.binning
    theta = math.radians(angle_deg)
    cos, sin = math.cos(theta), math.sin(theta)
    error_x, error_y = prepared.centre_error_xy
    # Rotations turned about the binned grid's centre c'; re-express about the image centre c:
    # offset = binning * binned_offset + (I - R)(c' - c).
    rotated_x = cos * error_x + sin * error_y
    rotated_y = -sin * error_x + cos * error_y
    dx = binning * match.offset_yx[1] + (error_x - rotated_x)
    dy = binning * match.offset_yx[0] + (error_y - rotated_y)
    binned_side = max(prepared.reference.shape)
    return Registration(
        offset_px=(dx, dy),
        rotation_deg=angle_deg,
        confidence=confidence(match.score, binned_side),
        psr=match.psr,
        overlap_correlation=match.correlation,
        overlap=match.overlap,
        passed=match.score >= EVIDENCE_GATE,
        binning=binning,
        contrast_inverted=match.inverted,
        at_search_edge=at_search_edge,
        evidence=match.score,
    )
