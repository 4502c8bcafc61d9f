"""`find_roi`: relocate a saved ROI, coarse to fine, and finish on it with beam shift.

The search, level by level from the coarsest saved level (L0) to the finest (the ROI):

1. start at the saved pose (or the current one), beam shift zeroed, scan rotation as saved;
2. at L0, search the angle too (`register_rotation`); make the image upright with scan rotation
   (or stage rotation, if the device has no scan rotation) so finer levels match without turning;
   if the match fails the confidence gate, search a 3×3 then a 5×5 grid of fields at half-FOV
   spacing, screened at a quarter of the pixels (a candidate is imaged again in full and judged
   by the gate), and give up with ``found=False`` if none passes; after a move of over a quarter
   of the field the angle is searched once more, on the now centred field;
3. at each level, move by the measured offset and re-image until the offset is under
   max(1.5 px, stage repeatability), the iterations run out, or the offset or confidence gets
   worse; a small move (under a tenth of the field) is verified by the next, finer level instead;
   each finer level's first image also measures the residual angle (up to 1°) from the offsets
   of tiles across its field, and the scan rotation takes it up;
4. at the finest level, take up the last residual with beam shift (within its limits), image
   once more and report the residual that image shows; a match is accepted only if that image is
   also upright within 0.1° of its reference (else turned once more and verified, or refused).

Before L0 and before the finest level an image is checked for focus against its reference (a
remount changes the height): at L0 by its sharpness, at the finest level by its blur beyond the
reference's once registered; when sharp enough, it serves as that level's first image.

Every stage move goes through the session's guardrails, split into steps the relative limits
allow, and arrives travelling in +x and +y so backlash always lands the same way.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from skimage.measure import block_reduce
from skimage.transform import resize

from semphony._exceptions import SemphonyGuardrailException
from semphony._records import RoiLevelRecord, RoiRecord
from semphony.models import AcquisitionConfig, AcquisitionResult, FindRoiResult
from semphony.roi._angle import ACCEPT_ANGLE_DEG, MAX_RESIDUAL_DEG, AngleEstimate
from semphony.roi._axes import axes_from_device
from semphony.roi._findability import refusal_note
from semphony.roi._focus import BLUR_REFOCUS_PX2, blur_excess_px2, needs_refocus, sharpness
from semphony.roi._plan import Frame, grid_offsets, plan_rotation, plan_xy
from semphony.roi._progress import FindProgress, ProgressOption
from semphony.roi._report import LevelImages, check_report_path, write_report
from semphony.roi.registration import (
    EVIDENCE_GATE,
    Registration,
    register,
    register_rotation,
    residual_rotation_deg,
)

if TYPE_CHECKING:
    from semphony.roi._port import RoiSession

__all__ = ["LevelImages", "find_roi"]

Array = NDArray[np.float64]
Start = Literal["saved", "current"]

# Detector fields that go together: overriding one drops the saved others (BSE is not channel 0).
_DETECTOR_FIELDS = ("mode", "detector_mode", "detector_channel")
_ROTATION_SEARCH_DEG = 20.0
_ROTATION_SEARCH_SIDE_PX = 256  # the angle is searched on images binned to about this size
_ROTATION_TOLERANCE_DEG = 0.05
_ANGLE_CANDIDATES = 3  # coarse angle peaks refined in turn at L0 until one passes the gate
_SCREEN_TOLERANCE_DEG = 0.5  # grid fields are screened coarsely; a match is then refined
_SCREEN_SIDE_PX = 128  # grid fields are imaged at this resolution: a quarter of the cost
# A screened field whose evidence reaches this is imaged at full resolution and judged by the
# gate: under a third of the gate, because a quarter of the pixels gives a true match less.
_SCREEN_EVIDENCE = 0.43
_MIN_ROTATION_DEG = 0.02  # smaller angles are left alone: below what L0 can measure
_RE_IMAGE_FRACTION = 0.1  # a move beyond this fraction of the FOV is checked at the same level
_GRID_RINGS = 2
# Finer levels refine the angle L0 found (see `_angle`); smaller corrections are not applied.
_REFINE_TOLERANCE_DEG = 0.01
# What the calibrated gate (see `semphony.roi._confidence`) cannot judge: a finer level must
# find the ROI near the centre the coarser one left (a periodic specimen repeats beyond that), and
# after a move the offset must fall to about zero (a wrong latch does not follow the stage).
_CAPTURE_FRACTION = 0.25
_MOVE_RESIDUAL_FRACTION = 0.2
_APPROACH_UM = 5.0
_WORSE_FACTOR = 1.25
# A level's match got worse when its evidence, on the bounded scale q / (1 + q), fell this much.
_EVIDENCE_DROP = 0.2
_FINISH_ATTEMPTS = 2


_Acquired = tuple[Array, AcquisitionResult, float, Frame]  # image, result, pixel µm, frame


@dataclass
class _Shot:
    """One acquisition and its registration against a level's reference."""

    image: Array
    result: AcquisitionResult
    pixel_um: float
    frame: Frame
    registration: Registration

    @property
    def accepted(self) -> bool:
        return self.registration.passed


