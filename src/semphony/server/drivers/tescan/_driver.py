"""`TescanDriver`: a Tescan SEM over SharkSEM behind the driver interface.

Units are converted here and nowhere else: view field, WD and image shift travel in mm (ours: µm
for the field and the shift), HV in V (ours kV), beam current in pA (ours nA), dwell in µs in the
speed table and ns in `ScScanXY`. Every command with an effect is read back by the base (the
column clamps silently); what SharkSEM cannot read back (the detector on a scan channel, its
depth) is reported as the driver last set it, on connect too (channel 0 on the first detector at
8 bit). Detector gain and offset are not offered: SharkSEM's own auto signal (`auto_signal`) sets
contrast and brightness. `clock_s` is host seconds since connect at the instrument's last change
(SharkSEM has no clock), so an unchanged instrument reads back unchanged.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

from semphony.server.drivers._auto_signal import SignalResult, signal_range
from semphony.server.drivers._focus_sweep import FocusResult, sharpness
from semphony.server.drivers.base import Driver
from semphony.server.drivers.errors import (
    Cancelled,
    DeviceFault,
    DeviceMismatchError,
    DriverUnavailableError,
    UnsupportedError,
)
from semphony.server.drivers.tescan._autos import run_auto
from semphony.server.drivers.tescan._codec import WAIT_C
from semphony.server.drivers.tescan._connection import DEFAULT_PORT, Connection
from semphony.server.drivers.tescan._data import DataChannel
from semphony.server.drivers.tescan._errors import SharkSemError
from semphony.server.drivers.tescan._identity import Nominal, read_device_info, read_version
from semphony.server.drivers.tescan._link import Link, poll
from semphony.server.drivers.tescan._scan import SCAN_CHANNEL, scan_frame
from semphony.server.drivers.tescan._stage import move_stage, pose_of
from semphony.server.drivers.types import (
    DetectorSettings,
    DetectorState,
    DeviceInfo,
    InstrumentStateSnapshot,
    OpticsSettings,
    Progress,
    ScanData,
    ScanPlan,
    ScanRequest,
    StagePlan,
    VacuumPlan,
)

__all__ = ["TescanDriver"]

_STATE_READS = (
    "VacGetStatus",
    "HVGetBeam",
    "HVGetVoltage",
    "StgGetPosition",
    "GetViewField",
    "GetWD",
    "GetImageShift",
)
_VACUUM = {0: "pumped", 1: "pumping", 2: "venting", 3: "vented", 4: "vented", -1: "error"}
_SWITCHING = 1000  # HVGetBeam while the beam switches on or off
_NOMINAL_PUMP_S = 180
_NOMINAL_VENT_S = 60
_AT_REST = (0, 3, 4)  # pumped, vacuum off, chamber open: a pump or vent must leave these


class _Either:
    """Set when either event is: the command's cancel token, or the driver's scan abort."""

    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        self._a, self._b = a, b

    def is_set(self) -> bool:
        return self._a.is_set() or self._b.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (timeout or 0.0)
        while not self.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._a.wait(min(left, 0.02))
        return True


class TescanDriver(Driver):
    """A Tescan microscope at `host`:`port` (data channel `port` + 1).

    `timeout_s` bounds every awaited reply; `move_timeout_s` how long the stage may stay busy,
    `vacuum_timeout_s` a pump or vent, `beam_timeout_s` the beam switching; `nominal` holds the
    ranges SharkSEM cannot report (see `_identity`).
    """

    STATE_TTL_S: ClassVar[float] = 0.1
    READS_OVERLAP_SCAN: ClassVar[bool] = True
    STAGE_TOLERANCE: ClassVar[float] = 1e-4

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout_s: float = 5.0,
        move_timeout_s: float = 120.0,
        vacuum_timeout_s: float = 1200.0,
        beam_timeout_s: float = 60.0,
        nominal: Nominal | None = None,
    ) -> None:
        super().__init__()
        self._conn = Connection(host, port, timeout_s=timeout_s)
        self._link = Link(self._conn, self._wire)
        self._data = DataChannel(self._conn)
        self.move_timeout_s = move_timeout_s
        self.vacuum_timeout_s = vacuum_timeout_s
        self.beam_timeout_s = beam_timeout_s
        self.no_effect_s = 5.0  # a pump or vent that has not changed the status by then failed
        self.nominal = nominal or Nominal()
        self._t0 = time.monotonic()
        self._mark = 0.0
        self._abort = threading.Event()  # beam off or stop during a scan
        self._frame_id = 0
        self._detector = DetectorState("SE", 0, 1.0, 0.0, 1.0, 8)

    @property
    def protocol_version(self) -> str:
        """The server's SharkSEM version (read at connect)."""
        return self._link.version_text

    # ------------------------------------------------------------------ lifecycle

    def _do_address(self) -> str:
        return self._link.address

    def _do_open(self) -> None:
        try:
            self._conn.open()
            read_version(self._link)
        except SharkSemError as exc:
            self._conn.close()
            raise DriverUnavailableError(self.address, exc.message) from exc
        except BaseException:
            self._conn.close()
            raise
        self._t0 = time.monotonic()
        self._mark = 0.0

    def _do_close(self) -> None:
        self._conn.close()  # the data channel first (its before-close hook), then control

    def _do_health(self) -> str:
        status = self._link.get_int("VacGetStatus")
        return f"SharkSEM {self.protocol_version} at {self.address} answers (vacuum {status})"

    def _do_clock_s(self) -> float:
        return time.monotonic() - self._t0

    def _tick(self) -> None:
        self._mark = self._do_clock_s()

    def _do_device_info(self) -> DeviceInfo:
        info = read_device_info(self._link, self.nominal)
        first = info.detectors[0]
        # Put what the driver will report on the instrument: SharkSEM cannot read it back.
        self._link.call("DtSelect", SCAN_CHANNEL, first.channel)
        self._link.call("DtEnable", SCAN_CHANNEL, 1, 8)
        self._detector = DetectorState(first.mode, first.channel, 1.0, 0.0, 1.0, 8)
        return info

    # ------------------------------------------------------------------ reads

    def _do_state(self) -> InstrumentStateSnapshot:
        link = self._link
        # Read-only and independent: one batch, one round trip (a real link's latency counts).
        optional = [n for n in ("GetImageRot", "GetBeamCurrent") if link.has(n)]
        got = link.read_many(*_STATE_READS, *optional)
        shift = got.get_floats("GetImageShift")
        beam = got.get_int("HVGetBeam")
        return InstrumentStateSnapshot(
            vacuum=_VACUUM.get(got.get_int("VacGetStatus"), "error"),
            beam_on=beam == 1,  # 1000 (switching) and -1 (error) are not a usable beam
            hv_kv=round(got.get_float("HVGetVoltage") / 1000, 9),
            beam_current_na=round(got.get_float("GetBeamCurrent", 0.0) / 1000, 12),
            stage=pose_of(got.get_floats("StgGetPosition")),
            fov_um=round(got.get_float("GetViewField") * 1000, 9),
            working_distance_mm=got.get_float("GetWD"),
            scan_rotation_deg=got.get_float("GetImageRot", 0.0),
            beam_shift_x_um=round(shift[0] * 1000, 9),
            beam_shift_y_um=round(shift[1] * 1000, 9) if len(shift) > 1 else 0.0,
            detector=self._detector,
            clock_s=self._mark,
        )

    # ------------------------------------------------------------------ beam and vacuum

    def _do_set_beam(self, on: bool) -> None:
        if not on:
            self._abort.set()  # a scan under way ends: its image would be black
        self._link.call("HVBeamOn" if on else "HVBeamOff")
        self._tick()
        want = 1 if on else 0
        for elapsed in poll(None, 0.01, 0.2):
            status = self._link.get_int("HVGetBeam")
            if status == want:
                return
            if status == -1:
                raise DeviceFault(-1, "HVGetBeam answered -1: the gun or its filament failed")
            # Not switching after a second: ignored (the base says the beam did not come on).
            limit = self.beam_timeout_s if status == _SWITCHING else 1.0
            if elapsed > limit:
                return

    def _do_vacuum_total(self, kind: str) -> int:
        return _NOMINAL_PUMP_S if kind == "pump" else _NOMINAL_VENT_S

    def _do_pump(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        self._run_vacuum("VacPump", 0, plan.total, progress, cancel)

    def _do_vent(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        self._run_vacuum("VacVent", 3, plan.total, progress, cancel)

    def _run_vacuum(
        self, command: str, target: int, total: int, progress: Progress, cancel: threading.Event
    ) -> None:
        before = self._link.get_int("VacGetStatus")
        self._link.call(command)
        self._tick()
        for elapsed in poll(cancel, 0.02, 1.0):
            status = self._link.get_int("VacGetStatus")
            progress(min(int(elapsed), max(total - 1, 0)) if status != target else total, total)
            if status == target or (target == 3 and status == 4):
                self._tick()
                return
            if status == -1:
                raise DeviceFault(-1, f"VacGetStatus answered -1 (vacuum error) during {command}")
            if status == before and before in _AT_REST and elapsed > self.no_effect_s:
                raise DeviceMismatchError(
                    f"{command} had no effect: the vacuum status is still {status} "
                    f"({_VACUUM.get(status, '?')}, 4 = chamber open) after {elapsed:.0f} s"
                )
            if elapsed > self.vacuum_timeout_s:
                raise DeviceFault(
                    None,
                    f"{command}: the vacuum status is still {status} "
                    f"({_VACUUM.get(status, '?')}) after {self.vacuum_timeout_s:g} s",
                )
        # SharkSEM has no command that stops a pump or a vent: it goes on.
        raise Cancelled(f"stopped waiting for {command}; the instrument carries on with it")

    # ------------------------------------------------------------------ stage

    def _do_move_stage(self, plan: StagePlan, progress: Progress, cancel: threading.Event) -> None:
        try:
            move_stage(
                self._link,
                plan,
                progress,
                cancel,
                timeout_s=self.move_timeout_s,
                tolerance=self.STAGE_TOLERANCE,
            )
        finally:
            self._tick()

    # ------------------------------------------------------------------ optics and detector

    def _do_set_optics(self, settings: OpticsSettings) -> None:
        link = self._link
        # Refuse what this protocol cannot do before sending anything.
        if settings.scan_rotation_deg is not None and not link.has("SetImageRot"):
            raise UnsupportedError(
                "scan_rotation_deg",
                f"scan rotation not available on protocol {link.version_text} (SetImageRot "
                "needs SharkSEM 3.2.1)",
            )
        if settings.beam_current_na is not None and not link.has("SetBeamCurrent"):
            raise UnsupportedError(
                "beam_current_na",
                f"beam current not available on protocol {link.version_text} (needs 2.0.19)",
            )
        try:
            self._apply_optics(settings)
        finally:
            self._tick()

    def _apply_optics(self, s: OpticsSettings) -> None:
        link = self._link
        if s.hv_kv is not None:
            link.call("HVSetVoltage", s.hv_kv * 1000, 1)  # async: watch the optics (wait C)
            for elapsed in poll(None, 0.02, 1.0):
                if not link.get_int("IsBusy", WAIT_C):
                    break
                if elapsed > self.beam_timeout_s * 3:
                    raise DeviceFault(None, f"the HV change to {s.hv_kv:g} kV did not end")
        if s.beam_current_na is not None:
            link.call("SetBeamCurrent", s.beam_current_na * 1000)
        if s.fov_um is not None:
            link.call("SetViewField", s.fov_um / 1000)
        if s.working_distance_mm is not None:
            link.call("SetWD", s.working_distance_mm)
        if s.scan_rotation_deg is not None:
            link.call("SetImageRot", s.scan_rotation_deg)
        if s.beam_shift_x_um is not None or s.beam_shift_y_um is not None:
            x_mm, y_mm = link.get_floats("GetImageShift")[:2]
            if s.beam_shift_x_um is not None:
                x_mm = s.beam_shift_x_um / 1000
            if s.beam_shift_y_um is not None:
                y_mm = s.beam_shift_y_um / 1000
            link.call("SetImageShift", x_mm, y_mm)

    def _do_set_detector(self, settings: DetectorSettings) -> None:
        for name in ("gain", "offset"):
            if getattr(settings, name) is not None:
                raise UnsupportedError(
                    name,
                    f"detector {name} is not offered over SharkSEM by this driver; use the "
                    "instrument's auto signal (contrast and brightness)",
                )
        d = self._detector
        mode = settings.mode or d.mode
        channel = d.channel if settings.channel is None else settings.channel
        bpp = settings.bit_depth or d.bit_depth
        if channel != d.channel:
            self._link.call("DtSelect", SCAN_CHANNEL, channel)
        if bpp != d.bit_depth or channel != d.channel:
            self._link.call("DtEnable", SCAN_CHANNEL, 1, bpp)
        self._detector = DetectorState(mode, channel, d.gain, d.offset, d.gamma, bpp)
        self._tick()

    # ------------------------------------------------------------------ scanning

    def _do_acquire(self, plan: ScanPlan, progress: Progress, cancel: threading.Event) -> ScanData:
        self._abort.clear()
        self._frame_id = self._frame_id % 0xFFFFFFFF + 1
        either = _Either(cancel, self._abort)
        try:
            return scan_frame(
                self._link, self._data, plan, self._frame_id, progress, either, self._do_clock_s
            )
        except Cancelled as exc:
            if self._abort.is_set() and not cancel.is_set():
                raise Cancelled(f"{exc}; the scan ended because the beam was switched off") from exc
            raise
        finally:
            self._tick()

    def _do_stop_motion(self) -> None:
        self._abort.set()
        self._link.call("ScStopScan")
        self._link.call("StgStop")

    # ------------------------------------------------------------------ the instrument's autos

    def _do_autofocus(
        self, fov_um: float, span_mm: float, progress: Progress, cancel: threading.Event | None
    ) -> FocusResult:
        """`AutoWD` within ±`span_mm` at `fov_um`, with a small frame before and after it whose
        sharpness (the sweep's measure) says what it achieved."""
        token = cancel if cancel is not None else threading.Event()
        start = self._need_beam("autofocus")
        lo_limit, hi_limit = self.device_info().limits.working_distance_mm
        wd = start.working_distance_mm
        lo, hi = max(lo_limit, wd - span_mm), min(hi_limit, wd + span_mm)
        probe = ScanRequest(fov_um=fov_um, resolution=(128, 128))
        before = sharpness(self.acquire(probe, cancel=token).pixels)
        self._auto("autofocus", "AutoWD", (SCAN_CHANNEL, lo, hi), progress, token, nominal_s=30.0)
        frame = self.acquire(probe, cancel=token)
        return FocusResult(
            working_distance_mm=frame.state.working_distance_mm,
            sharpness=sharpness(frame.pixels),
            start_sharpness=before,
            instrument_s=frame.state.clock_s - start.clock_s,
            frames=2,
            method="instrument",
        )

    def _do_auto_signal(
        self, start: InstrumentStateSnapshot, progress: Progress, cancel: threading.Event
    ) -> SignalResult:
        """The instrument's auto contrast and brightness (`DtAutoSignal`) on the scan channel, then
        a small frame that measures the range the image now covers."""
        self._auto("auto_signal", "DtAutoSignal", (SCAN_CHANNEL,), progress, cancel, nominal_s=5.0)
        probe = ScanRequest(fov_um=start.fov_um, resolution=(128, 128), bit_depth=16)
        frame = self.acquire(probe, cancel=cancel)
        low, high = signal_range(frame.pixels, 16)
        return SignalResult(
            low_fraction=low,
            high_fraction=high,
            gain=None,
            offset=None,
            instrument_s=frame.state.clock_s - start.clock_s,
            frames=1,
            method="instrument",
        )

    def _auto(
        self,
        kind: str,
        command: str,
        args: tuple[float | int, ...],
        progress: Progress,
        cancel: threading.Event,
        *,
        nominal_s: float,
    ) -> None:
        token = self._take(kind, cancel)
        try:
            run_auto(
                self._link,
                command,
                args,
                progress,
                token,
                nominal_s=nominal_s,
                timeout_s=self.move_timeout_s,
            )
        finally:
            self._give_back()
            self._tick()
