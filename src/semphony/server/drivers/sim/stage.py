"""The simulated stage: travel, speeds, positioning error, backlash and a hidden readback error.

The readback reports where the stage was told to go; the truth (readback + hidden error) is where
it is. Each move draws a fresh positioning error (about 0.25 µm rms per axis, truncated at 2σ)
from a stream deterministic for the seed and the move's number, and x and y add backlash: the
carriage lags half the backlash behind the direction it last moved in. Rotation also has a small
hidden error. Only images (or the simulator's truth) reveal the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from semphony.server.drivers.types import StagePose

__all__ = ["MovePlan", "SimStage", "StageError"]

SPEED_XY_MM_S = 4.0
SPEED_Z_MM_S = 1.0
SPEED_R_DEG_S = 20.0
SPEED_T_DEG_S = 5.0
SETTLE_S = 0.3
POSITION_SIGMA_UM = 0.25
BACKLASH_UM = 0.6
ROTATION_SIGMA_DEG = 0.003
HOME = StagePose(x_mm=0.0, y_mm=0.0, z_mm=45.0, r_deg=0.0, t_deg=0.0)


@dataclass(frozen=True)
class StageError:
    """Truth minus readback: x and y in µm, r in degrees."""

    x_um: float = 0.0
    y_um: float = 0.0
    r_deg: float = 0.0

    def lerp(self, other: StageError, f: float) -> StageError:
        return StageError(
            self.x_um + (other.x_um - self.x_um) * f,
            self.y_um + (other.y_um - self.y_um) * f,
            self.r_deg + (other.r_deg - self.r_deg) * f,
        )


@dataclass(frozen=True)
class MovePlan:
    """A move as waypoints (z and t ordered so the clearance rule holds all the way)."""

    waypoints: tuple[StagePose, ...]
    durations_s: tuple[float, ...]
    error_start: StageError
    error_end: StageError
    directions: tuple[int, int]

    @property
    def duration_s(self) -> float:
        return sum(self.durations_s) + SETTLE_S

    def pose_at(self, f: float) -> StagePose:
        """Readback after fraction `f` of the move's time (settling counts as arrived)."""
        t = f * self.duration_s
        for start, end, dt in zip(
            self.waypoints[:-1], self.waypoints[1:], self.durations_s, strict=True
        ):
            if t <= dt and dt > 0:
                g = t / dt
                return StagePose(
                    *(a + (b - a) * g for a, b in zip(_vec(start), _vec(end), strict=True))
                )
            t -= dt
        return self.waypoints[-1]


def _vec(p: StagePose) -> tuple[float, float, float, float, float]:
    return (p.x_mm, p.y_mm, p.z_mm, p.r_deg, p.t_deg)


class SimStage:
    """Readback pose, hidden error and backlash memory of the simulated stage."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.readback = HOME
        self.error = StageError()
        self.directions = (1, 1)
        self.moves = 0

    @property
    def truth(self) -> StagePose:
        """Where the stage really is."""
        return replace(
            self.readback,
            x_mm=self.readback.x_mm + self.error.x_um / 1000,
            y_mm=self.readback.y_mm + self.error.y_um / 1000,
            r_deg=self.readback.r_deg + self.error.r_deg,
        )

    def plan(self, target: StagePose) -> MovePlan:
        """Plan a move to a checked target, drawing this move's positioning error."""
        start = self.readback
        if target.z_mm < start.z_mm:  # going down: lower first, then tilt
            mid1 = replace(start, z_mm=target.z_mm)
            mid2 = replace(mid1, t_deg=target.t_deg)
        else:  # going up (or level): tilt first, then raise
            mid1 = replace(start, t_deg=target.t_deg)
            mid2 = replace(mid1, z_mm=target.z_mm)
        points = (start, mid1, mid2, target)
        durations = (
            abs(mid1.z_mm - start.z_mm) / SPEED_Z_MM_S
            + abs(mid1.t_deg - start.t_deg) / SPEED_T_DEG_S,
            abs(mid2.z_mm - mid1.z_mm) / SPEED_Z_MM_S
            + abs(mid2.t_deg - mid1.t_deg) / SPEED_T_DEG_S,
            max(
                math.hypot(target.x_mm - start.x_mm, target.y_mm - start.y_mm) / SPEED_XY_MM_S,
                abs(target.r_deg - start.r_deg) / SPEED_R_DEG_S,
            ),
        )
        dirs = list(self.directions)
        for k, delta in enumerate((target.x_mm - start.x_mm, target.y_mm - start.y_mm)):
            if delta != 0:
                dirs[k] = 1 if delta > 0 else -1
        rng = np.random.default_rng([self.seed, 11, self.moves])
        noise = np.clip(rng.standard_normal(3), -2.0, 2.0)
        moved = _vec(target) != _vec(start)
        end = (
            StageError(
                x_um=-dirs[0] * BACKLASH_UM / 2 + POSITION_SIGMA_UM * float(noise[0]),
                y_um=-dirs[1] * BACKLASH_UM / 2 + POSITION_SIGMA_UM * float(noise[1]),
                r_deg=ROTATION_SIGMA_DEG * float(noise[2]),
            )
            if moved
            else self.error
        )
        return MovePlan(points, durations, self.error, end, (dirs[0], dirs[1]))

    def go(self, plan: MovePlan, f: float) -> None:
        """Put the stage at fraction `f` of `plan` (1 = arrived)."""
        self.readback = plan.pose_at(f)
        self.error = plan.error_start.lerp(plan.error_end, min(1.0, f))

    def finish(self, plan: MovePlan) -> None:
        """Count the move and remember the approach directions (for backlash)."""
        self.moves += 1
        self.directions = plan.directions

    def to_dict(self) -> dict[str, Any]:
        return {
            "readback": self.readback.to_dict(),
            "error": {"x_um": self.error.x_um, "y_um": self.error.y_um, "r_deg": self.error.r_deg},
            "directions": list(self.directions),
            "moves": self.moves,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.readback = StagePose.from_dict(data["readback"])
        self.error = StageError(**{k: float(v) for k, v in data["error"].items()})
        dx, dy = data["directions"]
        self.directions = (int(dx), int(dy))
        self.moves = int(data["moves"])
