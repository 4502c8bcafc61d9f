"""The emulated instrument: SharkSEM's state machine and units over the simulator's instant physics.

The simulator (`SimDriver`, through `_physics`) does the physics at once; this class reports
what a Tescan server reports meanwhile (see `_timing`) and behaves as one does where the simulator
would refuse: out-of-range values are clamped without a word, ``HVBeamOn`` without vacuum and
``StgMoveTo`` while the stage is busy are ignored, ``VacVent`` with the beam on switches it off
first.

Units at this edge: view field, WD and image shift in mm (the simulator: µm, mm, µm), voltage in
V (kV), beam current in pA (nA), dwell in µs in the speed table. Image shift goes straight to the
simulator's beam shift, in stage axes. Vacuum codes: 0 pumped, 1 pumping, 2 venting, 3 vacuum off
(vented), −1 error.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Protocol

from semphony.server.drivers import OpticsSettings, StagePose
from semphony.server.drivers.axes import AxisConvention
from semphony.server.drivers.tescan._codec import WAIT_A, WAIT_B, WAIT_C, WAIT_D
from semphony.server.drivers.tescan._commands import Version, parse_version
from semphony.server.drivers.tescan.emulator._faults import Faults
from semphony.server.drivers.tescan.emulator._physics import Physics
from semphony.server.drivers.tescan.emulator._timing import Phase, TimeScale

__all__ = ["BEAM_ON_S", "Channel", "EmulatorConfig", "Instrument"]

BEAM_ON_S = 0.8  # HVGetBeam answers 1000 this long after HVBeamOn
BEAM_OFF_S = 0.3
HV_S_PER_KV = 3.0  # a 30 kV change takes about 90 s, as the manual's "up to ~100 s"
_VACUUM = {"pumped": 0, "pumping": 1, "venting": 2, "vented": 3, "error": -1}
_PRESSURE_PA = {"pumped": 6e-3, "vented": 1e5}
_COLUMN_PA = 2e-5
_GUN_PA = 3e-7
_log = logging.getLogger("semphony.sharksem.emulator")


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulator starts; see the ``emulator`` package docstring for the conventions."""

    seed: int = 0
    specimen_kind: str = "texture"
    time_scale: float = 1.0
    protocol_version: str = "3.2.20"
    serial: str = "EMU-0001"
    mirror_y: bool = False
    scan_turn_deg: int = 0

    def __post_init__(self) -> None:
        parse_version(self.protocol_version)
        AxisConvention(self.mirror_y, self.scan_turn_deg)  # refuses a turn that is not k·90°
        TimeScale(self.time_scale)


@dataclass
class Channel:
    """One scan channel: which detector feeds it, whether it is on, and its depth."""

    detector: int
    enabled: bool
    bpp: int = 8


class _Scan(Protocol):
    def running(self) -> bool: ...


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def _lerp_pose(a: StagePose, b: StagePose, f: float) -> StagePose:
    return StagePose(
        *(x + (y - x) * f for x, y in zip(a.to_dict().values(), b.to_dict().values(), strict=True))
    )