@dataclass
class _Outcome:
    found: bool = False
    reason: str | None = None
    residual_um: float | None = None
    confidence: float | None = None


@dataclass
class _Counters:
    acquisitions: int = 0
    stage_moves: int = 0
    grid_cells: int = 0
    rotation_deg: float = 0.0
    rotation_at_search_edge: bool = False
    per_level: dict[str, int] = field(default_factory=dict)


def _device(session: RoiSession) -> dict[str, Any]:
    doc: dict[str, Any] = session.device().to_dict()
    return doc


def _find_config(record: RoiRecord, config: AcquisitionConfig | None) -> AcquisitionConfig:
    """The saved shared settings, minus the working distance (focus belongs to the mounting),
    with `config`'s fields on top; overriding the detector drops the saved detector fields."""
    saved = record.acquisition.to_dict() if record.acquisition is not None else {}
    saved.pop("working_distance_mm", None)
    if saved.get("mode") is None and saved.get("detector_mode") is None:
        saved["mode"] = record.detector.mode
    override = config.to_dict() if config is not None else {}
    for name in ("fov_um", "roi_name", "roi_level"):
        if override.get(name) is not None:
            raise ValueError(
                f"find_roi: config.{name} must be None: each level's FOV and tags come from "
                "the saved record"
            )
    if any(override.get(name) is not None for name in _DETECTOR_FIELDS):
        for name in _DETECTOR_FIELDS:
            saved.pop(name, None)
    return AcquisitionConfig.from_dict({**saved, **override})


def _range(doc: object) -> tuple[float, float]:
    """A wire `Range` ({min, max}) as a pair; absent means the device offers nothing: (0, 0)."""
    if isinstance(doc, dict) and isinstance(doc.get("min"), int | float):
        return float(doc["min"]), float(doc["max"])
    return 0.0, 0.0


def _norm(x: float, y: float) -> float:
    return math.hypot(x, y)


