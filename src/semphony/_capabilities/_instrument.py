"""Beam, chamber, stage and optics: the commands that are not imaging."""

from __future__ import annotations

from semphony_api.api.beam import set_beam
from semphony_api.api.chamber import pump_chamber, vent_chamber
from semphony_api.api.optics import set_optics
from semphony_api.api.stage import move_stage
from semphony_api.models.beam import Beam as BeamBody
from semphony_api.models.instrument_state import InstrumentState as StateDoc
from semphony_api.models.move_result import MoveResult
from semphony_api.models.operation import Operation
from semphony_api.models.optics_settings import OpticsSettings
from semphony_api.models.stage_move import StageMove
from semphony_api.models.vacuum_result import VacuumResult

from semphony._capabilities._base import Capability, parse_pose, parse_state
from semphony._capabilities._operations import wait_operation
from semphony._exceptions import InvalidResponseError
from semphony._state import (
    BeamCommand,
    ChamberCommand,
    InstrumentState,
    OpticsCommand,
    StageMoveCommand,
    StagePose,
)

__all__ = ["BeamControl", "ChamberControl", "OpticsControl", "StageControl"]


class BeamControl(Capability):
    """The electron beam (high voltage)."""

    def on(self) -> InstrumentState:
        """Switch the beam on; the state after."""
        return self._set(True)

    def off(self) -> InstrumentState:
        """Switch the beam off; the state after."""
        return self._set(False)

    def _set(self, on: bool) -> InstrumentState:
        self._guard(BeamCommand(on=on))
        doc = self._transport.call(
            set_beam.sync_detailed, StateDoc, session_id=self._session.id, body=BeamBody(on=on)
        )
        return parse_state(doc.to_dict())


class ChamberControl(Capability):
    """The specimen chamber's vacuum."""

    def pump(self, *, timeout_s: float | None = None) -> str:
        """Pump to vacuum and wait (at most `timeout_s`, then cancel); the vacuum state after."""
        return self._run("pump", timeout_s)

    def vent(self, *, timeout_s: float | None = None) -> str:
        """Vent to air and wait (at most `timeout_s`, then cancel); the vacuum state after."""
        return self._run("vent", timeout_s)

    def _run(self, action: str, timeout_s: float | None) -> str:
        command = ChamberCommand(action="pump" if action == "pump" else "vent")
        self._guard(command)
        fn = pump_chamber.sync_detailed if action == "pump" else vent_chamber.sync_detailed
        operation = self._transport.call(fn, Operation, session_id=self._session.id)
        done = wait_operation(self._transport, operation, timeout_s=timeout_s)
        if not isinstance(done.result, VacuumResult):
            raise InvalidResponseError(f"the {action} operation {done.id} has no vacuum result")
        return done.result.vacuum


class StageControl(Capability):
    """The specimen stage: x, y, z in mm; rotation r and tilt t in degrees."""

    def position(self) -> StagePose:
        """Where the stage reports it is (a read: no guardrail)."""
        return self._session.state().stage

    def move_to(
        self,
        *,
        x: float | None = None,
        y: float | None = None,
        z: float | None = None,
        r: float | None = None,
        t: float | None = None,
        timeout_s: float | None = None,
    ) -> StagePose:
        """Move to an absolute position (mm, degrees; axes left None stay); the pose after."""
        return self._move(StageMoveCommand(x, y, z, r, t, relative=False), timeout_s, "move_to")

    def move_by(
        self,
        *,
        x: float | None = None,
        y: float | None = None,
        z: float | None = None,
        r: float | None = None,
        t: float | None = None,
        timeout_s: float | None = None,
    ) -> StagePose:
        """Move by a step (mm, degrees; axes left None stay); the pose after."""
        return self._move(StageMoveCommand(x, y, z, r, t, relative=True), timeout_s, "move_by")

    def _move(self, command: StageMoveCommand, timeout_s: float | None, name: str) -> StagePose:
        if not command.axes:
            raise ValueError(f"stage.{name} needs at least one of x, y, z (mm), r, t (degrees)")
        self._guard(command)
        # Only the moved axes are sent: an absent axis stays where it is.
        axes = {k: v for k, v in vars(command).items() if k != "relative" and v is not None}
        body = StageMove.from_dict({**axes, "relative": command.relative})
        operation = self._transport.call(
            move_stage.sync_detailed, Operation, session_id=self._session.id, body=body
        )
        done = wait_operation(self._transport, operation, timeout_s=timeout_s)
        if not isinstance(done.result, MoveResult):
            raise InvalidResponseError(f"the move operation {done.id} has no pose in its result")
        return parse_pose(done.result.pose.to_dict())


class OpticsControl(Capability):
    """Field of view, working distance, scan rotation, beam shift, high voltage, beam current."""

    def set(
        self,
        *,
        fov_um: float | None = None,
        working_distance_mm: float | None = None,
        scan_rotation_deg: float | None = None,
        beam_shift_um: tuple[float, float] | None = None,
        beam_shift_x_um: float | None = None,
        beam_shift_y_um: float | None = None,
        hv_kv: float | None = None,
        beam_current_na: float | None = None,
    ) -> InstrumentState:
        """Change the given settings (others stay); the state after.

        Beam shift is `beam_shift_um=(x, y)` or `beam_shift_x_um` / `beam_shift_y_um`, not both.
        """
        if beam_shift_um is not None:
            if beam_shift_x_um is not None or beam_shift_y_um is not None:
                raise ValueError(
                    "optics.set: give beam_shift_um=(x, y) or beam_shift_x_um/beam_shift_y_um, "
                    "not both"
                )
            if len(beam_shift_um) != 2:
                raise ValueError(
                    f"optics.set: beam_shift_um must be a pair (x, y) in µm, got {beam_shift_um!r}"
                )
            beam_shift_x_um, beam_shift_y_um = beam_shift_um
        command = OpticsCommand(
            fov_um=fov_um,
            working_distance_mm=working_distance_mm,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
            hv_kv=hv_kv,
            beam_current_na=beam_current_na,
        )
        if all(v is None for v in vars(command).values()):
            raise ValueError("optics.set needs at least one setting to change")
        self._guard(command)
        body = OpticsSettings(**{k: v for k, v in vars(command).items() if v is not None})
        doc = self._transport.call(
            set_optics.sync_detailed, StateDoc, session_id=self._session.id, body=body
        )
        return parse_state(doc.to_dict())
