"""Fault injection for the simulated SEM: scan errors, vacuum loss, dropped moves, a slow device."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from semphony.server.drivers.base import RangeError

__all__ = ["FAULT_KINDS", "DropMove", "Faults", "ScanFault"]

FAULT_KINDS = ("scan_error", "vacuum_loss", "drop_move", "slow")

_REASON = "range.sim"


@dataclass
class ScanFault:
    """The next `count` scans fail after `after_lines` lines (a device error, or vacuum loss)."""

    kind: str
    after_lines: int
    count: int
    device_code: str
    device_message: str


@dataclass
class DropMove:
    """The next `count` moves stop at `fraction` of the way; `silent` ones still report success."""

    count: int
    fraction: float
    silent: bool


def _int(params: dict[str, Any], name: str, default: int, minimum: int) -> int:
    value = params.pop(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RangeError(_REASON, name, f"{name}={value!r} must be an integer >= {minimum}")
    return value


def _number(params: dict[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    value = params.pop(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not lo <= value <= hi
    ):
        raise RangeError(_REASON, name, f"{name}={value!r} must be a number in [{lo:g}, {hi:g}]")
    return float(value)


class Faults:
    """The armed faults; each scan or move consumes the ones aimed at it."""

    def __init__(self) -> None:
        self.scan: list[ScanFault] = []
        self.drop: DropMove | None = None
        self.slow_factor = 1.0

    def inject(self, kind: str, **params: Any) -> dict[str, Any]:
        """Arm a fault; returns its normalised parameters. Unknown kinds or params are refused."""
        params = dict(params)
        result: dict[str, Any]
        if kind in ("scan_error", "vacuum_loss"):
            default_code = "-1" if kind == "scan_error" else "-3"
            default_message = (
                "ScScanXY failed: scan generator reported an error (simulated)"
                if kind == "scan_error"
                else "chamber pressure rose above the HV limit; HV switched off (simulated)"
            )
            code = params.pop("device_code", default_code)
            message = params.pop("device_message", default_message)
            fault = ScanFault(
                kind=kind,
                after_lines=_int(params, "after_lines", 0 if kind == "scan_error" else 10, 0),
                count=_int(params, "count", 1, 1),
                device_code=str(code),
                device_message=str(message),
            )
            self.scan.append(fault)
            result = asdict(fault)
        elif kind == "drop_move":
            silent = params.pop("silent", False)
            if not isinstance(silent, bool):
                raise RangeError(_REASON, "silent", f"silent={silent!r} must be true or false")
            self.drop = DropMove(
                count=_int(params, "count", 1, 1),
                fraction=_number(params, "fraction", 0.5 if not silent else 0.0, 0.0, 0.99),
                silent=silent,
            )
            result = asdict(self.drop)
        elif kind == "slow":
            self.slow_factor = _number(params, "factor", 10.0, 1.0, 1e6)
            result = {"factor": self.slow_factor}
        else:
            raise RangeError(_REASON, "kind", f"kind={kind!r} is not one of {list(FAULT_KINDS)}")
        if params:
            raise RangeError(
                _REASON, sorted(params)[0], f"unknown parameters for {kind}: {sorted(params)}"
            )
        return {"kind": kind, **result}

    def armed(self) -> list[dict[str, Any]]:
        """Every armed fault as {kind, ...parameters}."""
        items: list[dict[str, Any]] = [asdict(f) for f in self.scan]
        if self.drop is not None:
            items.append({"kind": "drop_move", **asdict(self.drop)})
        if self.slow_factor != 1.0:
            items.append({"kind": "slow", "factor": self.slow_factor})
        return items

    def clear(self) -> None:
        """Disarm every fault."""
        self.scan.clear()
        self.drop = None
        self.slow_factor = 1.0

    def take_scan_fault(self) -> ScanFault | None:
        """The fault aimed at the scan starting now, if any (consumes one count)."""
        if not self.scan:
            return None
        fault = self.scan[0]
        fault.count -= 1
        if fault.count <= 0:
            self.scan.pop(0)
        return fault

    def take_drop_move(self) -> DropMove | None:
        """The drop aimed at the move starting now, if any (consumes one count)."""
        drop = self.drop
        if drop is None:
            return None
        drop.count -= 1
        if drop.count <= 0:
            self.drop = None
        return drop

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan": [asdict(f) for f in self.scan],
            "drop": asdict(self.drop) if self.drop else None,
            "slow_factor": self.slow_factor,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.scan = [ScanFault(**f) for f in data.get("scan", [])]
        drop = data.get("drop")
        self.drop = DropMove(**drop) if drop else None
        self.slow_factor = float(data.get("slow_factor", 1.0))