class Instrument:
    """The emulated SEM shared by every client; all methods are thread-safe (one lock)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.version: Version = parse_version(config.protocol_version)
        self.sim = Physics(config.seed, config.specimen_kind)
        self.info = self.sim.info
        self.limits = self.info.limits
        self.lock = threading.RLock()
        self.clock = TimeScale(config.time_scale)
        self.faults = Faults()
        self._vacuum: Phase | None = None
        self._vacuum_code = 1
        self._beam: Phase | None = None
        self._stage: Phase | None = None
        self._stage_from = self._stage_to = self.sim.state().stage
        self._optics: Phase | None = None
        self._auto: Phase | None = None
        self.view_field_mm = self.sim.state().fov_um / 1000
        self.channels = {
            d.channel: Channel(detector=d.channel, enabled=i == 0)
            for i, d in enumerate(self.info.detectors)
        }
        self.speed_index = self.info.default_scan_speed_index + 1  # SharkSEM counts from 1
        self.scan: _Scan | None = None  # the scan generator's current job (set by `_scan`)

    def _sim_clock(self) -> float:
        return self.sim.clock_s()

    @staticmethod
    def _live(phase: Phase | None, observe: bool) -> bool:
        if phase is None:
            return False
        return phase.observe() if observe else phase.running()

    # ------------------------------------------------------------------ vacuum

    def vacuum_status(self, observe: bool = True) -> int:
        with self.lock:
            if self._live(self._vacuum, observe):
                return self._vacuum_code
            return _VACUUM.get(self.sim.state().vacuum, -1)

    def pump(self) -> None:
        with self.lock:
            if self.vacuum_status(observe=False) in (0, 1):
                return
            start = self._sim_clock()
            self.sim.pump()
            self._vacuum = Phase(self.clock, self._sim_clock() - start)
            self._vacuum_code = 1

    def vent(self) -> None:
        with self.lock:
            if self.vacuum_status(observe=False) in (2, 3):
                return
            if self.sim.state().beam_on:  # the column switches the HV off before venting
                self.sim.set_beam(False)
                self._beam = None
            start = self._sim_clock()
            self.sim.vent()
            self._vacuum = Phase(self.clock, self._sim_clock() - start)
            self._vacuum_code = 2

    def pressure_pa(self, gauge: int) -> float | None:
        """Gauge 0 chamber, 1 column, 2 gun; None for another gauge (no answer)."""
        with self.lock:
            if gauge == 1:
                return _COLUMN_PA
            if gauge == 2:
                return _GUN_PA
            if gauge != 0:
                return None
            status = self.vacuum_status(observe=False)
            low, high = math.log10(_PRESSURE_PA["pumped"]), math.log10(_PRESSURE_PA["vented"])
            if status in (1, 2) and self._vacuum is not None:
                f = self._vacuum.fraction()
                start, end = (high, low) if status == 1 else (low, high)
                return float(10 ** (start + (end - start) * f))
            return _PRESSURE_PA["pumped"] if status == 0 else _PRESSURE_PA["vented"]

    # ------------------------------------------------------------------ beam

    def beam_status(self) -> int:
        with self.lock:
            if self._live(self._beam, observe=True):
                return 1000
            return 1 if self.sim.state().beam_on else 0

    def beam_on(self) -> None:
        with self.lock:
            if self.vacuum_status(observe=False) != 0:
                _log.info("HVBeamOn ignored: the vacuum is not ready")
                return
            if self.sim.state().beam_on:
                return
            self.sim.set_beam(True)
            self._beam = Phase(self.clock, BEAM_ON_S)

    def beam_off(self) -> None:
        with self.lock:
            if not self.sim.state().beam_on:
                return
            self.sim.set_beam(False)
            self._beam = Phase(self.clock, BEAM_OFF_S)

    def voltage_v(self) -> float:
        return self.sim.state().hv_kv * 1000

    def set_voltage(self, volts: float) -> Phase:
        """Set the HV (clamped); returns the change's phase (optics busy, wait flag C)."""
        with self.lock:
            kv = _clamp(volts / 1000, self.limits.hv_kv)
            change = abs(kv - self.sim.state().hv_kv)
            self.sim.set_optics(OpticsSettings(hv_kv=kv))
            self._optics = Phase(self.clock, change * HV_S_PER_KV + (0.5 if change else 0.0))
            return self._optics

    def beam_current_pa(self) -> float:
        return self.sim.state().beam_current_na * 1000

    def set_beam_current(self, pa: float) -> None:
        with self.lock:
            na = _clamp(pa / 1000, self.limits.beam_current_na)
            self.sim.set_optics(OpticsSettings(beam_current_na=na))

    # ------------------------------------------------------------------ stage

    def _pose_now(self) -> StagePose:
        if self._stage is None or not self._stage.running():
            return self.sim.state().stage
        return _lerp_pose(self._stage_from, self._stage_to, self._stage.fraction())

    def position(self) -> tuple[float, ...]:
        with self.lock:
            return tuple(self._pose_now().to_dict().values())

    def stage_busy(self, observe: bool = True) -> bool:
        with self.lock:
            return self._live(self._stage, observe)

    def calibrated(self) -> bool:
        return not self.faults.active("stage_uncalibrated")

    def clamp_pose(self, values: dict[str, float]) -> StagePose:
        """Clamp to the travel limits, then z to the pole-piece clearance at that tilt."""
        lim = self.limits
        clamped = {k: _clamp(v, getattr(lim, k)) for k, v in values.items()}
        clamped["z_mm"] = min(clamped["z_mm"], lim.z_max_mm(clamped["t_deg"]))
        return StagePose(**clamped)

    def move_to(self, values: tuple[float, ...]) -> None:
        """Absolute move of the axes given (x, y, z, rotation, tilt); the rest stay put."""
        with self.lock:
            if self.faults.take("ignore_move") is not None:
                _log.info("StgMoveTo ignored (fault ignore_move)")
                return
            if self.stage_busy(observe=False) or not self.calibrated():
                _log.info("StgMoveTo ignored: the stage is busy or not calibrated")
                return
            current = self.sim.state().stage
            wanted = current.to_dict()
            for axis, value in zip(list(wanted), values, strict=False):
                wanted[axis] = value
            target = self.clamp_pose(wanted)
            start = self._sim_clock()
            readback = self.sim.move_stage(target)
            stuck = self.faults.take("stage_busy")
            self._stage_from, self._stage_to = current, readback
            self._stage = Phase(
                self.clock,
                self._sim_clock() - start,
                hold=stuck is not None,
                hold_s=None if stuck is None else stuck["seconds"],
            )

    def stage_stop(self) -> None:
        """Stop a move where it has got to (a stuck stage is released)."""
        with self.lock:
            if not self.stage_busy(observe=False):
                return
            pose = self.clamp_pose(self._pose_now().to_dict())
            self._stage = None
            if pose != self.sim.state().stage:
                self.sim.move_stage(pose)

    def release_stage(self) -> None:
        """End a stuck stage's hold (clearing the faults does)."""
        with self.lock:
            if self._stage is not None:
                self._stage.release()

    def stage_limits(self, kind: int) -> tuple[float, ...] | None:
        """Kind 0 device, 1 software (the same here): min, max of x, y, z, rotation, tilt."""
        if kind not in (0, 1):
            return None
        lim = self.limits
        return tuple(
            v for axis in (lim.x_mm, lim.y_mm, lim.z_mm, lim.r_deg, lim.t_deg) for v in axis
        )

    # ------------------------------------------------------------------ optics

    def set_view_field(self, mm: float) -> None:
        with self.lock:
            lo, hi = self.limits.fov_um
            self.view_field_mm = _clamp(mm, (lo / 1000, hi / 1000))
            self.sim.set_optics(OpticsSettings(fov_um=self.view_field_mm * 1000))

    def wd_mm(self) -> float:
        return self.sim.state().working_distance_mm

    def set_wd(self, mm: float) -> None:
        with self.lock:
            wd = _clamp(mm, self.limits.working_distance_mm)
            self.sim.set_optics(OpticsSettings(working_distance_mm=wd))

    def image_shift_mm(self) -> tuple[float, float]:
        state = self.sim.state()
        return state.beam_shift_x_um / 1000, state.beam_shift_y_um / 1000

    def set_image_shift(self, x_mm: float, y_mm: float) -> None:
        with self.lock:
            bounds = self.limits.beam_shift_um
            self.sim.set_optics(
                OpticsSettings(
                    beam_shift_x_um=_clamp(x_mm * 1000, bounds),
                    beam_shift_y_um=_clamp(y_mm * 1000, bounds),
                )
            )

    def image_rot_deg(self) -> float:
        return self.sim.state().scan_rotation_deg

    def set_image_rot(self, deg: float) -> None:
        with self.lock:
            wrapped = (deg + 180.0) % 360.0 - 180.0  # a rotation wraps; it is never refused
            self.sim.set_optics(OpticsSettings(scan_rotation_deg=wrapped))

    # ------------------------------------------------------------------ detectors and speeds

    def detectors_map(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for k, d in enumerate(self.info.detectors):
            result[f"det.{k}.name"] = d.mode
            result[f"det.{k}.detector"] = str(d.channel)
        return result

    def scanning(self) -> bool:
        scan = self.scan
        return scan is not None and scan.running()

    def select(self, channel: int, detector: int) -> bool:
        """False for an unknown channel or detector (no answer)."""
        with self.lock:
            if channel not in self.channels or detector not in self.channels:
                return False
            if not self.scanning():
                self.channels[channel].detector = detector
            return True

    def enable(self, channel: int, enable: int, bpp: int) -> bool:
        """False for an unknown channel or depth (no answer); ignored while scanning."""
        with self.lock:
            if channel not in self.channels or bpp not in self.limits.bit_depths:
                return False
            if not self.scanning():
                self.channels[channel].enabled = enable != 0
                self.channels[channel].bpp = bpp
            return True

    def speeds_map(self) -> dict[str, str]:
        return {f"speed.{i}.dwell": f"{d:g}" for i, d in enumerate(self.info.scan_speeds_us, 1)}

    def set_speed(self, index: int) -> None:
        with self.lock:
            self.speed_index = min(max(index, 1), len(self.info.scan_speeds_us))

    def dwell_us(self, dwell_ns: int | None) -> float:
        """The table's dwell nearest `dwell_ns` (the current speed when None or 0)."""
        speeds = self.info.scan_speeds_us
        if not dwell_ns:
            return speeds[self.speed_index - 1]
        return min(speeds, key=lambda d: (abs(d - dwell_ns / 1000), d))

    # ------------------------------------------------------------------ busy and waiting

    def start_auto(self, instrument_s: float) -> None:
        self._auto = Phase(self.clock, instrument_s)

    def auto_running(self) -> bool:
        return self._live(self._auto, observe=False)

    def busy(self, mask: int, observe: bool = True) -> bool:
        """Whether a subsystem in `mask` (wait-flag bits) is busy: A scan, B stage, C optics,
        D auto procedures."""
        with self.lock:
            return (
                (bool(mask & WAIT_A) and self.scanning())
                | (bool(mask & WAIT_B) and self._live(self._stage, observe))
                | (bool(mask & WAIT_C) and self._live(self._optics, observe))
                | (bool(mask & WAIT_D) and self._live(self._auto, observe))
            )

    def wait_idle(self, mask: int, stop: threading.Event) -> None:
        """Hold a command sent with wait flags until those subsystems are idle."""
        while self.busy(mask) and not stop.wait(0.005):
            pass

    def wait_phase(self, phase: Phase, stop: threading.Event) -> None:
        """Hold a synchronous command until its phase ends."""
        while phase.observe() and not stop.wait(0.005):
            pass