class _Finder:
    """One `find_roi` call: the state of the search and what it has measured."""

    def __init__(
        self,
        session: RoiSession,
        record: RoiRecord,
        config: AcquisitionConfig,
        *,
        tolerance_um: float,
        max_iterations: int,
        display: FindProgress,
    ) -> None:
        self.session = session
        self.record = record
        self.config = config
        self.tolerance_um = tolerance_um
        self.max_iterations = max_iterations
        self.display = display
        device = _device(session)
        self.axes = axes_from_device(device)
        self.repeatability_um = float(device.get("stage_repeatability_um") or 0.0)
        limits = device.get("limits") or {}
        self.beam_shift_x_um = _range(limits.get("beam_shift_x_um"))
        self.beam_shift_y_um = _range(limits.get("beam_shift_y_um"))
        capabilities = set(device.get("capabilities") or ())
        self.upright: Literal["scan_rotation", "stage_rotation", "none"] = (
            "scan_rotation"
            if "scan_rotation" in capabilities
            else "stage_rotation"
            if capabilities & {"stage_rotation", "stage.rotation"}
            else "none"
        )
        self.history: list[dict[str, Any]] = []
        self.counters = _Counters()
        self.panels: list[LevelImages] = []
        self.references: dict[str, Array] = {}
        self.last_threshold_um = 0.0
        self.angle = AngleEstimate()
        # A focus check's image that needed no refocus is the level's first image too: nothing
        # moved in between (one acquisition fewer at L0 and at the final level).
        self._kept: tuple[str, _Acquired] | None = None
        self.autofocus: dict[str, Any] | None = None
        self.focus_checks = 0  # acquisitions that judged focus (counted in acquisitions too)
        self.blur_excess_px2: float | None = None  # the finest level's, when it was judged

    # ------------------------------------------------------------------ instrument helpers

    def _reference(self, level: RoiLevelRecord) -> Array:
        if level.level not in self.references:
            pixels = self.session.imaging.read(
                AcquisitionResult(correlation_id=level.correlation_id, image_id=level.image_id)
            )
            self.references[level.level] = np.asarray(pixels, dtype=np.float64)
        return self.references[level.level]

    def _reference_like(self, level: RoiLevelRecord, image: Array) -> Array:
        """The level's reference at `image`'s resolution (a screen or another config's)."""
        reference = self._reference(level)
        return reference if reference.shape == image.shape else _match_shape(reference, image.shape)

    def _acquire(self, level: RoiLevelRecord, *, side_px: int | None = None) -> _Acquired:
        """Image the level's FOV; `side_px` asks for a lower resolution (grid screening)."""
        kept, self._kept = self._kept, None
        if kept is not None and kept[0] == level.level and side_px is None:
            return kept[1]
        config = dataclasses.replace(self.config, fov_um=level.fov_um)
        if side_px is not None:
            rows, cols = self._reference(level).shape
            if cols > side_px:
                height = max(1, round(side_px * rows / cols))
                config = dataclasses.replace(config, resolution=(side_px, height))
        result = self.session.imaging.acquire(config)
        self.counters.acquisitions += 1
        image = np.asarray(self.session.imaging.read(result), dtype=np.float64)
        applied = result.metadata.get("applied")
        applied = applied if isinstance(applied, dict) else {}
        pixel = applied.get("pixel_size_um")
        pixel_um = float(pixel) if isinstance(pixel, int | float) else level.fov_um / image.shape[1]
        stage = result.metadata.get("stage")
        stage = stage if isinstance(stage, dict) else {}
        frame = Frame(
            r_deg=float(stage.get("r_deg", 0.0)),
            scan_rotation_deg=float(applied.get("scan_rotation_deg", 0.0)),
            t_deg=float(stage.get("t_deg", 0.0)),
            raster=self.axes.raster,
        )
        return image, result, pixel_um, frame

    def _move_xy_um(self, dx_um: float, dy_um: float) -> int:
        """Move the stage by (dx, dy) µm in allowed, +approaching steps; the number of moves."""
        self._kept = None  # the field is about to change
        guardrails = self.session.guardrails
        state = self.session.state()
        steps = plan_xy(
            dx_um / 1000.0,
            dy_um / 1000.0,
            max_x_mm=guardrails.max_step("x", state),
            max_y_mm=guardrails.max_step("y", state),
            approach_mm=_APPROACH_UM / 1000.0,
        )
        for step in steps:
            self.session.stage.move_by(
                x=step.dx_mm if step.dx_mm else None, y=step.dy_mm if step.dy_mm else None
            )
            self.counters.stage_moves += 1
        return len(steps)

    def _rotate_stage(self, delta_deg: float) -> None:
        self._kept = None  # the field is about to change
        state = self.session.state()
        for step in plan_rotation(delta_deg, self.session.guardrails.max_step("r", state)):
            self.session.stage.move_by(r=step)
            self.counters.stage_moves += 1

    def _make_upright(self, angle_deg: float) -> None:
        """Turn the image by `angle_deg` so it shows the reference upright."""
        self._kept = None  # the field is about to change
        angle_deg *= self.axes.rotation_sense
        if self.upright == "scan_rotation":
            rho = self.session.state().scan_rotation_deg + angle_deg
            rho = (rho + 180.0) % 360.0 - 180.0
            self.session.optics.set(scan_rotation_deg=rho)
        elif self.upright == "stage_rotation":
            self._rotate_stage(-angle_deg)
        self.counters.rotation_deg += angle_deg

    # ------------------------------------------------------------------ registration

    def _register(
        self,
        reference: Array,
        image: Array,
        *,
        search_rotation: bool,
        screen: bool = False,
        refine: bool = False,
    ) -> Registration:
        """Register `image` on `reference`; with `search_rotation` the angle is searched too (on
        binned images, to `_SCREEN_TOLERANCE_DEG` only when `screen`ing grid fields); `refine`
        searches a narrow range about the current angle at full resolution."""
        residual_angle = self.counters.rotation_deg if self.upright == "none" else 0.0
        if refine and self.upright != "none":
            # The residual angle comes from the offsets of tiles across the field at the plain
            # match: no image is turned, so no interpolation blur biases it (a narrow angle
            # search ran to its bracket's edge, ±0.097°, whatever the angle: p95 0.26-0.38°).
            plain = register(reference, image)
            if not plain.passed:
                return plain
            fit = residual_rotation_deg(reference, image, offset_px=plain.offset_px)
            share = None if fit is None else self.angle.take_up(*fit)
            return plain if share is None else dataclasses.replace(plain, rotation_deg=share)
        if not search_rotation:
            return register(reference, image, rotation_deg=residual_angle)
        side_px = _SCREEN_SIDE_PX if screen else _ROTATION_SEARCH_SIDE_PX
        factor = max(1, round(max(image.shape) / side_px))
        coarse = register_rotation(
            _bin(reference, factor),
            _bin(image, factor),
            max_angle_deg=_ROTATION_SEARCH_DEG,
            tolerance_deg=_SCREEN_TOLERANCE_DEG if screen else _ROTATION_TOLERANCE_DEG,
            # A sparse L0 can rank a wrong angle first; screening keeps one (fewer null draws).
            candidates=1 if screen else _ANGLE_CANDIDATES,
        )
        fine = register(reference, image, rotation_deg=coarse.rotation_deg)
        return dataclasses.replace(fine, at_search_edge=coarse.at_search_edge)

    def _shot(
        self,
        level: RoiLevelRecord,
        *,
        search_rotation: bool,
        screen: bool = False,
        refine: bool = False,
    ) -> _Shot:
        side_px = _SCREEN_SIDE_PX if screen else None
        image, result, pixel_um, frame = self._acquire(level, side_px=side_px)
        reference = self._reference_like(level, image)
        reg = self._register(
            reference, image, search_rotation=search_rotation, screen=screen, refine=refine
        )
        return _Shot(image, result, pixel_um, frame, reg)

    def _record(
        self,
        level: RoiLevelRecord,
        iteration: int,
        shot: _Shot,
        *,
        phase: str = "level",
        cell: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        reg = shot.registration
        sx, sy = shot.frame.image_to_stage_um(reg.offset_px, shot.pixel_um)
        pose = shot.result.metadata.get("stage")
        applied = shot.result.metadata.get("applied")
        applied = applied if isinstance(applied, dict) else {}
        entry: dict[str, Any] = {
            "level": level.level,
            "fov_um": level.fov_um,
            "iteration": iteration,
            "phase": phase,
            "shift_x_um": sx,
            "shift_y_um": sy,
            "offset_px": [reg.offset_px[0], reg.offset_px[1]],
            "rotation_deg": reg.rotation_deg,
            "confidence": reg.confidence,
            "evidence": reg.evidence,
            "psr": reg.psr,
            "overlap_correlation": reg.overlap_correlation,
            "overlap": reg.overlap,
            "passed": shot.accepted,
            "contrast_inverted": reg.contrast_inverted,
            "residual_um": _norm(sx, sy),
            "pixel_um": shot.pixel_um,
            "pose": dict(pose) if isinstance(pose, dict) else None,
            "scan_rotation_deg": applied.get("scan_rotation_deg"),
            "beam_shift_um": [applied.get("beam_shift_x_um"), applied.get("beam_shift_y_um")],
            "image_id": shot.result.image_id,
            "action": None,
            "stop": None,
        }
        if cell is not None:
            entry["grid_cell"] = [cell[0], cell[1]]
        self.history.append(entry)
        self.display.step(
            f"{level.level} {phase} {iteration}: confidence {reg.confidence:.2f}, "
            f"offset {_norm(sx, sy):.2f} µm"
        )
        return entry

    # ------------------------------------------------------------------ the search

    def run(self, start: Start) -> _Outcome:
        levels = list(reversed(self.record.levels))  # coarsest first
        self._go_to_start(levels[0], start)
        self._refocus_coarse(levels[0], levels[-1])
        for index, level in enumerate(levels):
            final = index == len(levels) - 1
            if final and index > 0:
                # Its depth of field is the narrowest: a height L0 could not see shows here.
                self._refocus_fine(level)
            panel = LevelImages(level.level, level.fov_um, self._reference(level))
            self.panels.append(panel)
            outcome = self._level(level, panel, coarsest=index == 0, final=final)
            self.display.level_done()
            if outcome is not None:
                return outcome
        return _Outcome(found=False, reason="no level was searched")

    def _refocus_coarse(self, coarsest: RoiLevelRecord, finest: RoiLevelRecord) -> None:
        """When the first L0 image is clearly less sharp than its reference (a gross defocus),
        autofocus at the finest level's FOV, whose depth of field is the narrowest."""
        acquired = self._acquire(coarsest)
        image = acquired[0]
        self.focus_checks += 1
        reference = self._reference(coarsest)
        if not needs_refocus(image, reference):
            self._kept = (coarsest.level, acquired)
            return
        self._autofocus(
            finest,
            "l0_sharpness",
            l0_sharpness=sharpness(image),
            reference_sharpness=sharpness(reference),
        )

    def _refocus_fine(self, level: RoiLevelRecord) -> None:
        """The finest level's first image, registered on its reference (upright by now), is
        judged by its blur beyond the reference's (`blur_excess_px2`): over a pixel's σ, or no
        match at all where the coarser levels matched, and it autofocuses here. Once refocused,
        never again."""
        if self.autofocus is not None:
            return
        acquired = self._acquire(level)
        image = acquired[0]
        self.focus_checks += 1
        reference = self._reference_like(level, image)
        plain = register(reference, image)
        excess = blur_excess_px2(reference, image, plain.offset_px) if plain.passed else None
        self.blur_excess_px2 = excess
        if plain.passed and (excess is None or excess < BLUR_REFOCUS_PX2):
            self._kept = (level.level, acquired)
            return
        self._autofocus(
            level,
            "blur" if plain.passed else "no_match",
            # JSON has no infinity: None with the trigger "blur" means the detail was gone.
            blur_excess_px2=_finite(excess),
        )

    def _autofocus(self, level: RoiLevelRecord, trigger: str, **measured: float | None) -> None:
        self._kept = None  # the WD is about to change
        found = self.session.optics.autofocus(fov_um=level.fov_um)
        self.autofocus = {**found.to_dict(), "trigger": trigger, **measured}

    def _go_to_start(self, coarsest: RoiLevelRecord, start: Start) -> None:
        """Zero the beam shift, restore the saved scan rotation and FOV, go to the saved pose."""
        saved = self.record.optics
        self.session.optics.set(
            fov_um=coarsest.fov_um,
            scan_rotation_deg=saved.scan_rotation_deg,
            beam_shift_x_um=0.0,
            beam_shift_y_um=0.0,
        )
        if start != "saved":
            return
        state = self.session.state()
        if abs(state.stage.r_deg - self.record.pose.r_deg) > 1e-6:
            self._rotate_stage(self.record.pose.r_deg - state.stage.r_deg)
            state = self.session.state()
        target_x, target_y = self.record.centre_mm
        self._move_xy_um(
            (target_x - state.stage.x_mm) * 1000.0, (target_y - state.stage.y_mm) * 1000.0
        )

    def _grid_search(self, level: RoiLevelRecord) -> _Shot | None:
        """Image the fields around the start at half-FOV spacing until one passes the gate."""
        spacing_um = level.fov_um / 2.0
        position = (0, 0)
        for ring in range(1, _GRID_RINGS + 1):
            for cell in grid_offsets(ring):
                dx = (cell[0] - position[0]) * spacing_um
                dy = (cell[1] - position[1]) * spacing_um
                try:
                    self._move_xy_um(dx, dy)
                except SemphonyGuardrailException:
                    continue  # a field the guardrails forbid is not searched
                position = cell
                self.counters.grid_cells += 1
                shot = self._shot(level, search_rotation=True, screen=True)
                self._record(level, 0, shot, phase="grid", cell=cell)
                if shot.registration.evidence >= _SCREEN_EVIDENCE:  # a candidate: image it fully
                    shot = self._shot(level, search_rotation=True)
                    self._record(level, 0, shot, phase="grid", cell=cell)
                    if shot.accepted:
                        return shot
        # Nothing matched: go back to where the search started.
        self._move_xy_um(-position[0] * spacing_um, -position[1] * spacing_um)
        return None

    def _level(
        self, level: RoiLevelRecord, panel: LevelImages, *, coarsest: bool, final: bool
    ) -> _Outcome | None:
        """Converge at one level; an `_Outcome` ends the search, None goes on to the next."""
        threshold_um = 0.0
        previous: dict[str, Any] | None = None
        for iteration in range(1, self.max_iterations + 1):
            # L0's angle is searched again once a far move centred the field: the first image
            # saw only part of its reference (off the overview: 1.1-2.9° off, finer levels none).
            search = coarsest and (
                iteration == 1
                or (
                    iteration == 2
                    and previous is not None
                    and previous["residual_um"] > _CAPTURE_FRACTION * level.fov_um
                )
            )
            shot = self._shot(level, search_rotation=search, refine=not coarsest and iteration == 1)
            entry = self._record(level, iteration, shot)
            panel.image, panel.registration, panel.pixel_um = (
                shot.image,
                shot.registration,
                shot.pixel_um,
            )
            panel.iterations = iteration
            self.counters.per_level[level.level] = iteration
            reg = shot.registration
            if not shot.accepted and coarsest and iteration == 1:
                found = self._grid_search(level)
                if found is None:
                    entry["stop"] = "confidence_under_gate"
                    return _Outcome(
                        reason=f"{level.level}: no field of the start or the "
                        f"{self.counters.grid_cells} searched around it matched the reference "
                        f"above the confidence gate ({self._best()})",
                        confidence=reg.confidence,
                    )
                shot, reg, entry = found, found.registration, self.history[-1]
                panel.image, panel.registration = shot.image, reg
            if not shot.accepted:
                entry["stop"] = "confidence_under_gate"
                if final or iteration > 1:
                    return _Outcome(
                        reason=f"{level.level} iteration {iteration}: {_refusal(shot)}",
                        confidence=reg.confidence,
                    )
                return None  # an intermediate level without texture: the next one decides
            threshold_um = max(1.5 * shot.pixel_um, self.repeatability_um)
            sx, sy = entry["shift_x_um"], entry["shift_y_um"]
            offset_um = _norm(sx, sy)
            if not coarsest and iteration == 1 and offset_um > _CAPTURE_FRACTION * level.fov_um:
                entry["stop"] = "inconsistent"
                return _Outcome(
                    reason=f"{level.level}: offset {offset_um:.1f} µm disagrees with the coarser "
                    f"level, which left at most {self.last_threshold_um:.1f} µm",
                    confidence=reg.confidence,
                )
            if previous is not None and offset_um > (
                _MOVE_RESIDUAL_FRACTION * previous["residual_um"] + 2.0 * threshold_um
            ):
                entry["stop"] = "inconsistent"
                return _Outcome(
                    reason=f"{level.level} iteration {iteration}: after a move of "
                    f"{previous['residual_um']:.1f} µm the offset is {offset_um:.1f} µm, not "
                    "about zero: the match does not follow the stage",
                    confidence=reg.confidence,
                )
            self.last_threshold_um = threshold_um
            if previous is not None and (
                offset_um > _WORSE_FACTOR * previous["residual_um"] + threshold_um
                or _bounded(reg.evidence) < _bounded(previous["evidence"]) - _EVIDENCE_DROP
            ):
                entry["stop"] = "worse"
                return self._finish(level, panel, shot) if final else None
            rotated = False
            if search:
                angle = reg.rotation_deg
                self.counters.rotation_at_search_edge = reg.at_search_edge
                if abs(angle) >= _MIN_ROTATION_DEG and self.upright != "none":
                    self._make_upright(angle)
                    rotated = abs(angle) >= 0.5
                elif self.upright == "none":
                    self.counters.rotation_deg = angle  # searched on an image never turned
            elif iteration == 1 and abs(reg.rotation_deg) >= _REFINE_TOLERANCE_DEG:
                # Each finer level takes up its weighted share of the residual angle it measures
                # (see `_register`), so the scan rotation carries the best estimate so far.
                self._make_upright(reg.rotation_deg)
            need_move = offset_um > threshold_um
            if not need_move and not rotated:
                entry["stop"] = "converged"
                return self._finish(level, panel, shot) if final else None
            if iteration == self.max_iterations:
                entry["stop"] = "max_iterations"
                if final:
                    return self._finish(level, panel, shot)
            if need_move:
                self._move_xy_um(sx, sy)
                entry["action"] = "stage"
            if iteration == self.max_iterations:
                return None
            if not final and not rotated and offset_um < _RE_IMAGE_FRACTION * level.fov_um:
                entry["stop"] = "moved"  # the next, finer level checks this small move
                return None
            previous = entry
        return None

    def _finish(self, level: RoiLevelRecord, panel: LevelImages, shot: _Shot) -> _Outcome:
        """Take up the residual with beam shift, image once more, and judge the result: within
        the tolerance, and upright within `ACCEPT_ANGLE_DEG` (one more turn and image if not)."""
        attempts, turned = _FINISH_ATTEMPTS, False
        while attempts > 0:
            attempts -= 1
            reg = shot.registration
            state = self.session.state()
            cx, cy = shot.frame.image_to_column_um(reg.offset_px, shot.pixel_um)
            bx, by = state.beam_shift_x_um + cx, state.beam_shift_y_um + cy
            (x_lo, x_hi), (y_lo, y_hi) = self.beam_shift_x_um, self.beam_shift_y_um
            if x_lo <= bx <= x_hi and y_lo <= by <= y_hi:
                self.session.optics.set(beam_shift_x_um=bx, beam_shift_y_um=by)
                self.history[-1]["action"] = "beam_shift"
            else:  # beyond the beam shift's reach: the stage takes it, the shift starts over
                sx, sy = shot.frame.image_to_stage_um(reg.offset_px, shot.pixel_um)
                self.session.optics.set(beam_shift_x_um=0.0, beam_shift_y_um=0.0)
                back_x, back_y = shot.frame.column_to_stage_um(
                    state.beam_shift_x_um, state.beam_shift_y_um
                )
                self._move_xy_um(sx + back_x, sy + back_y)
                self.history[-1]["action"] = "stage"
            iteration = self.counters.per_level.get(level.level, 0) + 1
            self.counters.per_level[level.level] = iteration
            shot = self._shot(level, search_rotation=False)
            entry = self._record(level, iteration, shot, phase="verify")
            panel.image, panel.registration, panel.pixel_um = (
                shot.image,
                shot.registration,
                shot.pixel_um,
            )
            panel.iterations = iteration
            residual = entry["residual_um"]
            if not shot.accepted:
                entry["stop"] = "confidence_under_gate"
                return _Outcome(
                    reason=f"{level.level} verification: {_refusal(shot)}",
                    residual_um=residual,
                    confidence=shot.registration.confidence,
                )
            if residual <= self.tolerance_um:
                left = self._angle_left(level, shot)
                entry["angle_left_deg"] = left
                if left is None or abs(left) <= ACCEPT_ANGLE_DEG:
                    entry["stop"] = "found"
                    return _Outcome(
                        found=True, residual_um=residual, confidence=shot.registration.confidence
                    )
                if turned or abs(left) > MAX_RESIDUAL_DEG:
                    entry["stop"] = "angle_off"
                    return _Outcome(
                        reason=f"{level.level} verification: the image is {left:+.2f}° off its "
                        f"reference (at most {ACCEPT_ANGLE_DEG:g}° for a match)",
                        residual_um=residual,
                        confidence=shot.registration.confidence,
                    )
                self._make_upright(left)  # then take up the offset again and verify
                turned, attempts = True, max(attempts, 1)
                continue
        entry["stop"] = "residual_over_tolerance"
        return _Outcome(
            reason=f"the final residual {residual:.3f} µm is over the tolerance "
            f"{self.tolerance_um:.3f} µm",
            residual_um=residual,
            confidence=shot.registration.confidence,
        )

    def _angle_left(self, level: RoiLevelRecord, shot: _Shot) -> float | None:
        """The angle still left between an upright image and its reference (None: the images
        are not turned, or too few tiles to measure it)."""
        if self.upright == "none":
            return None
        reference = self._reference_like(level, shot.image)
        fit = residual_rotation_deg(reference, shot.image, offset_px=shot.registration.offset_px)
        return None if fit is None else fit[0]

    def _best(self) -> str:
        best = max(self.history, key=lambda h: float(h["evidence"]), default=None)
        if best is None:
            return "nothing was scored"
        return (
            f"best evidence {best['evidence']:.2f} of the {EVIDENCE_GATE} needed, "
            f"confidence {best['confidence']:.2f}"
        )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _bounded(evidence: float) -> float:
    return evidence / (1.0 + evidence)


def _refusal(shot: _Shot) -> str:
    """Why a registration was not accepted, in words."""
    reg = shot.registration
    return (
        f"evidence {reg.evidence:.2f} is under the confidence gate {EVIDENCE_GATE} "
        f"(confidence {reg.confidence:.2f})"
    )


def _bin(image: Array, factor: int) -> Array:
    if factor <= 1:
        return image
    rows, cols = image.shape
    cropped = image[: rows - rows % factor, : cols - cols % factor]
    binned = block_reduce(cropped, (factor, factor), np.mean)  # type: ignore[no-untyped-call]
    return np.asarray(binned, dtype=np.float64)


def _match_shape(reference: Array, shape: tuple[int, ...]) -> Array:
    """The reference resampled to another resolution of the same field (same aspect ratio)."""
    ref_rows, ref_cols = reference.shape
    rows, cols = shape[0], shape[1]
    if abs(ref_rows / ref_cols - rows / cols) > 1e-3:
        raise ValueError(
            f"find_roi: the images are {cols}x{rows} px but the reference is "
            f"{ref_cols}x{ref_rows} px; config.resolution must keep the saved aspect ratio"
        )
    out = resize(  # type: ignore[no-untyped-call]
        reference, (rows, cols), anti_aliasing=rows < ref_rows, preserve_range=True
    )
    return np.asarray(out, dtype=np.float64)


def find_roi(
    session: RoiSession,
    name: str,
    *,
    config: AcquisitionConfig | None = None,
    start: Start = "saved",
    tolerance_um: float | None = None,
    max_iterations_per_level: int = 4,
    report: str | os.PathLike[str] | None = None,
    progress: ProgressOption = None,
) -> FindRoiResult:
    """Relocate the saved ROI `name`; see the module docstring for the search.

    `config` overrides the saved acquisition settings (e.g. ``mode="BSE"`` where SE was saved);
    `start` is ``"saved"`` (go to the saved pose first) or ``"current"``; `tolerance_um` defaults
    to one pixel of the finest level. ``found`` is True only when the last image, after the beam
    shift, matches the reference within the tolerance above the confidence gate. `report` writes
    a report (PNG, PDF or SVG, by its suffix) of every level's reference, last image and overlay;
    `progress=True` shows a display.
    """
    if start not in ("saved", "current"):
        raise ValueError(f"find_roi: start must be 'saved' or 'current', got {start!r}")
    if isinstance(max_iterations_per_level, bool) or max_iterations_per_level < 1:
        raise ValueError(
            f"find_roi: max_iterations_per_level must be an int >= 1, "
            f"got {max_iterations_per_level!r}"
        )
    if tolerance_um is not None and not (math.isfinite(tolerance_um) and tolerance_um > 0):
        raise ValueError(f"find_roi: tolerance_um must be > 0, got {tolerance_um!r}")
    started = time.perf_counter()
    report_path = None if report is None else check_report_path(report, "report")
    record = session.rois.retrieve(name)
    find_config = _find_config(record, config)
    finest = record.levels[0]
    if tolerance_um is None:
        width = finest.resolution[0] if finest.resolution else None
        tolerance_um = finest.pixel_size_um or (finest.fov_um / width if width else 0.0)
    clock_start = session.state().clock_s
    with FindProgress(progress, total=len(record.levels)) as display:
        finder = _Finder(
            session,
            record,
            find_config,
            tolerance_um=float(tolerance_um),
            max_iterations=max_iterations_per_level,
            display=display,
        )
        outcome = finder.run(start)
    if not outcome.found and outcome.reason is not None:
        outcome = dataclasses.replace(outcome, reason=outcome.reason + refusal_note(record.levels))
    state = session.state()
    counters = finder.counters
    frame = Frame(state.stage.r_deg, state.scan_rotation_deg, state.stage.t_deg)
    shift_stage = frame.column_to_stage_um(state.beam_shift_x_um, state.beam_shift_y_um)
    start_x, start_y = record.centre_mm
    stage_um = (
        (state.stage.x_mm - start_x) * 1000.0,
        (state.stage.y_mm - start_y) * 1000.0,
    )
    total = _norm(*stage_um) + _norm(*shift_stage)
    metrics: dict[str, Any] = {
        "acquisitions": counters.acquisitions,
        "stage_moves": counters.stage_moves,
        "instrument_s": state.clock_s - clock_start,
        "wall_s": time.perf_counter() - started,
        "final_residual_um": outcome.residual_um,
        "final_confidence": outcome.confidence,
        "tolerance_um": tolerance_um,
        "iterations_per_level": dict(counters.per_level),
        "rotation_deg": counters.rotation_deg,
        "rotation_at_search_edge": counters.rotation_at_search_edge,
        "upright_by": finder.upright,
        "grid_cells_searched": counters.grid_cells,
        "autofocus": finder.autofocus,
        "focus_check_acquisitions": finder.focus_checks,
        "blur_excess_px2": _finite(finder.blur_excess_px2),
        "stage_correction_um": list(stage_um),
        "beam_shift_um": [state.beam_shift_x_um, state.beam_shift_y_um],
        "beam_shift_share": _norm(*shift_stage) / total if total > 0 else 0.0,
        "roi_centre_mm": [
            state.stage.x_mm + shift_stage[0] / 1000.0,
            state.stage.y_mm + shift_stage[1] / 1000.0,
        ],
        "scan_rotation_deg": state.scan_rotation_deg,
        "axis_calibration": finder.axes.describe(),
        "reason": outcome.reason,
    }
    final_pose = {
        "x": state.stage.x_mm,
        "y": state.stage.y_mm,
        "r": state.stage.r_deg,
        "fov_um": state.fov_um,
    }
    result = FindRoiResult(
        found=outcome.found,
        final_pose=final_pose,
        iterations=len(finder.history),
        level_history=finder.history,
        metrics=metrics,
    )
    if report_path is not None:
        write_report(report_path, name, finder.panels, result)
    return result
