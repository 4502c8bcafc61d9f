"""`SimDriver`: the simulated SEM behind the driver interface, plus its simulator-only controls."""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.base import (
    Cancelled,
    CancelToken,
    DetectorInfo,
    DetectorSettings,
    DetectorState,
    DeviceFault,
    DeviceInfo,
    Driver,
    InstrumentStateSnapshot,
    Limits,
    OpticsSettings,
    Progress,
    RangeError,
    ScanData,
    ScanPlan,
    ScanRequest,
    StagePose,
)
from semphony.server.drivers.sim.clock import VirtualClock
from semphony.server.drivers.sim.faults import MOVE_STOPPED_CODE, Faults
from semphony.server.drivers.sim.optics import (
    Z_AT_POLE_PIECE_MM,
    Geometry,
    Response,
    blur_um,
    render_frame,
)
from semphony.server.drivers.sim.specimen import make_specimen
from semphony.server.drivers.sim.stage import POSITION_SIGMA_UM, SimStage

__all__ = ["SCAN_SPEEDS_US", "SimDriver"]

SCAN_SPEEDS_US: tuple[float, ...] = (0.1, 0.32, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
PUMP_S = 180.0
VENT_S = 60.0
LINE_SETTLE_S = 50e-6
_MOVE_STEPS = 20
_LINES_PER_STEP_TARGET = 64  # progress and cancel granularity: about this many steps per frame
_SIM = "range.sim"

_LIMITS = Limits(
    x_mm=(-50.0, 50.0),
    y_mm=(-50.0, 50.0),
    z_mm=(0.0, 50.0),
    r_deg=(-180.0, 180.0),
    t_deg=(-10.0, 70.0),
    clearance=((0.0, 50.0), (10.0, 47.5), (20.0, 44.0), (30.0, 40.0), (45.0, 34.0), (70.0, 26.0)),
    fov_um=(1.0, 10000.0),
    working_distance_mm=(1.0, 50.0),
    scan_rotation_deg=(-180.0, 180.0),
    beam_shift_um=(-10.0, 10.0),
    hv_kv=(0.2, 30.0),
    beam_current_na=(0.001, 100.0),
    resolution=(16, 16384),  # 16384² × 16 bit = 512 MiB: big frames exercise streaming downloads
    bit_depths=(8, 16),
)

CONVENTIONS = {
    "image_x": "stage +x (columns, left to right)",
    "image_y": "stage -y (rows, top to bottom)",
    "rotation_sense": "ccw_seen_from_beam",
    "rotation_centre": "optical_axis",
    "stage_rotation": "positive r_deg turns the specimen counter-clockwise seen from the beam "
    "(compucentric: the point under the beam stays there)",
    "scan_rotation": "positive scan_rotation_deg turns the scan raster counter-clockwise seen from "
    "the beam, so the specimen appears turned clockwise in the image",
    "beam_shift": "moves the imaged field by (beam_shift_x_um, beam_shift_y_um) in stage axes",
    "fov": "fov_um is the width of the field; pixels are square",
    "tilt_axis": "stage x",
}

_INFO = DeviceInfo(
    driver="sim",
    model="semphony simulated SEM",
    serial="SIM-0001",
    capabilities=(
        "vacuum",
        "beam",
        "stage",
        "stage_rotation",
        "stage_tilt",
        "scan_rotation",
        "beam_shift",
        "detectors",
        "bit_depth_16",
        "simulator",
    ),
    honoured_fields=tuple(f for f in ScanRequest.__dataclass_fields__),
    detectors=(
        DetectorInfo(channel=0, mode="SE", name="secondary electrons (Everhart-Thornley)"),
        DetectorInfo(channel=1, mode="BSE", name="backscattered electrons (annular)"),
    ),
    limits=_LIMITS,
    scan_speeds_us=SCAN_SPEEDS_US,
    default_scan_speed_index=3,
    default_resolution=(1024, 1024),
    stage_repeatability_um=2 * POSITION_SIGMA_UM,
    conventions=CONVENTIONS,
)


def _rot(deg: float, x: float, y: float) -> tuple[float, float]:
    a = math.radians(deg)
    return x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)


