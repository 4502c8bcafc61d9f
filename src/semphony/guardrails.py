"""Client-side guardrails: rules that judge each command before it is sent.

A *rule* is any object with

    check(command: Command, state: InstrumentState) -> GuardrailViolation | None

which returns None to allow the command and a `GuardrailViolation` to refuse it. A rule

- judges commands only (`BeamCommand`, `ChamberCommand`, `StageMoveCommand`, `OpticsCommand`,
  `AcquireCommand`), never reads, and returns None for commands it does not care about;
- is given the instrument state fetched just before the command;
- refuses rather than passes when it needs something the state does not tell (an unknown FOV,
  a stage readback that is not a number);
- sends nothing and changes nothing.

`ChamberBeamGuardrail`, `StageAbsoluteLimits` and `StageRelativeLimits` are rules;
`ImagingGuardrails` composes them with any rules of your own and raises
`SemphonyGuardrailException` on the first violation. A session without guardrails uses
`ImagingGuardrails()` (chamber/beam rules on, no stage limits beyond the device's); only
`ImagingGuardrails.none()` turns every rule off.

Numbers within one part in 10¹² of a bound (1e-12 of the unit for bounds below 1, about a hundred
times the float rounding of a stage coordinate) count as on the bound, so the rounding of a
difference of positions never refuses a step of exactly the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, Self, runtime_checkable

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FiniteFloat,
    StrictBool,
    field_validator,
)

from semphony._exceptions import SemphonyGuardrailException
from semphony._state import (
    AXIS_UNITS,
    AcquireCommand,
    Axis,
    BeamCommand,
    ChamberCommand,
    Command,
    InstrumentState,
    OpticsCommand,
    StageMoveCommand,
)

# The command and state types are re-exported for people who write their own rules.
__all__ = [
    "AcquireCommand",
    "BeamCommand",
    "ChamberBeamGuardrail",
    "ChamberCommand",
    "Command",
    "GuardrailRule",
    "GuardrailViolation",
    "ImagingGuardrails",
    "InstrumentState",
    "OpticsCommand",
    "StageAbsoluteLimits",
    "StageMoveCommand",
    "StageRelativeLimits",
]

_EPS = 1e-12


def _within(value: float, bound: float) -> bool:
    """`value <= bound`, forgiving float rounding; False for NaN."""
    return value <= bound + _EPS * max(1.0, abs(bound))


def _at_least(value: float, bound: float) -> bool:
    """`value >= bound`, forgiving float rounding; False for NaN."""
    return value >= bound - _EPS * max(1.0, abs(bound))


def _pct_of_fov_mm(pct: float, fov_um: float) -> float:
    """`pct` % of a field of view given in µm, in mm: the one place µm meets the stage's mm."""
    return pct / 100.0 * fov_um / 1000.0


def _fov_known(fov_um: float) -> bool:
    return math.isfinite(fov_um) and fov_um > 0


def _fmt(value: float) -> str:
    return f"{value:g}"


def _describe(command: object) -> str:
    """A short human name for a command, for messages."""
    if isinstance(command, BeamCommand):
        return "beam on" if command.on else "beam off"
    if isinstance(command, ChamberCommand):
        return f"chamber {command.action}"
    if isinstance(command, StageMoveCommand):
        verb = "move_by" if command.relative else "move_to"
        args = ", ".join(
            f"{a}={_fmt(command.requested(a) or 0.0)} {AXIS_UNITS[a]}" for a in command.axes
        )
        return f"stage {verb}({args})"
    if isinstance(command, OpticsCommand):
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in vars(command).items() if v is not None)
        return f"optics set({args})"
    if isinstance(command, AcquireCommand):
        return "acquisition"
    return type(command).__name__


@dataclass(frozen=True)
class GuardrailViolation:
    """Why a rule refuses a command.

    `guardrail_type` names the rule (`"stage_relative.x_pct"`); `message` explains in a sentence;
    `details` holds at least `requested`, `limit`, `current` and `unit`.
    """

    guardrail_type: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_exception(self, command: object | None = None) -> SemphonyGuardrailException:
        """The exception to raise for this violation of `command`."""
        what = _describe(command) if command is not None else "the command"
        return SemphonyGuardrailException(
            f"Guardrail {self.guardrail_type} refused {what}: {self.message}",
            guardrail_type=self.guardrail_type,
            details=dict(self.details),
        )


