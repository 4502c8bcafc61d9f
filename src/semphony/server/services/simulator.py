"""The simulator-only controls: remount, ground truth, faults, detector response (`/v1/sim/*`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semphony.server import mapping, schemas
from semphony.server.drivers.sim import SimDriver
from semphony.server.drivers.sim.schemas import SimDetector, SimFault, SimReload
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.services.commands import CommandService

__all__ = ["SimulatorService"]

_FAULT_MEMBERS: dict[str, frozenset[str]] = {
    "scan_error": frozenset({"device_code", "device_message", "after_lines", "count"}),
    "vacuum_loss": frozenset({"after_lines", "count"}),
    "drop_move": frozenset({"count"}),
    # The simulator's slow fault lasts until cleared: it has a factor and no count.
    "slow": frozenset({"factor"}),
}


class SimulatorService:
    """What the `/v1/sim/*` routes do, over a `SimDriver`."""

    def __init__(self, ctx: ServiceContext, sim: SimDriver, commands: CommandService) -> None:
        self._ctx = ctx
        self._sim = sim
        self._commands = commands

    def reload(self, actor: Actor, body: SimReload | None) -> dict[str, Any]:
        request = body or SimReload()
        params = request.model_dump(mode="json")
        with self._ctx.auditor.audited(actor, "sim.reload", params):
            self._ctx.runner.ensure_idle()
            self._sim.reload(
                shift_x_um=request.shift_x_um,
                shift_y_um=request.shift_y_um,
                rotation_deg=request.rotation_deg,
                height_um=request.height_um,
            )
        self._ctx.persist()
        return self.truth(None, None)

    def truth(self, x_mm: float | None, y_mm: float | None) -> dict[str, Any]:
        # A coordinate given alone is paired with the stage readback's other coordinate.
        truth = self._sim.truth(x_mm=x_mm, y_mm=y_mm)
        return _truth_document(truth, self._sim.seed, queried=x_mm is not None or y_mm is not None)

    def inject_fault(self, actor: Actor, body: SimFault) -> dict[str, Any]:
        params = body.model_dump(mode="json", exclude_none=True)
        with self._ctx.auditor.audited(actor, "sim.fault", params):
            kind = params.pop("fault")
            # Each fault takes only the members that apply to it (the contract documents which).
            relevant = {k: v for k, v in params.items() if k in _FAULT_MEMBERS[kind]}
            self._sim.inject_fault(kind, **relevant)
        self._ctx.persist()
        return self._armed()

    def clear_faults(self, actor: Actor) -> dict[str, Any]:
        with self._ctx.auditor.audited(actor, "sim.clear_faults", {}):
            self._sim.clear_faults()
        self._ctx.persist()
        return self._armed()

    def _armed(self) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for fault in self._sim.armed_faults():
            kind = fault.get("kind")
            if kind in ("scan_error", "vacuum_loss"):
                items.append(
                    {
                        "fault": kind,
                        "device_code": int(fault["device_code"]),
                        "device_message": fault.get("device_message"),
                        "after_lines": fault.get("after_lines"),
                        "count": fault.get("count"),
                    }
                )
            elif kind == "drop_move":
                items.append({"fault": "drop_move", "count": fault.get("count")})
            elif kind == "slow":
                items.append({"fault": "slow", "factor": fault.get("factor")})
        return {"items": items}

    def set_detector(self, actor: Actor, body: SimDetector) -> schemas.InstrumentState:
        """Gamma is the simulator's own; gain and offset go the normal detector's way."""
        params = body.model_dump(mode="json", exclude_unset=True)
        with self._ctx.auditor.audited(actor, "sim.detector", params):
            self._ctx.runner.ensure_idle()
            if body.gain is not None or body.offset is not None:
                self._sim.set_detector(
                    mapping.detector_settings(gain=body.gain, offset=body.offset)
                )
            if body.gamma is not None:
                self._sim.set_gamma(body.gamma)
        self._ctx.persist()
        return self._commands.state()


def _truth_document(truth: Mapping[str, Any], seed: int, *, queried: bool) -> dict[str, Any]:
    """The contract's `SimTruth` from the simulator's ground truth."""
    placement = truth.get("placement", {})
    point = truth.get("point", {})
    specimen = truth.get("specimen", {})
    kind = str(specimen.get("kind", "texture"))
    return {
        "shift_x_um": float(placement.get("shift_x_um", 0.0)),
        "shift_y_um": float(placement.get("shift_y_um", 0.0)),
        "rotation_deg": float(placement.get("rotation_deg", 0.0)),
        "centre_x_mm": float(placement.get("centre_x_mm", 0.0)),
        "centre_y_mm": float(placement.get("centre_y_mm", 0.0)),
        "specimen_kind": kind,
        "seed": None if kind == "image" else int(specimen.get("seed", seed)),
        "reloads": int(placement.get("reloads", 0)),
        "point_at_load": (
            {"x_mm": float(point["x_mm"]), "y_mm": float(point["y_mm"])} if queried else None
        ),
        "point_now": (
            {"x_mm": float(point["now_x_mm"]), "y_mm": float(point["now_y_mm"])}
            if queried
            else None
        ),
        "stage_true": truth.get("stage_truth"),
        "height_um": float(placement.get("height_um", 0.0)),
        "tilt_x_deg": float(placement.get("tilt_x_deg", 0.0)),
        "tilt_y_deg": float(placement.get("tilt_y_deg", 0.0)),
        "in_focus_wd_mm": truth.get("surface", {}).get("in_focus_wd_mm"),
    }