def _read_image(path: str) -> NDArray[np.generic]:
    """Read a specimen image as a 2-D array (colour is averaged to grey)."""
    if path.lower().endswith((".tif", ".tiff")):
        import tifffile

        data = np.asarray(tifffile.imread(path))
    else:
        from skimage import io

        data = np.asarray(io.imread(path))
    while data.ndim > 2:
        data = data.mean(axis=-1) if data.shape[-1] in (3, 4) else data[0]
    return data


class SimDriver(Driver):
    """The simulated SEM (see the `sim` package docstring for its physics).

    `seed` fixes the specimen and every random stream; `specimen_kind` is texture, periodic or
    sparse, unless `specimen_image` (any 2-D array) is given with `specimen_pixel_um`, in which case
    the image is centred on the stage origin. `realtime` > 0 sleeps that many real seconds per
    instrument second (0 never sleeps).
    """

    def __init__(
        self,
        seed: int = 0,
        specimen_kind: str = "texture",
        specimen_image: NDArray[np.generic] | None = None,
        specimen_pixel_um: float | None = None,
        realtime: float = 0.0,
    ) -> None:
        super().__init__()
        self.seed = int(seed)
        self._specimen = make_specimen(specimen_kind, self.seed, specimen_image, specimen_pixel_um)
        self._clock = VirtualClock(realtime)
        self._stage = SimStage(self.seed)
        self._faults = Faults()
        self._vacuum = "vented"
        self._beam_on = False
        self._optics = {
            "fov_um": 100.0,
            "working_distance_mm": Z_AT_POLE_PIECE_MM - self._stage.readback.z_mm,
            "scan_rotation_deg": 0.0,
            "beam_shift_x_um": 0.0,
            "beam_shift_y_um": 0.0,
            "hv_kv": 10.0,
            "beam_current_na": 0.1,
        }
        self._detector = DetectorState(
            mode="SE", channel=0, gain=1.0, offset=0.0, gamma=1.0, bit_depth=8
        )
        # Placement relative to the first load: holder point h = shift + R(rotation)·u.
        self._placement = {"shift_x_um": 0.0, "shift_y_um": 0.0, "rotation_deg": 0.0}
        self._reloads = 0
        self._frames = 0

    @classmethod
    def from_settings(cls, settings: Any) -> SimDriver:
        """Build from server settings (attributes seed, specimen_kind, specimen_path,
        specimen_pixel_um, realtime); an image file is read with tifffile or scikit-image."""
        image = None
        path = getattr(settings, "specimen_path", None)
        if path is not None:
            image = _read_image(str(path))
        return cls(
            seed=int(getattr(settings, "seed", 0)),
            specimen_kind=getattr(settings, "specimen_kind", None) or "texture",
            specimen_image=image,
            specimen_pixel_um=getattr(settings, "specimen_pixel_um", None),
            realtime=float(getattr(settings, "realtime", 0.0)),
        )

    # ------------------------------------------------------------------ driver hooks

    def _do_device_info(self) -> DeviceInfo:
        return _INFO

    def _do_state(self) -> InstrumentStateSnapshot:
        o = self._optics
        return InstrumentStateSnapshot(
            vacuum=self._vacuum,
            beam_on=self._beam_on,
            hv_kv=o["hv_kv"],
            beam_current_na=o["beam_current_na"],
            stage=self._stage.readback,
            fov_um=o["fov_um"],
            working_distance_mm=o["working_distance_mm"],
            scan_rotation_deg=o["scan_rotation_deg"],
            beam_shift_x_um=o["beam_shift_x_um"],
            beam_shift_y_um=o["beam_shift_y_um"],
            detector=self._detector,
            clock_s=self._clock.now_s,
        )

    def _do_set_beam(self, on: bool) -> None:
        self._beam_on = on

    def _do_pump(self, progress: Progress, cancel: CancelToken) -> None:
        self._run_vacuum("pumping", "pumped", PUMP_S, progress, cancel)

    def _do_vent(self, progress: Progress, cancel: CancelToken) -> None:
        self._run_vacuum("venting", "vented", VENT_S, progress, cancel)

    def _run_vacuum(
        self, during: str, after: str, seconds: float, progress: Progress, cancel: CancelToken
    ) -> None:
        """Step the pump or vent in 1 s virtual steps; a cancelled one leaves the chamber vented."""
        with self._lock:
            self._vacuum = during
            dt = self._faults.slow_factor
        total = math.ceil(seconds)
        for done in range(1, total + 1):
            if cancel.is_set():
                with self._lock:
                    self._vacuum = "vented"  # neither pumped nor safe for the beam: pump again
                raise Cancelled(f"{during} cancelled after {done - 1} s")
            with self._lock:
                self._clock.advance(dt)
            self._clock.sleep(dt)
            progress(done, total)
        with self._lock:
            self._vacuum = after

    def _do_move_stage(
        self, target: StagePose, progress: Progress, cancel: CancelToken
    ) -> StagePose:
        with self._lock:
            plan = self._stage.plan(target)
            drop = self._faults.take_drop_move()
            dt = plan.duration_s * self._faults.slow_factor / _MOVE_STEPS
        stop_at = _MOVE_STEPS if drop is None else math.floor(drop.fraction * _MOVE_STEPS)
        for step in range(1, _MOVE_STEPS + 1):
            if cancel.is_set():
                with self._lock:
                    self._stage.finish(plan)
                raise Cancelled(f"move cancelled at {self._stage.readback}")
            with self._lock:
                self._clock.advance(dt)
                if step <= stop_at:
                    self._stage.go(plan, step / _MOVE_STEPS)
            self._clock.sleep(dt)
            progress(step, _MOVE_STEPS)
        with self._lock:
            self._stage.finish(plan)
            if drop is not None and drop.silent:
                # The controller believes it arrived: readback = target, truth stayed behind.
                truth = self._stage.truth
                self._stage.readback = target
                self._stage.error = replace(
                    self._stage.error,
                    x_um=(truth.x_mm - target.x_mm) * 1000,
                    y_um=(truth.y_mm - target.y_mm) * 1000,
                )
            elif drop is not None:
                raise DeviceFault(
                    str(MOVE_STOPPED_CODE),
                    f"stage stopped short of the target at {self._stage.readback} (simulated)",
                )
            return self._stage.readback

    def _do_set_optics(self, settings: OpticsSettings) -> None:
        for name, value in asdict(settings).items():
            if value is not None:
                self._optics[name] = float(value)

    def _do_set_detector(self, settings: DetectorSettings) -> None:
        self._detector = replace(
            self._detector,
            mode=settings.mode or self._detector.mode,
            channel=self._detector.channel if settings.channel is None else settings.channel,
            bit_depth=settings.bit_depth or self._detector.bit_depth,
        )

    def _do_acquire(self, plan: ScanPlan, progress: Progress, cancel: CancelToken) -> ScanData:
        with self._lock:
            fault = self._faults.take_scan_fault()
            slow = self._faults.slow_factor
            geom = self._geometry()
            truth = self._stage.truth
            defocus = plan.working_distance_mm - (Z_AT_POLE_PIECE_MM - truth.z_mm)
            blur = blur_um(defocus, self._optics["beam_current_na"], self._optics["hv_kv"])
            rng = np.random.default_rng([self.seed, 21, self._frames])
            self._frames += 1
            d = self._detector
            response = Response(gain=d.gain, offset=d.offset, gamma=d.gamma)
            current = self._optics["beam_current_na"]
            start = self._clock.now_s
        pixels = render_frame(
            self._specimen,
            geom,
            mode=plan.mode,
            resolution=plan.resolution,
            fov_um=plan.fov_um,
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
            lines = min(chunk, height - done)
            if fault is not None and done + lines > fault.after_lines:
                lines = max(0, fault.after_lines - done)
            with self._lock:
                self._clock.advance(lines * line_s)
            self._clock.sleep(lines * line_s)
            done += lines
            if fault is not None and done >= fault.after_lines:
                if fault.kind == "vacuum_loss":
                    with self._lock:
                        self._vacuum = "error"
                        self._beam_on = False
                # DeviceFault carries the code as text (the driver interface's choice); the
                # server reads it back as the integer it is.
                raise DeviceFault(str(fault.device_code), fault.device_message)
            progress(done, height)
        with self._lock:
            end = self._clock.now_s
        return ScanData(pixels=pixels, clock_s_start=start, clock_s_end=end)

    def _do_safe_stop(self) -> None:
        # Running scans and moves see the base class's stop event between lines and steps and
        # stop where they are; nothing else moves on its own in the simulator.
        return

    def _do_snapshot(self) -> dict[str, Any]:
        return {
            "driver": "sim",
            "version": 1,
            "seed": self.seed,
            "specimen": self._specimen.identity(),
            "placement": dict(self._placement),
            "reloads": self._reloads,
            "frames": self._frames,
            "stage": self._stage.to_dict(),
            "vacuum": self._vacuum,
            "beam_on": self._beam_on,
            "optics": dict(self._optics),
            "detector": asdict(self._detector),
            "clock_s": self._clock.now_s,
            "faults": self._faults.to_dict(),
        }

    def _do_restore(self, data: dict[str, Any]) -> None:
        if data.get("driver") != "sim" or data.get("version") != 1:
            raise ValueError("not a snapshot of the sim driver (version 1)")
        if data["specimen"] != self._specimen.identity() or data["seed"] != self.seed:
            raise ValueError(
                f"the snapshot's specimen {data['specimen']} (seed {data['seed']}) is not this "
                f"driver's {self._specimen.identity()} (seed {self.seed})"
            )
        self._placement = {k: float(v) for k, v in data["placement"].items()}
        self._reloads = int(data["reloads"])
        self._frames = int(data["frames"])
        self._stage.load(data["stage"])
        vacuum = str(data["vacuum"])
        # A pump or vent interrupted by a restart did not finish: the chamber is not pumped.
        self._vacuum = "vented" if vacuum in ("pumping", "venting") else vacuum
        self._beam_on = bool(data["beam_on"]) and self._vacuum == "pumped"
        self._optics = {k: float(v) for k, v in data["optics"].items()}
        self._detector = DetectorState(**data["detector"])
        self._clock.now_s = float(data["clock_s"])
        self._faults.load(data["faults"])

    # ------------------------------------------------------------------ simulator-only controls

    def reload(
        self,
        shift_x_um: float | None = None,
        shift_y_um: float | None = None,
        rotation_deg: float | None = None,
    ) -> dict[str, Any]:
        """Remount the specimen: shift (µm) and rotate (degrees, about the holder centre, stage
        origin) on top of the current placement; None draws a value from the seed (shift of a few
        hundred µm, rotation within ±3°). Returns `truth()`."""
        with self._lock:
            self._check_idle()
            rng = np.random.default_rng([self.seed, 31, self._reloads])
            magnitude = rng.uniform(150.0, 500.0)
            angle = rng.uniform(0.0, 2 * math.pi)
            random_rot = rng.uniform(-3.0, 3.0)
            dx = magnitude * math.cos(angle) if shift_x_um is None else shift_x_um
            dy = magnitude * math.sin(angle) if shift_y_um is None else shift_y_um
            dr = random_rot if rotation_deg is None else rotation_deg
            for name, value, bound in (
                ("shift_x_um", dx, 10000.0),
                ("shift_y_um", dy, 10000.0),
                ("rotation_deg", dr, 180.0),
            ):
                if not (math.isfinite(value) and abs(value) <= bound):
                    raise RangeError(_SIM, name, f"{name}={value!r} must be within ±{bound:g}")
            p = self._placement
            sx, sy = _rot(dr, p["shift_x_um"], p["shift_y_um"])
            self._placement = {
                "shift_x_um": sx + dx,
                "shift_y_um": sy + dy,
                "rotation_deg": p["rotation_deg"] + dr,
            }
            self._reloads += 1
            return self._truth(None, None)

    def truth(self, x_mm: float | None = None, y_mm: float | None = None) -> dict[str, Any]:
        """Ground truth: placement relative to the first load (shift, rotation, about the stage
        origin), the true and readback stage poses, and where the point that lay at stage (x, y)
        at first load lies now (default: the readback position)."""
        with self._lock:
            return self._truth(x_mm, y_mm)

    def _truth(self, x_mm: float | None, y_mm: float | None) -> dict[str, Any]:
        readback = self._stage.readback
        x = readback.x_mm if x_mm is None else float(x_mm)
        y = readback.y_mm if y_mm is None else float(y_mm)
        p = self._placement
        rx, ry = _rot(p["rotation_deg"], x * 1000, y * 1000)
        now_x = (rx + p["shift_x_um"]) / 1000
        now_y = (ry + p["shift_y_um"]) / 1000
        truth = self._stage.truth
        # The point under the beam now, in first-load stage coordinates (inverse placement).
        bx, by = _rot(
            -p["rotation_deg"],
            truth.x_mm * 1000 - p["shift_x_um"],
            truth.y_mm * 1000 - p["shift_y_um"],
        )
        return {
            "placement": {**p, "centre_x_mm": 0.0, "centre_y_mm": 0.0, "reloads": self._reloads},
            "point": {"x_mm": x, "y_mm": y, "now_x_mm": now_x, "now_y_mm": now_y},
            "stage_truth": truth.to_dict(),
            "stage_readback": readback.to_dict(),
            "beam_at_first_load_mm": {"x_mm": bx / 1000, "y_mm": by / 1000},
            "specimen": self._specimen.identity(),
        }

    def inject_fault(self, kind: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """Arm a fault: ``scan_error`` (device_code, device_message, after_lines, count),
        ``vacuum_loss`` (after_lines, count), ``drop_move`` (silent, fraction, count) or ``slow``
        (factor). `fault=` is accepted for `kind`. Returns every armed fault."""
        if kind is None:
            kind = params.pop("fault", None)
        if not isinstance(kind, str):
            raise RangeError(_SIM, "kind", "name the fault kind")
        with self._lock:
            self._faults.inject(kind, **params)
            return self._faults.armed()

    def clear_faults(self) -> list[dict[str, Any]]:
        """Disarm every fault; returns the (now empty) list of armed faults."""
        with self._lock:
            self._faults.clear()
            return self._faults.armed()

    def armed_faults(self) -> list[dict[str, Any]]:
        """Every armed fault, with its parameters."""
        with self._lock:
            return self._faults.armed()

    def set_detector_response(
        self, gain: float | None = None, offset: float | None = None, gamma: float | None = None
    ) -> InstrumentStateSnapshot:
        """Set the detector's gain, offset (fraction of full scale) and gamma; None = unchanged."""
        with self._lock:
            self._check_idle()
            values = {"gain": gain, "offset": offset, "gamma": gamma}
            bounds = {"gain": (0.01, 100.0), "offset": (-1.0, 1.0), "gamma": (0.1, 10.0)}
            for name, value in values.items():
                if value is not None:
                    lo, hi = bounds[name]
                    if not (math.isfinite(value) and lo <= value <= hi):
                        raise RangeError(
                            _SIM, name, f"{name}={value!r} is outside [{lo:g}, {hi:g}]"
                        )
            self._detector = replace(
                self._detector,
                gain=self._detector.gain if gain is None else float(gain),
                offset=self._detector.offset if offset is None else float(offset),
                gamma=self._detector.gamma if gamma is None else float(gamma),
            )
            return self._do_state()

    def _geometry(self) -> Geometry:
        truth = self._stage.truth
        o = self._optics
        p = self._placement
        return Geometry(
            stage_x_um=truth.x_mm * 1000,
            stage_y_um=truth.y_mm * 1000,
            r_deg=truth.r_deg,
            t_deg=truth.t_deg,
            scan_rotation_deg=o["scan_rotation_deg"],
            beam_shift_x_um=o["beam_shift_x_um"],
            beam_shift_y_um=o["beam_shift_y_um"],
            placement_shift_x_um=p["shift_x_um"],
            placement_shift_y_um=p["shift_y_um"],
            placement_rotation_deg=p["rotation_deg"],
        )
