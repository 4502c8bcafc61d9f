"""`Driver`: the template base every driver implements (python-microscope's ``abc.py`` shape).

Public methods read the instrument's state once, check interlocks and ranges against it (the
shared checks in `_checks`), call the ``_do_*`` hooks a concrete driver overrides, and verify by
reading back: a refused command changes nothing, and a command the instrument accepted but did not
carry out (a move that did not happen, a beam that did not come on, a value the column limited)
raises `DeviceMismatchError` instead of succeeding quietly.

Lifecycle. `open()` connects (and reads the device description once), `close()` disconnects,
`health()` says whether the instrument answers now; the server's lifespan drives all three. Every
other public method needs an open driver.

Device access. A driver has one control connection. `_wire()` serialises exchanges on it: the base
holds it while it reads the state; a hook holds it for each exchange it makes and never across a
wait, so a safety command (beam off, stop, cancel) always gets in between the steps of a pump,
a move or a scan. `READS_OVERLAP_SCAN` says whether state reads may go to the device while a long
command runs (True for the simulator and SharkSEM: their control channel is free while the image
arrives on the data channel); when False, reads during a long command answer the last snapshot.

Caching contract. `device_info()` is read once by `open()` and kept until `close()` (identity,
limits and the speed table do not change while connected). `state()` may answer a snapshot up to
`STATE_TTL_S` old; every command with an effect, and the end of every long command, invalidates it;
commands themselves always read afresh (one read before the checks, one read back after acting).

Long commands run in two steps so the checks run once: `prepare_*` (one state read, the checks,
no effect) returns a plan, and `run_*` carries it out with ``progress(done, total)`` and a cancel
event, which the driver waits on between steps (`cancel.wait(dt)`), so a cancel wakes it at once.
While one runs, other commands that change the instrument are refused (`interlock.busy`); beam off,
`stop_motion()` and `safe_stop()` are always accepted. `pump()`, `vent()`, `move_stage()` and
`acquire()` are prepare-then-run in one call.

Persistence (snapshot and restore) is an optional capability: see `Persistent`.
"""

from __future__ import annotations

import abc
import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from semphony.server.drivers import _checks, _readback
from semphony.server.drivers._auto_signal import SignalResult, frame_auto_signal
from semphony.server.drivers._focus_sweep import FocusResult, sweep_focus
from semphony.server.drivers.errors import (
    DeviceMismatchError,
    DriverError,
    DriverUnavailableError,
    InterlockError,
    UnsupportedError,
)
from semphony.server.drivers.types import (
    DetectorSettings,
    DeviceInfo,
    DriverHealth,
    Frame,
    InstrumentStateSnapshot,
    OpticsSettings,
    Progress,
    ScanData,
    ScanPlan,
    ScanRequest,
    StagePlan,
    StagePose,
    StageTarget,
    VacuumPlan,
)

_Cancel = threading.Event | None

__all__ = ["Driver", "Persistent"]

_MOTION = frozenset({"move", "acquire"})


