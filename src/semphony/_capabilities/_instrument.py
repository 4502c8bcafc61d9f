"""Beam, chamber, stage and optics: the commands that are not imaging."""

from __future__ import annotations

from semphony_api.api.beam import set_beam
from semphony_api.api.chamber import pump_chamber, vent_chamber
from semphony_api.api.optics import set_optics
from semphony_api.api.stage import move_stage
from semphony_api.models.beam import Beam as BeamBody
from semphony_api.models.instrument_state import InstrumentState as StateDoc
from semphony_api.models.operation import Operation

from semphony._capabilities._base import (
    Capability,
    chamber_action,
    move_body,
    move_command,
    moved_pose_of,
    optics_body,
    optics_command,
    parse_state,
    vacuum_of,
)
from semphony._capabilities._operations import wait_operation
from semphony._state import (
    BeamCommand,
    ChamberCommand,
    InstrumentState,
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
        self._guard(ChamberCommand(action=chamber_action(action)))
        fn = pump_chamber.sync_detailed if action == "pump" else vent_chamber.sync_detailed
        operation = self._transport.call(fn, Operation, session_id=self._session.id)
        done = wait_operation(self._transport, operation, timeout_s=timeout_s)
        return vacuum_of(done, action)


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
        command = move_command("move_to", x=x, y=y, z=z, r=r, t=t, relative=False)
        return self._move(command, timeout_s)

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
        command = move_command("move_by", x=x, y=y, z=z, r=r, t=t, relative=True)
        return self._move(command, timeout_s)

    def _move(self, command: StageMoveCommand, timeout_s: float | None) -> StagePose:
        self._guard(command)
        body = move_body(command)
        operation = self._transport.call(
            move_stage.sync_detailed, Operation, session_id=self._session.id, body=body
        )
        return moved_pose_of(wait_operation(self._transport, operation, timeout_s=timeout_s))


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
        command = optics_command(
            fov_um=fov_um,
            working_distance_mm=working_distance_mm,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_um=beam_shift_um,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
            hv_kv=hv_kv,
            beam_current_na=beam_current_na,
        )
        self._guard(command)
        body = optics_body(command)
        doc = self._transport.call(
            set_optics.sync_detailed, StateDoc, session_id=self._session.id, body=body
        )
        return parse_state(doc.to_dict())
