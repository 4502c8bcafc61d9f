"""Fault injection for the simulated SEM: scan errors, vacuum loss, dropped moves, a slow device."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from semphony.server.drivers.errors import RangeError

__all__ = [
    "FAULT_KINDS",
    "MOVE_STOPPED_CODE",
    "SCAN_ERROR_CODE",
    "VACUUM_LOSS_CODE",
    "DropMove",
    "Faults",
    "ScanFault",
]

FAULT_KINDS = ("scan_error", "vacuum_loss", "drop_move", "slow")

# Device return codes are integers, as SharkSEM's are (an int32, negative for a failure).
SCAN_ERROR_CODE = -1
VACUUM_LOSS_CODE = -3
MOVE_STOPPED_CODE = -5
_INT32 = (-(2**31), 2**31 - 1)

_REASON = "range.sim"


@dataclass
class ScanFault:
    """The next `count` scans fail after `after_lines` lines (a device error, or vacuum loss)."""

    kind: str
    after_lines: int
    count: int
    device_code: int
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


def _device_code(params: dict[str, Any], default: int) -> int:
    value = params.pop("device_code", default)
    lo, hi = _INT32
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RangeError(
            _REASON, "device_code", f"device_code={value!r} must be an integer in [{lo}, {hi}]"
        )
    return value


def _message(params: dict[str, Any], default: str) -> str:
    value = params.pop("device_message", default)
    if not isinstance(value, str):
        raise RangeError(_REASON, "device_message", f"device_message={value!r} must be a string")
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
            default_code = SCAN_ERROR_CODE if kind == "scan_error" else VACUUM_LOSS_CODE
            default_message = (
                "ScScanXY failed: scan generator reported an error (simulated)"
                if kind == "scan_error"
                else "chamber pressure rose above the HV limit; HV switched off (simulated)"
            )
            fault = ScanFault(
                kind=kind,
                # Both scan faults strike at the first line unless told otherwise (the contract's
                # documented default).
                after_lines=_int(params, "after_lines", 0, 0),
                count=_int(params, "count", 1, 1),
                device_code=_device_code(params, default_code),
                device_message=_message(params, default_message),
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
        # Snapshots written before codes were integers hold them as strings.
        self.scan = [
            ScanFault(**{**f, "device_code": int(f["device_code"])}) for f in data.get("scan", [])
        ]
        drop = data.get("drop")
        self.drop = DropMove(**drop) if drop else None
        self.slow_factor = float(data.get("slow_factor", 1.0))