@runtime_checkable
class GuardrailRule(Protocol):
    """A guardrail rule: return None to allow `command`, a `GuardrailViolation` to refuse it."""

    def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
        """Judge `command` against the current `state` (contract: the module docstring)."""
        ...


def _plain_number(value: object) -> object:
    """Refuse booleans and strings where a number belongs (pydantic would coerce them)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {type(value).__name__} {value!r}")
    return value


_Number = Annotated[FiniteFloat, BeforeValidator(_plain_number)]
_NonNegative = Annotated[FiniteFloat, BeforeValidator(_plain_number), Field(ge=0)]
_Range = tuple[_Number, _Number]

_CONFIG = ConfigDict(frozen=True, extra="forbid")


class _Rule(BaseModel):
    """A built-in rule: `to_dict()` and `from_dict()` round-trip it (tuples as lists)."""

    model_config = _CONFIG

    def to_dict(self) -> dict[str, Any]:
        """The rule's settings as a JSON-ready dict."""
        doc: dict[str, Any] = self.model_dump(mode="json")
        return doc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A rule from `to_dict`'s form; an unknown key or a bad value is refused, named."""
        return cls.model_validate(dict(data))


class ChamberBeamGuardrail(_Rule):
    """Chamber and beam safety; every rule defaults to on.

    - `require_vacuum_for_beam`: the beam may be switched on only when the vacuum is `pumped`.
    - `require_beam_off_for_vent`: venting needs the beam off.
    - `require_beam_on_for_scan`: an acquisition needs the beam on.

    Pumping and switching the beam off are always allowed.
    """

    model_config = _CONFIG

    require_vacuum_for_beam: StrictBool = True
    require_beam_off_for_vent: StrictBool = True
    require_beam_on_for_scan: StrictBool = True

    def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
        """Refuse beam on without vacuum, vent with the beam on, a scan with the beam off."""
        beam_on = isinstance(command, BeamCommand) and command.on
        if beam_on and self.require_vacuum_for_beam and not state.pumped:
            return GuardrailViolation(
                "chamber_beam.require_vacuum_for_beam",
                f"the beam needs vacuum 'pumped', and the vacuum is {state.vacuum!r}",
                {"requested": "beam on", "limit": "pumped", "current": state.vacuum, "unit": None},
            )
        vent = isinstance(command, ChamberCommand) and command.action == "vent"
        if vent and self.require_beam_off_for_vent and state.beam_on:
            return GuardrailViolation(
                "chamber_beam.require_beam_off_for_vent",
                "venting needs the beam off, and the beam is on",
                {"requested": "vent", "limit": "beam off", "current": "beam on", "unit": None},
            )
        scan = isinstance(command, AcquireCommand)
        if scan and self.require_beam_on_for_scan and not state.beam_on:
            return GuardrailViolation(
                "chamber_beam.require_beam_on_for_scan",
                "an acquisition needs the beam on, and the beam is off",
                {
                    "requested": "acquisition",
                    "limit": "beam on",
                    "current": "beam off",
                    "unit": None,
                },
            )
        return None


class StageAbsoluteLimits(_Rule):
    """Hard bounds on where the stage may go: each axis a `(min, max)` tuple or None.

    x, y, z in mm; r (rotation) and t (tilt) in degrees. Applies to the target of `move_to` and
    `move_by` alike, on the axes the command moves (so a stage outside its bounds can still be
    moved back in on another axis). A target that is not a number is refused.
    """

    model_config = _CONFIG

    x: _Range | None = None
    y: _Range | None = None
    z: _Range | None = None
    r: _Range | None = None
    t: _Range | None = None

    @field_validator("x", "y", "z", "r", "t")
    @classmethod
    def _min_not_above_max(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"min {value[0]:g} is greater than max {value[1]:g}")
        return value

    def limits(self, axis: Axis) -> tuple[float, float] | None:
        """The (min, max) bounds of one axis, None if unbounded."""
        bounds: tuple[float, float] | None = getattr(self, axis)
        return bounds

    def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
        """Refuse a stage move whose target lies outside an axis's bounds."""
        if not isinstance(command, StageMoveCommand):
            return None
        target = command.target(state.stage)
        for axis in command.axes:
            bounds = self.limits(axis)
            if bounds is None:
                continue
            lo, hi = bounds
            value = target.axis(axis)
            if not (_at_least(value, lo) and _within(value, hi)):
                unit = AXIS_UNITS[axis]
                current = state.stage.axis(axis)
                return GuardrailViolation(
                    f"stage_absolute.{axis}",
                    f"{axis} target {_fmt(value)} {unit} is outside the limits "
                    f"[{_fmt(lo)}, {_fmt(hi)}] {unit} (current {axis} {_fmt(current)} {unit})",
                    {
                        "axis": axis,
                        "requested": value,
                        "limit": bounds,
                        "current": current,
                        "unit": unit,
                    },
                )
        return None


