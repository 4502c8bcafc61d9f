"""Beam, chamber, stage and optics of an `AsyncSession`: the async twins of `_instrument`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from semphony_api.api.beam import set_beam
from semphony_api.api.chamber import pump_chamber, vent_chamber
from semphony_api.api.optics import set_optics
from semphony_api.api.stage import move_stage
from semphony_api.models.beam import Beam as BeamBody
from semphony_api.models.instrument_state import InstrumentState as StateDoc

from semphony._capabilities._async_operations import async_start_operation, async_wait_operation
from semphony._capabilities._base import (
    chamber_action,
    move_body,
    move_command,
    moved_pose_of,
    optics_body,
    optics_command,
    parse_state,
    vacuum_of,
)
from semphony._state import (
    BeamCommand,
    ChamberCommand,
    Command,
    InstrumentState,
    StageMoveCommand,
    StagePose,
)
from semphony._transport import AsyncTransport

if TYPE_CHECKING:
    from semphony._async_session import AsyncSession

__all__ = [
    "AsyncBeamControl",
    "AsyncCapability",
    "AsyncChamberControl",
    "AsyncOpticsControl",
    "AsyncStageControl",
]


class AsyncCapability:
    """One part of the instrument an `AsyncSession` controls; checks exactly as `Capability`.

    Every command method builds its command, reads the state afresh, asks the session's
    guardrails, and only then sends; a refusal sends nothing. Reads are never judged.
    """

    def __init__(self, session: AsyncSession, transport: AsyncTransport) -> None:
        self._session = session
        self._transport = transport

    async def _guard(self, command: Command) -> InstrumentState:
        """Raise `SemphonyGuardrailException` unless the guardrails allow `command` now."""
        state = await self._session.state()
        self._session.guardrails.check(command, state)
        return state


class AsyncBeamControl(AsyncCapability):
    """The electron beam (high voltage)."""

    async def on(self) -> InstrumentState:
        """Switch the beam on; the state after."""
        return await self._set(True)

    async def off(self) -> InstrumentState:
        """Switch the beam off; the state after."""
        return await self._set(False)

    async def _set(self, on: bool) -> InstrumentState:
        await self._guard(BeamCommand(on=on))
        doc = await self._transport.call(
            set_beam.asyncio_detailed, StateDoc, session_id=self._session.id, body=BeamBody(on=on)
        )
        return parse_state(doc.to_dict())


class AsyncChamberControl(AsyncCapability):
    """The specimen chamber's vacuum."""

    async def pump(self, *, timeout_s: float | None = None) -> str:
        """Pump to vacuum and wait (at most `timeout_s`, then cancel); the vacuum state after."""
        return await self._run("pump", timeout_s)

    async def vent(self, *, timeout_s: float | None = None) -> str:
        """Vent to air and wait (at most `timeout_s`, then cancel); the vacuum state after."""
        return await self._run("vent", timeout_s)

    async def _run(self, action: str, timeout_s: float | None) -> str:
        await self._guard(ChamberCommand(action=chamber_action(action)))
        fn = pump_chamber.asyncio_detailed if action == "pump" else vent_chamber.asyncio_detailed
        operation = await async_start_operation(self._transport, fn, session_id=self._session.id)
        done = await async_wait_operation(self._transport, operation, timeout_s=timeout_s)
        return vacuum_of(done, action)


class AsyncStageControl(AsyncCapability):
    """The specimen stage: x, y, z in mm; rotation r and tilt t in degrees."""

    async def position(self) -> StagePose:
        """Where the stage reports it is (a read: no guardrail)."""
        return (await self._session.state()).stage

    async def move_to(
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
        return await self._move(command, timeout_s)

    async def move_by(
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
        return await self._move(command, timeout_s)

    async def _move(self, command: StageMoveCommand, timeout_s: float | None) -> StagePose:
        await self._guard(command)
        body = move_body(command)
        operation = await async_start_operation(
            self._transport, move_stage.asyncio_detailed, session_id=self._session.id, body=body
        )
        done = await async_wait_operation(self._transport, operation, timeout_s=timeout_s)
        return moved_pose_of(done)


class AsyncOpticsControl(AsyncCapability):
    """Field of view, working distance, scan rotation, beam shift, high voltage, beam current."""

    async def set(
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
        await self._guard(command)
        doc = await self._transport.call(
            set_optics.asyncio_detailed,
            StateDoc,
            session_id=self._session.id,
            body=optics_body(command),
        )
        return parse_state(doc.to_dict())
