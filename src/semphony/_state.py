"""Typed client-side views of the instrument's state, and the commands guardrails judge.

The state models mirror WIRE.md (`GET /v1/state`). They are frozen and keep unknown keys
(`extra="allow"`), so a newer server that adds fields never breaks an older client; a missing
or mistyped known field raises `pydantic.ValidationError`, which the transport maps once.

The command objects are what each capability is about to send, in wire units (stage x/y/z in mm,
r/t in degrees, optics in µm, mm, kV, nA); guardrails judge them against an `InstrumentState`
before anything leaves the process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict

__all__ = [
    "AXES",
    "AXIS_UNITS",
    "AcquireCommand",
    "Axis",
    "BeamCommand",
    "ChamberCommand",
    "Command",
    "DetectorState",
    "InstrumentState",
    "Lease",
    "OpticsCommand",
    "StageMoveCommand",
    "StagePose",
    "WireModel",
]

Axis = Literal["x", "y", "z", "r", "t"]
AXES: tuple[Axis, ...] = get_args(Axis)
AXIS_UNITS: Mapping[Axis, str] = {"x": "mm", "y": "mm", "z": "mm", "r": "deg", "t": "deg"}
_AXIS_FIELDS: Mapping[Axis, str] = {a: f"{a}_{u}" for a, u in AXIS_UNITS.items()}


class WireModel(BaseModel):
    """A frozen view of a wire document that keeps keys it does not know.

    ``to_dict()`` gives the JSON-ready document (unknown keys included) and ``from_dict(data)``
    validates one, raising ``pydantic.ValidationError`` naming a bad field; they round-trip.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    def to_dict(self) -> dict[str, Any]:
        """The document as a JSON-ready dict (datetimes as ISO 8601 text)."""
        doc: dict[str, Any] = self.model_dump(mode="json")
        return doc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate a document (as `to_dict` returns it, or as the server sends it)."""
        return cls.model_validate(dict(data))

    def __getitem__(self, name: str) -> Any:
        """A field by name, so scripts written when answers were dicts (`truth["shift_x_um"]`)
        keep working; a name that is not a field is a `KeyError`."""
        if name in type(self).model_fields:
            return getattr(self, name)
        extra = self.__pydantic_extra__ or {}
        if name in extra:
            return extra[name]
        raise KeyError(name)


class StagePose(WireModel):
    """Stage position: x, y, z in mm; rotation r and tilt t in degrees."""

    x_mm: float
    y_mm: float
    z_mm: float
    r_deg: float
    t_deg: float

    def __str__(self) -> str:
        return (
            f"x {self.x_mm:.4f} mm, y {self.y_mm:.4f} mm, z {self.z_mm:.4f} mm, "
            f"r {self.r_deg:.2f}°, t {self.t_deg:.2f}°"
        )

    def axis(self, axis: Axis) -> float:
        """The position on one axis (mm for x/y/z, degrees for r/t)."""
        value: float = getattr(self, _AXIS_FIELDS[axis])
        return value


class DetectorState(WireModel):
    """The active detector and its signal chain."""

    mode: str
    channel: int
    gain: float
    offset: float
    gamma: float
    bit_depth: int


class Lease(WireModel):
    """Who holds the control lease, and until when."""

    session_id: str
    holder: str
    expires_at: datetime


class InstrumentState(WireModel):
    """A snapshot of the instrument (`GET /v1/state`)."""

    vacuum: str  # vented|pumping|pumped|venting|error, kept open for newer servers
    beam_on: bool
    hv_kv: float
    beam_current_na: float
    stage: StagePose
    fov_um: float
    working_distance_mm: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    detector: DetectorState
    clock_s: float
    lease: Lease | None = None
    active_operation_id: str | None = None

    @property
    def pumped(self) -> bool:
        """Whether the chamber is at working vacuum."""
        return self.vacuum == "pumped"

    @property
    def vented(self) -> bool:
        """Whether the chamber is at air."""
        return self.vacuum == "vented"

    @property
    def busy(self) -> bool:
        """Whether a long operation is running."""
        return self.active_operation_id is not None

    @property
    def lease_holder(self) -> str | None:
        """Who holds the control lease, if anyone."""
        return self.lease.holder if self.lease is not None else None


def _check_numbers(owner: object, *names: str) -> None:
    """Refuse booleans, non-numbers, NaN and infinities (naming the field); store ints as floats."""
    for name in names:
        value = getattr(owner, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(
                f"{type(owner).__name__}.{name} must be a number, not {type(value).__name__}"
            )
        if not math.isfinite(value):
            raise ValueError(f"{type(owner).__name__}.{name} must be finite, not {value}")
        # frozen dataclass: the documented way to normalise a field in __post_init__
        object.__setattr__(owner, name, float(value))


@dataclass(frozen=True)
class BeamCommand:
    """Switch the electron beam (high voltage) on or off."""

    on: bool

    def __post_init__(self) -> None:
        if not isinstance(self.on, bool):
            raise TypeError(f"BeamCommand.on must be a bool, not {type(self.on).__name__}")


@dataclass(frozen=True)
class ChamberCommand:
    """Pump the chamber to vacuum or vent it to air."""

    action: Literal["pump", "vent"]

    def __post_init__(self) -> None:
        if self.action not in ("pump", "vent"):
            raise ValueError(f"ChamberCommand.action must be 'pump' or 'vent', not {self.action!r}")


@dataclass(frozen=True)
class StageMoveCommand:
    """Move the stage: absolute (`move_to`) or by a step (`relative=True`, `move_by`).

    Axes left None stay where they are. Units: x/y/z in mm, r/t in degrees.
    """

    x_mm: float | None = None
    y_mm: float | None = None
    z_mm: float | None = None
    r_deg: float | None = None
    t_deg: float | None = None
    relative: bool = False

    def __post_init__(self) -> None:
        _check_numbers(self, *(f.name for f in fields(self) if f.name != "relative"))
        if not isinstance(self.relative, bool):
            raise TypeError(
                f"StageMoveCommand.relative must be a bool, not {type(self.relative).__name__}"
            )

    def requested(self, axis: Axis) -> float | None:
        """The value given for one axis (a target, or a step when relative), None if left."""
        value: float | None = getattr(self, _AXIS_FIELDS[axis])
        return value

    @property
    def axes(self) -> tuple[Axis, ...]:
        """The axes this command moves, in x, y, z, r, t order."""
        return tuple(a for a in AXES if self.requested(a) is not None)

    def target(self, current: StagePose) -> StagePose:
        """The pose the stage is asked to reach from `current`."""
        values: dict[str, float] = {}
        for a in AXES:
            value = self.requested(a)
            if value is None:
                values[_AXIS_FIELDS[a]] = current.axis(a)
            else:
                values[_AXIS_FIELDS[a]] = current.axis(a) + value if self.relative else value
        return StagePose.model_validate(values)

    def delta(self, current: StagePose) -> dict[Axis, float]:
        """Signed travel per moved axis from `current` (mm or degrees), for `move_to` and `move_by`.

        Rotation is taken literally (from 359° to 1° is 358°), the travel the command names; a
        device that wraps may travel less, never more.
        """
        out: dict[Axis, float] = {}
        for a in AXES:
            value = self.requested(a)
            if value is not None:
                out[a] = value if self.relative else value - current.axis(a)
        return out


@dataclass(frozen=True)
class OpticsCommand:
    """Change optics (per WIRE.md OpticsSettings); fields left None stay unchanged."""

    fov_um: float | None = None
    working_distance_mm: float | None = None
    scan_rotation_deg: float | None = None
    beam_shift_x_um: float | None = None
    beam_shift_y_um: float | None = None
    hv_kv: float | None = None
    beam_current_na: float | None = None

    def __post_init__(self) -> None:
        _check_numbers(self, *(f.name for f in fields(self)))


@dataclass(frozen=True)
class AcquireCommand:
    """Acquire an image with `config` (a `semphony.models.AcquisitionConfig`)."""

    config: Any


Command = BeamCommand | ChamberCommand | StageMoveCommand | OpticsCommand | AcquireCommand
