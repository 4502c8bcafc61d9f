"""Faults the emulator can inject, armed from the command line or the side channel.

- ``scan_error`` (``code`` < 0, default −1; ``count`` 1): ``ScScanXY`` returns `code` and
  scans nothing;
- ``data_drop`` (``after_chunks`` ≥ 0, default 1; ``count`` 1): the scanning client's data
  connection is closed after that many chunks;
- ``stage_busy`` (``seconds`` > 0, real seconds, default: until ``StgStop`` or a clear; ``count``
  1): the next move leaves ``StgIsBusy`` at 1 that long;
- ``ignore_move`` (``count`` 1): ``StgMoveTo`` does nothing, without a word;
- ``stage_uncalibrated`` (stays until cleared): ``StgIsCalibrated`` answers 0 and moves are ignored.

Each counted fault is used up by the commands it strikes. The old protocol version is not a fault
but a start option (``--protocol-version``).
"""

from __future__ import annotations

import math
import threading
from typing import Any

__all__ = ["FAULT_KINDS", "Faults"]

FAULT_KINDS = ("scan_error", "data_drop", "stage_busy", "ignore_move", "stage_uncalibrated")


def _int(params: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    value = params.pop(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name}={value!r} must be an integer in [{lo}, {hi}]")
    return value


def _seconds(params: dict[str, Any]) -> float | None:
    value = params.pop("seconds", None)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"seconds={value!r} must be a number > 0 (or null: until StgStop)")
    return float(value)


class Faults:
    """The armed faults (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, dict[str, Any]] = {}

    def arm(self, kind: str, **params: Any) -> list[dict[str, Any]]:
        """Arm `kind` with `params` (replacing an armed one of that kind); returns `armed()`.
        An unknown kind or parameter, or a value out of range, is a `ValueError` naming it."""
        params = dict(params)
        fault: dict[str, Any]
        if kind == "scan_error":
            fault = {"code": _int(params, "code", -1, -(2**31), -1)}
        elif kind == "data_drop":
            fault = {"after_chunks": _int(params, "after_chunks", 1, 0, 2**31 - 1)}
        elif kind == "stage_busy":
            fault = {"seconds": _seconds(params)}
        elif kind == "ignore_move" or kind == "stage_uncalibrated":
            fault = {}
        else:
            raise ValueError(f"fault={kind!r} is not one of {list(FAULT_KINDS)}")
        if kind != "stage_uncalibrated":
            fault["count"] = _int(params, "count", 1, 1, 2**31 - 1)
        if params:
            raise ValueError(f"unknown parameters for {kind}: {sorted(params)}")
        with self._lock:
            self._armed[kind] = fault
        return self.armed()

    def clear(self) -> list[dict[str, Any]]:
        with self._lock:
            self._armed.clear()
        return []

    def armed(self) -> list[dict[str, Any]]:
        """Every armed fault as ``{"fault": kind, ...parameters}``."""
        with self._lock:
            return [{"fault": k, **v} for k, v in self._armed.items()]

    def take(self, kind: str) -> dict[str, Any] | None:
        """The parameters of an armed `kind`, using up one count; None when none is armed."""
        with self._lock:
            fault = self._armed.get(kind)
            if fault is None:
                return None
            if "count" in fault:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    del self._armed[kind]
            return dict(fault)

    def active(self, kind: str) -> bool:
        """Whether `kind` is armed (without using it up)."""
        with self._lock:
            return kind in self._armed