@runtime_checkable
class Persistent(Protocol):
    """A driver whose whole state can be saved and rebuilt (the simulator; hardware cannot)."""

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able dict from which `restore` rebuilds the instrument."""
        ...

    def restore(self, data: dict[str, Any]) -> None:
        """Rebuild the instrument from a `snapshot`; refused while a command runs."""
        ...


def _no_progress(done: int, total: int) -> None:
    """Progress sink used when the caller passes none."""


@dataclass
class _Claim:
    kind: str
    token: threading.Event


class Driver(abc.ABC):
    """The interface the server's services know; see the module docstring for its contracts."""

    STATE_TTL_S: ClassVar[float] = 0.0
    READS_OVERLAP_SCAN: ClassVar[bool] = True
    # Read-back tolerances: a stage axis within this many mm (or degrees) of its target, an optics
    # value within this fraction of what was asked (SharkSEM floats travel as decimal text).
    STAGE_TOLERANCE: ClassVar[float] = 1e-4
    OPTICS_RELATIVE_TOLERANCE: ClassVar[float] = 1e-6

    def __init__(self) -> None:
        self._wire_lock = threading.RLock()
        self._claim_lock = threading.Lock()
        self._claim: _Claim | None = None
        self._opened = False
        self._info: DeviceInfo | None = None
        self._cached: tuple[float, InstrumentStateSnapshot] | None = None
        self.state_reads = 0
        """How many times the state was read from the device (the caching contract's tests)."""

    # ------------------------------------------------------------------------------ lifecycle

    @property
    def address(self) -> str:
        """Where the driver finds its instrument (for messages)."""
        return self._do_address()

    @property
    def is_open(self) -> bool:
        """True between a successful `open()` and `close()`."""
        return self._opened

    def open(self) -> None:
        """Connect to the instrument and read its description; a no-op when already open."""
        with self._wire_lock:
            if self._opened:
                return
            self._do_open()
            try:
                self._info = self._do_device_info()
            except BaseException:
                self._do_close()
                raise
            self._opened = True
            self._cached = None

    def close(self) -> None:
        """Disconnect; a no-op when not open. A running long command is stopped first."""
        self.safe_stop()
        with self._wire_lock:
            if not self._opened:
                return
            self._opened = False
            self._cached = None
            self._do_close()

    def health(self) -> DriverHealth:
        """Whether the instrument answers now (never raises)."""
        if not self._opened:
            return DriverHealth(ok=False, detail="the driver is not open")
        try:
            with self._wire_lock:
                detail = self._do_health()
        except DriverError as exc:
            return DriverHealth(ok=False, detail=str(exc))
        return DriverHealth(ok=True, detail=detail)

    # ---------------------------------------------------------------------------------- reads

    def device_info(self) -> DeviceInfo:
        """Identity, capabilities, limits, scan-speed table and axis conventions (cached)."""
        self._require_open()
        assert self._info is not None
        return self._info

    def state(self, *, max_age_s: float | None = None) -> InstrumentStateSnapshot:
        """The instrument state, at most `max_age_s` old (default `STATE_TTL_S`)."""
        self._require_open()
        limit = self.STATE_TTL_S if max_age_s is None else max_age_s
        cached = self._cached
        if cached is not None:
            if time.monotonic() - cached[0] <= limit:
                return cached[1]
            if not self.READS_OVERLAP_SCAN and self._claim is not None:
                return cached[1]
        return self._read_state()

    def clock_s(self) -> float:
        """The instrument's clock in seconds (for the audit log); never a device round trip."""
        return self._do_clock_s()

    @property
    def busy(self) -> str | None:
        """The long command under way (`pump`, `vent`, `move`, `acquire`), or None."""
        claim = self._claim
        return claim.kind if claim is not None else None

    # ------------------------------------------------------------------------ short commands

    def set_beam(self, on: bool) -> InstrumentStateSnapshot:
        """Switch the beam on (needs vacuum, no long command running) or off (always)."""
        state = self._read_state()
        if on:
            self._check_idle()
        _checks.check_beam(on, state)
        self._do_set_beam(on)
        after = self._read_state()
        if after.beam_on != on:
            raise DeviceMismatchError(
                f"the beam did not come {'on' if on else 'off'}: the instrument still reports it "
                f"{'on' if after.beam_on else 'off'} (vacuum: {after.vacuum})"
            )
        return after

    def set_optics(self, settings: OpticsSettings) -> InstrumentStateSnapshot:
        """Change FOV, working distance, scan rotation, beam shift, HV or beam current."""
        self._read_state()
        self._check_idle()
        _checks.check_optics(settings, self.device_info().limits)
        self._do_set_optics(settings)
        after = self._read_state()
        _readback.verify_optics(settings, after, self.OPTICS_RELATIVE_TOLERANCE)
        return after

    def set_detector(self, settings: DetectorSettings) -> InstrumentStateSnapshot:
        """Select the detector (mode or channel), its bit depth, gain and offset."""
        state = self._read_state()
        self._check_idle()
        resolved = _checks.resolve_detector_settings(self.device_info(), settings, state)
        self._do_set_detector(resolved)
        after = self._read_state()
        _readback.verify_detector(resolved, after)
        return after

    def stop_motion(self) -> InstrumentStateSnapshot:
        """Stop a running scan or stage move now; a pump or vent goes on, the beam is untouched."""
        with self._claim_lock:
            if self._claim is not None and self._claim.kind in _MOTION:
                self._claim.token.set()
        self._do_stop_motion()
        return self._read_state()

    def safe_stop(self) -> None:
        """Stop whatever runs (scan, move, pump, vent) now; always accepted, never raises."""
        with self._claim_lock:
            if self._claim is not None:
                self._claim.token.set()
        if self._opened:
            # The caller is making the instrument safe and reads the state afterwards.
            with contextlib.suppress(DriverError):
                self._do_stop_motion()
        self._cached = None

    # ------------------------------------------------------------------------- long commands

    def prepare_pump(self) -> VacuumPlan:
        """Check a pump-down (refused while another long command runs)."""
        state = self._read_state()
        self._check_idle()
        return VacuumPlan("pump", "pumped", state.vacuum == "pumped", self._do_vacuum_total("pump"))

    def prepare_vent(self) -> VacuumPlan:
        """Check a vent (refused with the beam on)."""
        state = self._read_state()
        self._check_idle()
        _checks.check_vent(state)
        return VacuumPlan("vent", "vented", state.vacuum == "vented", self._do_vacuum_total("vent"))

    def run_vacuum(
        self, plan: VacuumPlan, progress: Progress | None = None, cancel: _Cancel = None
    ) -> str:
        """Carry out a pump or vent plan; returns the vacuum state it reached."""
        if plan.already:
            return plan.target
        token = self._take(plan.kind, cancel)
        try:
            if plan.kind == "pump":
                self._do_pump(plan, progress or _no_progress, token)
            else:
                self._do_vent(plan, progress or _no_progress, token)
        finally:
            self._give_back()
        after = self._read_state()
        if after.vacuum != plan.target:
            raise DeviceMismatchError(
                f"the chamber is {after.vacuum} after the {plan.kind}, not {plan.target}"
            )
        return after.vacuum

    def prepare_move(self, target: StageTarget) -> StagePlan:
        """Resolve `target` against a fresh readback; refused outside travel or clearance."""
        state = self._read_state()
        self._check_idle()
        pose = _checks.resolve_move(target, state, self.device_info().limits)
        return StagePlan(target=pose, start=state.stage)

    def run_move(
        self,
        plan: StagePlan,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> StagePose:
        """Move as planned; returns the readback, verified against the target."""
        token = self._take("move", cancel)
        try:
            self._do_move_stage(plan, progress or _no_progress, token)
        finally:
            self._give_back()
        after = self._read_state().stage
        _readback.verify_stage(plan.target, after, self.STAGE_TOLERANCE)
        return after

    def prepare_acquire(self, request: ScanRequest) -> ScanPlan:
        """Resolve `request` into the values the device will apply, or refuse it."""
        state = self._read_state()
        self._check_idle()
        plan = _checks.plan_scan(self.device_info(), state, request)
        if not state.beam_on:
            raise InterlockError("interlock.beam_required", "switch the beam on before scanning")
        return plan

    def run_acquire(
        self,
        plan: ScanPlan,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Frame:
        """Apply the plan's FOV, WD and detector, verify them, scan, and echo what was applied."""
        token = self._take("acquire", cancel)
        try:
            optics = OpticsSettings(
                fov_um=plan.fov_um, working_distance_mm=plan.working_distance_mm
            )
            detector = DetectorSettings(plan.mode, plan.detector_channel, plan.bit_depth)
            self._do_set_optics(optics)
            self._do_set_detector(detector)
            state = self._read_state()
            _readback.verify_optics(optics, state, self.OPTICS_RELATIVE_TOLERANCE)
            _readback.verify_detector(detector, state)
            data: ScanData = self._do_acquire(plan, progress or _no_progress, token)
        finally:
            self._give_back()
        return Frame(
            pixels=data.pixels,
            applied=plan.applied(),
            ignored_fields=list(plan.ignored_fields),
            stage=state.stage,
            clock_s_start=data.clock_s_start,
            clock_s_end=data.clock_s_end,
            state=state,
        )

    def pump(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> str:
        """Pump the chamber down; returns the vacuum state (``pumped``)."""
        return self.run_vacuum(self.prepare_pump(), progress, cancel)

    def vent(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> str:
        """Vent the chamber; returns the vacuum state (``vented``)."""
        return self.run_vacuum(self.prepare_vent(), progress, cancel)

    def move_stage(
        self,
        target: StageTarget,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> StagePose:
        """Move the stage; returns the readback pose. Cancel leaves it where it got to."""
        return self.run_move(self.prepare_move(target), progress, cancel)

    def acquire(
        self, request: ScanRequest, progress: Progress | None = None, cancel: _Cancel = None
    ) -> Frame:
        """Check, then scan one frame."""
        return self.run_acquire(self.prepare_acquire(request), progress, cancel)

    def autofocus(
        self,
        *,
        fov_um: float,
        span_mm: float = 0.3,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> FocusResult:
        """Find and set the WD that brings the surface under the beam into focus (`_do_autofocus`:
        the instrument's own autofocus where it has one, else a WD sweep over ±`span_mm`)."""
        self._read_state()
        self._check_idle()
        return self._do_autofocus(fov_um, span_mm, progress or _no_progress, cancel)

    def _do_autofocus(
        self, fov_um: float, span_mm: float, progress: Progress, cancel: threading.Event | None
    ) -> FocusResult:
        """The WD sweep (`_focus_sweep`); a driver with its own autofocus overrides this."""
        stop = cancel if cancel is not None else threading.Event()
        return sweep_focus(self, fov_um=fov_um, span_mm=span_mm, progress=progress, cancel=stop)

    def prepare_auto_signal(self) -> InstrumentStateSnapshot:
        """Check that an auto signal can run (the driver has it, nothing else runs, the beam is
        on); the state it starts from."""
        info = self.device_info()
        if "auto_signal" not in info.capabilities:
            raise UnsupportedError("auto_signal", f"the {info.driver} driver has no auto signal")
        return self._need_beam("auto signal")

    def run_auto_signal(
        self,
        start: InstrumentStateSnapshot,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> SignalResult:
        """Set contrast and brightness so the image fills the range (`_do_auto_signal`: the
        instrument's own where it has one, else gain and offset from a frame)."""
        return self._do_auto_signal(start, progress or _no_progress, cancel or threading.Event())

    def auto_signal(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> SignalResult:
        """Check, then set contrast and brightness (`prepare_auto_signal`, `run_auto_signal`)."""
        return self.run_auto_signal(self.prepare_auto_signal(), progress, cancel)

    def _do_auto_signal(
        self, start: InstrumentStateSnapshot, progress: Progress, cancel: threading.Event
    ) -> SignalResult:
        """Gain and offset from a frame (`_auto_signal`); a driver with its own overrides this."""
        return frame_auto_signal(self, start, progress=progress, cancel=cancel)

    def _need_beam(self, what: str) -> InstrumentStateSnapshot:
        """One state read: the instrument must be idle and its beam on before `what`."""
        state = self._read_state()
        self._check_idle()
        if not state.beam_on:
            raise InterlockError("interlock.beam_required", f"switch the beam on before {what}")
        return state

    # ----------------------------------------------------------------------------- helpers

    @contextmanager
    def _wire(self) -> Iterator[None]:
        """Hold the control connection for one exchange (see "Device access")."""
        with self._wire_lock:
            yield

    def _require_open(self) -> None:
        if not self._opened:
            raise DriverUnavailableError(self.address, "the driver is not open")

    def _read_state(self) -> InstrumentStateSnapshot:
        self._require_open()
        with self._wire_lock:
            snap = self._do_state()
            self.state_reads += 1
            self._cached = (time.monotonic(), snap)
        return snap

    def _check_idle(self) -> None:
        claim = self._claim
        if claim is not None:
            raise InterlockError("interlock.busy", f"the instrument is busy ({claim.kind})")

    def _take(self, kind: str, cancel: threading.Event | None) -> threading.Event:
        """Claim the instrument for a long command; its cancel event is what it waits on."""
        self._require_open()
        with self._claim_lock:
            self._check_idle()
            token = cancel if cancel is not None else threading.Event()
            self._claim = _Claim(kind, token)
        return token

    def _give_back(self) -> None:
        with self._claim_lock:
            self._claim = None
        self._cached = None

    # --------------------------------------------------------------- what a driver overrides

    def _do_address(self) -> str:
        """Where the instrument is (a host:port); the simulator says so."""
        return "in-process"

    def _do_open(self) -> None:  # noqa: B027 (optional hook: a simulator has nothing to open)
        """Connect; raise `DriverUnavailableError` naming the address when it cannot."""

    def _do_close(self) -> None:  # noqa: B027 (optional hook)
        """Disconnect (data connections first, then control)."""

    def _do_health(self) -> str:
        """Check the instrument answers (a cheap read); return what was checked."""
        self._do_state()
        return "the instrument answers"

    def _do_clock_s(self) -> float:
        """The instrument clock; the default is the host's monotonic clock."""
        return time.monotonic()

    def _do_vacuum_total(self, kind: str) -> int:
        """How many progress units (seconds) a pump or vent is expected to take; 0 if unknown."""
        return 0

    @abc.abstractmethod
    def _do_device_info(self) -> DeviceInfo:
        """Describe the device (called once, by `open()`)."""

    @abc.abstractmethod
    def _do_state(self) -> InstrumentStateSnapshot:
        """Read the instrument state (the wire lock is held)."""

    @abc.abstractmethod
    def _do_set_beam(self, on: bool) -> None:
        """Switch the beam and wait until it settles; the interlock is already checked."""

    @abc.abstractmethod
    def _do_pump(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        """Pump down to ``pumped``; raise `Cancelled` when `cancel` is set."""

    @abc.abstractmethod
    def _do_vent(self, plan: VacuumPlan, progress: Progress, cancel: threading.Event) -> None:
        """Vent to ``vented``; raise `Cancelled` when `cancel` is set."""

    @abc.abstractmethod
    def _do_move_stage(self, plan: StagePlan, progress: Progress, cancel: threading.Event) -> None:
        """Move to the checked absolute target; stop and raise `Cancelled` on cancel."""

    @abc.abstractmethod
    def _do_set_optics(self, settings: OpticsSettings) -> None:
        """Apply the checked non-None optics settings."""

    @abc.abstractmethod
    def _do_set_detector(self, settings: DetectorSettings) -> None:
        """Apply a resolved detector (mode and channel given) and optional depth, gain, offset."""

    @abc.abstractmethod
    def _do_acquire(self, plan: ScanPlan, progress: Progress, cancel: threading.Event) -> ScanData:
        """Scan one frame as planned, reporting lines; stop and raise `Cancelled` on cancel."""

    @abc.abstractmethod
    def _do_stop_motion(self) -> None:
        """Stop scan and stage motion at once (running commands also see their cancel event)."""