_REL_FIELDS: Mapping[Axis, str] = {
    "x": "x_pct",
    "y": "y_pct",
    "z": "z_pct",
    "r": "r_max_deg",
    "t": "t_max_deg",
}


class StageRelativeLimits(_Rule):
    """The most the stage may travel in one command.

    x, y, z: a percentage of the current field of view (`x_pct=200` allows twice the FOV); r and t:
    degrees. Applies to `move_to` and `move_by` alike, measured from the current position. A
    percentage limit refuses any move on its axis while the current FOV is unknown (not a positive
    number), and any move whose distance is not a number.
    """

    model_config = _CONFIG

    x_pct: _NonNegative | None = None
    y_pct: _NonNegative | None = None
    z_pct: _NonNegative | None = None
    r_max_deg: _NonNegative | None = None
    t_max_deg: _NonNegative | None = None

    def _limit(self, axis: Axis) -> float | None:
        value: float | None = getattr(self, _REL_FIELDS[axis])
        return value

    def _fov_unknown(self, axis: Axis, state: InstrumentState, **extra: Any) -> GuardrailViolation:
        current = state.stage.axis(axis)
        return GuardrailViolation(
            f"stage_relative.{_REL_FIELDS[axis]}",
            f"the current FOV ({_fmt(state.fov_um)} µm) is unknown, so a move on {axis} limited "
            f"to {_fmt(self._limit(axis) or 0.0)} % of it cannot be judged",
            {"axis": axis, "limit": None, "current": current, "unit": AXIS_UNITS[axis]}
            | {"fov_um": state.fov_um, "limit_pct": self._limit(axis)}
            | extra,
        )

    def max_step(self, axis: Axis, state: InstrumentState) -> float | None:
        """The largest allowed travel on `axis` in one command (mm or degrees), None if unlimited.

        Raises `SemphonyGuardrailException` when a percentage limit applies and the FOV is unknown.
        """
        limit = self._limit(axis)
        if limit is None or axis in ("r", "t"):
            return limit
        if not _fov_known(state.fov_um):
            raise self._fov_unknown(axis, state).to_exception()
        return _pct_of_fov_mm(limit, state.fov_um)

    def check(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
        """Refuse a stage move that travels farther on an axis than its limit allows."""
        if not isinstance(command, StageMoveCommand):
            return None
        for axis, delta in command.delta(state.stage).items():
            limit = self._limit(axis)
            if limit is None:
                continue
            travel = abs(delta)
            if axis in ("x", "y", "z") and not _fov_known(state.fov_um):
                return self._fov_unknown(axis, state, requested=travel, delta=delta)
            allowed = limit if axis in ("r", "t") else _pct_of_fov_mm(limit, state.fov_um)
            if not _within(travel, allowed):
                unit = AXIS_UNITS[axis]
                current = state.stage.axis(axis)
                if axis in ("r", "t"):
                    bound = f"more than the {_fmt(limit)} {unit} allowed per move"
                    extra: dict[str, Any] = {}
                else:
                    bound = (
                        f"more than {_fmt(limit)} % of the current FOV {_fmt(state.fov_um)} µm"
                        f" = {_fmt(allowed)} {unit}"
                    )
                    extra = {"limit_pct": limit, "fov_um": state.fov_um}
                return GuardrailViolation(
                    f"stage_relative.{_REL_FIELDS[axis]}",
                    f"{axis} would travel {_fmt(travel)} {unit}, {bound} "
                    f"(current {axis} {_fmt(current)} {unit})",
                    {
                        "axis": axis,
                        "requested": travel,
                        "delta": delta,
                        "limit": allowed,
                        "current": current,
                        "unit": unit,
                    }
                    | extra,
                )
        return None


class ImagingGuardrails(BaseModel):
    """The guardrails of a session: the seed's rules plus any of your own, checked in order.

    `ImagingGuardrails()` is the default: chamber/beam rules on, no stage limits beyond the
    device's. Pass None for a part to drop it; `ImagingGuardrails.none()` drops everything.
    Your own rules (any object with `check(command, state)`, see `GuardrailRule`) run after the
    built-in ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    chamber_beam: ChamberBeamGuardrail | None = Field(default_factory=ChamberBeamGuardrail)
    stage_absolute: StageAbsoluteLimits | None = None
    stage_relative: StageRelativeLimits | None = None
    rules: tuple[GuardrailRule, ...] = ()

    @classmethod
    def none(cls) -> ImagingGuardrails:
        """Guardrails that allow every command (the server's own interlocks still apply)."""
        return cls(chamber_beam=None, stage_absolute=None, stage_relative=None, rules=())

    @property
    def all_rules(self) -> tuple[GuardrailRule, ...]:
        """Every active rule, in the order they are checked."""
        built_in: tuple[GuardrailRule | None, ...] = (
            self.chamber_beam,
            self.stage_absolute,
            self.stage_relative,
        )
        return tuple(r for r in built_in if r is not None) + self.rules

    def violation(self, command: Command, state: InstrumentState) -> GuardrailViolation | None:
        """The first rule's violation for `command` in `state`, None if every rule allows it."""
        for rule in self.all_rules:
            found = rule.check(command, state)
            if found is None:
                continue
            if not isinstance(found, GuardrailViolation):
                raise TypeError(
                    f"guardrail rule {type(rule).__name__}.check returned "
                    f"{type(found).__name__}, not GuardrailViolation or None"
                )
            return found
        return None

    def to_dict(self) -> dict[str, Any]:
        """The built-in rules' settings as a JSON-ready dict (None for a part that is off).

        Your own rules are code, not settings: guardrails holding any are refused (`ValueError`).
        """
        if self.rules:
            names = ", ".join(type(rule).__name__ for rule in self.rules)
            raise ValueError(
                f"ImagingGuardrails.to_dict: your own rules ({names}) cannot be written as a "
                "dict; add them again after from_dict"
            )
        parts = {
            "chamber_beam": self.chamber_beam,
            "stage_absolute": self.stage_absolute,
            "stage_relative": self.stage_relative,
        }
        return {name: part.to_dict() if part is not None else None for name, part in parts.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImagingGuardrails:
        """Guardrails from `to_dict`'s form; a part left out takes its default (as in the
        constructor), a part given as None is off; an unknown key is refused, named."""
        unknown = sorted(set(data) - {"chamber_beam", "stage_absolute", "stage_relative"})
        if unknown:
            raise ValueError(f"ImagingGuardrails.from_dict: unknown key(s) {unknown}")
        parts: dict[str, Any] = {}
        for name, rule in (
            ("chamber_beam", ChamberBeamGuardrail),
            ("stage_absolute", StageAbsoluteLimits),
            ("stage_relative", StageRelativeLimits),
        ):
            if name in data:
                value = data[name]
                parts[name] = None if value is None else rule.from_dict(value)
        return cls(**parts)

    def check(self, command: Command, state: InstrumentState) -> None:
        """Raise `SemphonyGuardrailException` if any rule refuses `command` in `state`."""
        found = self.violation(command, state)
        if found is not None:
            raise found.to_exception(command)

    def max_step(self, axis: Axis, state: InstrumentState) -> float | None:
        """The largest travel on `axis` one command may make under the relative limits.

        In mm for x/y/z, degrees for r/t; None when unlimited. For splitting a long correction
        into allowed steps; absolute limits and your own rules are not consulted. Raises
        `SemphonyGuardrailException` when a percentage limit applies and the FOV is unknown.
        """
        if self.stage_relative is None:
            return None
        return self.stage_relative.max_step(axis, state)
