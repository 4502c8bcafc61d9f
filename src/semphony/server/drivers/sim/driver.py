"""`SimDriver`: the simulated SEM behind the driver interface, plus its simulator-only controls."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.axes import AxisConvention
from semphony.server.drivers.base import Driver
from semphony.server.drivers.errors import Cancelled, DeviceFault
from semphony.server.drivers.sim import controls
from semphony.server.drivers.sim.device import INFO, PUMP_S, VENT_S, with_axes
from semphony.server.drivers.sim.faults import MOVE_STOPPED_CODE
from semphony.server.drivers.sim.model import SimInstrument
from semphony.server.drivers.sim.optics import Response, blur_um, render_frame
from semphony.server.drivers.types import (
    DetectorSettings,
    DeviceInfo,
    InstrumentStateSnapshot,
    OpticsSettings,
    Progress,
    ScanData,
    ScanPlan,
    StagePlan,
    VacuumPlan,
)

__all__ = ["LINE_SETTLE_S", "SimDriver"]

LINE_SETTLE_S = 50e-6
_MOVE_STEPS = 20
_LINES_PER_STEP_TARGET = 64  # progress and cancel granularity: about this many steps per frame


class SimDriver(Driver):
    """The simulated SEM (see the `sim` package docstring for its physics).

    `seed` fixes the specimen and every random stream; `specimen_kind` is texture, periodic or
    sparse, unless `specimen_image` (any 2-D array) is given with `specimen_pixel_um`, in which case
    the image is centred on the stage origin. `axes` turns or mirrors every image relative to the
    stage (`semphony.server.drivers.axes`), as another instrument's convention would, and
    `device_info` says so. `realtime` > 0 sleeps that many real seconds per
    instrument second (0 never sleeps); a cancel wakes every such sleep at once.

    It is `Persistent` (snapshot/restore). Its state lives in memory, so every read is free
    (`STATE_TTL_S` = 0) and may overlap a scan.
    """

    def __init__(
        self,
        seed: int = 0,
        specimen_kind: str = "texture",
        specimen_image: NDArray[np.generic] | None = None,
        specimen_pixel_um: float | None = None,
        realtime: float = 0.0,
        axes: AxisConvention | None = None,
    ) -> None:
        super().__init__()
        self.seed = int(seed)
        self.axes = AxisConvention() if axes is None else axes
        self._own_info = with_axes(INFO, self.axes)
        self._sim = SimInstrument(seed, specimen_kind, specimen_image, specimen_pixel_um, realtime)
        self._renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semphony-render")

    # ------------------------------------------------------------------ driver hooks

    def _do_device_info(self) -> DeviceInfo:
        return self._own_info

    def _do_state(self) -> InstrumentStateSnapshot:
        return self._sim.state()

    def _do_health(self) -> str:
        return "the simulated instrument runs in this process"

    def _do_clock_s(self) -> float:
        with self._wire():
            return self._sim.clock.now_s

    def _do_vacuum_total(self, kind: str) -> int:
        return math.ceil((PUMP_S if kind == "pump" else VENT_S) * self._sim.faults.slow_factor)

    def _do_set_beam(self, on: bool) -> None:
        with self._wire():
            self._sim.beam_on = on

    def _do_pump(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        self._run_vacuum("pumping", "pumped", PUMP_S, progress, cancel)

    def _do_vent(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        self._run_vacuum("venting", "vented", VENT_S, progress, cancel)

    def _run_vacuum(
        self, during: str, after: str, seconds: float, progress: Progress, cancel: threading.Event
    ) -> None:
        """Step the pump or vent in 1 s virtual steps; a cancelled one leaves the chamber vented."""
        sim = self._sim
        with self._wire():
            sim.vacuum = during
            dt = sim.faults.slow_factor
        total = math.ceil(seconds)
        for done in range(1, total + 1):
            if cancel.is_set():
                with self._wire():
                    sim.vacuum = "vented"  # neither pumped nor safe for the beam: pump again
                raise Cancelled(f"{during} cancelled after {done - 1} s")
            with self._wire():
                sim.clock.advance(dt)
            sim.clock.sleep(dt, cancel)
            progress(done, total)
        with self._wire():
            sim.vacuum = after

    def _do_move_stage(self, plan: StagePlan, progress: Progress, cancel: threading.Event) -> None:
        sim = self._sim
        target = plan.target
        with self._wire():
            move = sim.stage.plan(target)
            drop = sim.faults.take_drop_move()
            dt = move.duration_s * sim.faults.slow_factor / _MOVE_STEPS
        stop_at = _MOVE_STEPS if drop is None else math.floor(drop.fraction * _MOVE_STEPS)
        for step in range(1, _MOVE_STEPS + 1):
            if cancel.is_set():
                with self._wire():
                    sim.stage.finish(move)
                raise Cancelled(f"move cancelled at {_pose_text(sim.stage.readback.to_dict())}")
            with self._wire():
                sim.clock.advance(dt)
                if step <= stop_at:
                    sim.stage.go(move, step / _MOVE_STEPS)
            sim.clock.sleep(dt, cancel)
            progress(step, _MOVE_STEPS)
        with self._wire():
            sim.stage.finish(move)
            if drop is not None and drop.silent:
                # The controller believes it arrived: readback = target, truth stayed behind.
                truth = sim.stage.truth
                sim.stage.readback = target
                sim.stage.error = replace(
                    sim.stage.error,
                    x_um=(truth.x_mm - target.x_mm) * 1000,
                    y_um=(truth.y_mm - target.y_mm) * 1000,
                )
            elif drop is not None:
                raise DeviceFault(
                    MOVE_STOPPED_CODE,
                    "the stage stopped short of the target at "
                    f"{_pose_text(sim.stage.readback.to_dict())} (simulated)",
                )

    def _do_set_optics(self, settings: OpticsSettings) -> None:
        with self._wire():
            for name, value in asdict(settings).items():
                if value is not None:
                    self._sim.optics[name] = float(value)

    def _do_set_detector(self, settings: DetectorSettings) -> None:
        with self._wire():
            d = self._sim.detector
            self._sim.detector = replace(
                d,
                mode=settings.mode or d.mode,
                channel=d.channel if settings.channel is None else settings.channel,
                bit_depth=settings.bit_depth or d.bit_depth,
                gain=d.gain if settings.gain is None else float(settings.gain),
                offset=d.offset if settings.offset is None else float(settings.offset),
            )

    def _do_acquire(self, plan: ScanPlan, progress: Progress, cancel: threading.Event) -> ScanData:
        sim = self._sim
        with self._wire():
            fault = sim.faults.take_scan_fault()
            slow = sim.faults.slow_factor
            geom = sim.geometry()
            defocus = plan.working_distance_mm - sim.surface_wd_mm()
            current = sim.optics["beam_current_na"]
            blur = blur_um(defocus, current, sim.optics["hv_kv"])
            rng = np.random.default_rng([self.seed, 21, sim.frames])
            sim.frames += 1
            d = sim.detector
            response = Response(gain=d.gain, offset=d.offset, gamma=d.gamma)
            start = sim.clock.now_s
        sim_w, sim_h, sim_fov_um = self.axes.sim_size(*plan.resolution, plan.fov_um)
        # The frame renders beside the scan's clock, not before it: a cancel (or a fault) ends
        # the scan at once, as on an instrument, and the unfinished render is thrown away.
        rendering = self._renderer.submit(
            render_frame,
            sim.specimen,
            geom,
            mode=plan.mode,
            resolution=(sim_w, sim_h),
            fov_um=sim_fov_um,
            blur_sigma_um=blur,
            dwell_us=plan.dwell_time_us,
            beam_current_na=current,
            response=response,
            bit_depth=plan.bit_depth,
            rng=rng,
        )
        width, height = plan.resolution
        line_s = (width * plan.dwell_time_us * 1e-6 + LINE_SETTLE_S) * slow
        chunk = max(1, height // _LINES_PER_STEP_TARGET)
        done = 0
        while done < height:
            if cancel.is_set():
                raise Cancelled(f"scan cancelled after {done} of {height} lines")
            with self._wire():
                if not sim.beam_on:
                    raise Cancelled(f"scan stopped after {done} of {height} lines: the beam is off")
            lines = min(chunk, height - done)
            if fault is not None and done + lines > fault.after_lines:
                lines = max(0, fault.after_lines - done)
            with self._wire():
                sim.clock.advance(lines * line_s)
            sim.clock.sleep(lines * line_s, cancel)
            done += lines
            if fault is not None and done >= fault.after_lines:
                if fault.kind == "vacuum_loss":
                    with self._wire():
                        sim.vacuum = "error"
                        sim.beam_on = False
                raise DeviceFault(fault.device_code, fault.device_message)
            progress(done, height)
        with self._wire():
            end = sim.clock.now_s
        pixels = self.axes.apply(rendering.result())
        return ScanData(pixels=pixels, clock_s_start=start, clock_s_end=end)

    def _do_stop_motion(self) -> None:
        # Running scans and moves wake on their cancel event, which the base has set, and stop
        # where they are; nothing else moves on its own in the simulator.
        return

    # ------------------------------------------------------------------ persistence

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able dict from which `restore` rebuilds the instrument."""
        with self._wire():
            return self._sim.snapshot()

    def restore(self, data: dict[str, Any]) -> None:
        """Rebuild the instrument from a `snapshot`; refused while a command runs."""
        with self._wire():
            self._check_idle()
            self._sim.restore(data)
        self._cached = None

    # ------------------------------------------------------------------ simulator-only controls

    def reload(
        self,
        shift_x_um: float | None = None,
        shift_y_um: float | None = None,
        rotation_deg: float | None = None,
        height_um: float | None = None,
    ) -> dict[str, Any]:
        """Remount the specimen (see `controls.reload`); returns `truth()`."""
        with self._wire():
            self._check_idle()
            controls.reload(self._sim, shift_x_um, shift_y_um, rotation_deg, height_um)
            return self._sim.truth(None, None)

    def truth(self, x_mm: float | None = None, y_mm: float | None = None) -> dict[str, Any]:
        """Ground truth: placement, true and readback poses, where a first-load point lies now."""
        with self._wire():
            return self._sim.truth(x_mm, y_mm)

    def inject_fault(self, kind: str, **params: Any) -> list[dict[str, Any]]:
        """Arm a fault: ``scan_error`` (device_code, device_message, after_lines, count),
        ``vacuum_loss`` (after_lines, count), ``drop_move`` (silent, fraction, count) or ``slow``
        (factor). Returns every armed fault."""
        with self._wire():
            self._sim.faults.inject(kind, **params)
            return self._sim.faults.armed()

    def clear_faults(self) -> list[dict[str, Any]]:
        """Disarm every fault; returns the (now empty) list of armed faults."""
        with self._wire():
            self._sim.faults.clear()
            return self._sim.faults.armed()

    def armed_faults(self) -> list[dict[str, Any]]:
        """Every armed fault, with its parameters."""
        with self._wire():
            return controls.armed_faults(self._sim)

    def set_gamma(self, gamma: float) -> InstrumentStateSnapshot:
        """Set the simulated detector response's gamma; refused while a command runs."""
        with self._wire():
            self._check_idle()
            controls.set_gamma(self._sim, gamma)
        return self._read_state()


def _pose_text(pose: dict[str, float]) -> str:
    """A stage pose as a person reads it: x 1.2 mm, y -0.3 mm, …"""
    units = {"x_mm": "mm", "y_mm": "mm", "z_mm": "mm", "r_deg": "°", "t_deg": "°"}
    return ", ".join(f"{k[0]} {v:.4g} {units[k]}" for k, v in pose.items())
