"""The simulated instrument's state: specimen, placement, stage, vacuum, beam, optics, detector.

`SimInstrument` is plain state with the geometry and ground truth derived from it, and its
snapshot; `SimDriver` serialises access to it (the driver's wire lock) and `controls` adds the
simulator-only commands. Nothing here sleeps or locks.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np
from numpy.typing import NDArray

from semphony.server.drivers.sim.clock import VirtualClock
from semphony.server.drivers.sim.faults import Faults
from semphony.server.drivers.sim.optics import Z_AT_POLE_PIECE_MM, Geometry
from semphony.server.drivers.sim.specimen import make_specimen
from semphony.server.drivers.sim.stage import SimStage
from semphony.server.drivers.types import DetectorState, InstrumentStateSnapshot

__all__ = ["SNAPSHOT_VERSION", "SimInstrument", "rotate"]

SNAPSHOT_VERSION = 1
_LEVEL = {
    "shift_x_um": 0.0,
    "shift_y_um": 0.0,
    "rotation_deg": 0.0,
    "height_um": 0.0,
    "tilt_x_deg": 0.0,
    "tilt_y_deg": 0.0,
}


def rotate(deg: float, x: float, y: float) -> tuple[float, float]:
    """(x, y) turned counter-clockwise by `deg` degrees."""
    a = math.radians(deg)
    return x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)


class SimInstrument:
    """Everything the simulated SEM is at one moment (see the `sim` package for its physics)."""

    def __init__(
        self,
        seed: int,
        specimen_kind: str,
        specimen_image: NDArray[np.generic] | None,
        specimen_pixel_um: float | None,
        realtime: float,
    ) -> None:
        self.seed = int(seed)
        self.specimen = make_specimen(specimen_kind, self.seed, specimen_image, specimen_pixel_um)
        self.clock = VirtualClock(realtime)
        self.stage = SimStage(self.seed)
        self.faults = Faults()
        self.vacuum = "vented"
        self.beam_on = False
        self.optics = {
            "fov_um": 100.0,
            "working_distance_mm": Z_AT_POLE_PIECE_MM - self.stage.readback.z_mm,
            "scan_rotation_deg": 0.0,
            "beam_shift_x_um": 0.0,
            "beam_shift_y_um": 0.0,
            "hv_kv": 10.0,
            "beam_current_na": 0.1,
        }
        self.detector = DetectorState(
            mode="SE", channel=0, gain=1.0, offset=0.0, gamma=1.0, bit_depth=8
        )
        # Placement relative to the first load: holder point h = shift + R(rotation)·u; the
        # surface's height above its first height, and its tilt about stage x and y.
        self.placement = dict(_LEVEL)
        self.reloads = 0
        self.frames = 0

    def state(self) -> InstrumentStateSnapshot:
        """The readback state (what the instrument reports, not the hidden truth)."""
        o = self.optics
        return InstrumentStateSnapshot(
            vacuum=self.vacuum,
            beam_on=self.beam_on,
            hv_kv=o["hv_kv"],
            beam_current_na=o["beam_current_na"],
            stage=self.stage.readback,
            fov_um=o["fov_um"],
            working_distance_mm=o["working_distance_mm"],
            scan_rotation_deg=o["scan_rotation_deg"],
            beam_shift_x_um=o["beam_shift_x_um"],
            beam_shift_y_um=o["beam_shift_y_um"],
            detector=self.detector,
            clock_s=self.clock.now_s,
        )

    def geometry(self) -> Geometry:
        """Where the beam really points: the true stage pose, the optics and the placement."""
        truth = self.stage.truth
        o = self.optics
        p = self.placement
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

    def surface_height_um(self) -> float:
        """The specimen surface under the beam, in µm above its first-load height: the mount's
        height plus its tilt's slope times the holder point under the beam (from the holder centre).
        One height for the whole frame: across a field of a few hundred µm a fraction of a degree
        changes it by far less than the depth of field."""
        truth = self.stage.truth
        p = self.placement
        slope_x = math.tan(math.radians(p["tilt_x_deg"]))
        slope_y = math.tan(math.radians(p["tilt_y_deg"]))
        return p["height_um"] + slope_x * truth.x_mm * 1000 + slope_y * truth.y_mm * 1000

    def surface_wd_mm(self) -> float:
        """The working distance at which the surface under the beam is in focus."""
        return Z_AT_POLE_PIECE_MM - self.stage.truth.z_mm - self.surface_height_um() / 1000

    def truth(self, x_mm: float | None, y_mm: float | None) -> dict[str, Any]:
        """Ground truth: the placement, the true and readback poses, and where the point that lay
        at stage (x, y) at first load lies now (default: the readback position)."""
        readback = self.stage.readback
        x = readback.x_mm if x_mm is None else float(x_mm)
        y = readback.y_mm if y_mm is None else float(y_mm)
        p = self.placement
        rx, ry = rotate(p["rotation_deg"], x * 1000, y * 1000)
        truth = self.stage.truth
        # The point under the beam now, in first-load stage coordinates (inverse placement).
        bx, by = rotate(
            -p["rotation_deg"],
            truth.x_mm * 1000 - p["shift_x_um"],
            truth.y_mm * 1000 - p["shift_y_um"],
        )
        return {
            "placement": {**p, "centre_x_mm": 0.0, "centre_y_mm": 0.0, "reloads": self.reloads},
            "point": {
                "x_mm": x,
                "y_mm": y,
                "now_x_mm": (rx + p["shift_x_um"]) / 1000,
                "now_y_mm": (ry + p["shift_y_um"]) / 1000,
            },
            "stage_truth": truth.to_dict(),
            "stage_readback": readback.to_dict(),
            "beam_at_first_load_mm": {"x_mm": bx / 1000, "y_mm": by / 1000},
            "specimen": self.specimen.identity(),
            "surface": {
                "height_um": self.surface_height_um(),
                "in_focus_wd_mm": self.surface_wd_mm(),
            },
        }

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able dict from which `restore` rebuilds this state."""
        return {
            "driver": "sim",
            "version": SNAPSHOT_VERSION,
            "seed": self.seed,
            "specimen": self.specimen.identity(),
            "placement": dict(self.placement),
            "reloads": self.reloads,
            "frames": self.frames,
            "stage": self.stage.to_dict(),
            "vacuum": self.vacuum,
            "beam_on": self.beam_on,
            "optics": dict(self.optics),
            "detector": asdict(self.detector),
            "clock_s": self.clock.now_s,
            "faults": self.faults.to_dict(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Rebuild from a `snapshot`; refuses one of another driver, seed or specimen."""
        if data.get("driver") != "sim" or data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"not a snapshot of the sim driver (version {SNAPSHOT_VERSION})")
        if data["specimen"] != self.specimen.identity() or data["seed"] != self.seed:
            raise ValueError(
                f"the snapshot's specimen {data['specimen']} (seed {data['seed']}) is not this "
                f"driver's {self.specimen.identity()} (seed {self.seed})"
            )
        # A snapshot from before remounts changed the height has none: the surface stayed level.
        self.placement = {**_LEVEL, **{k: float(v) for k, v in data["placement"].items()}}
        self.reloads = int(data["reloads"])
        self.frames = int(data["frames"])
        self.stage.load(data["stage"])
        vacuum = str(data["vacuum"])
        # A pump or vent interrupted by a restart did not finish: the chamber is not pumped.
        self.vacuum = "vented" if vacuum in ("pumping", "venting") else vacuum
        self.beam_on = bool(data["beam_on"]) and self.vacuum == "pumped"
        self.optics = {k: float(v) for k, v in data["optics"].items()}
        self.detector = DetectorState(**data["detector"])
        self.clock.now_s = float(data["clock_s"])
        self.faults.load(data["faults"])
