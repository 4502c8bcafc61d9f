"""Stage moves over SharkSEM, done the way the protocol forces: absolute, then watched.

`StgMoveTo` is absolute (relative moves were resolved from a fresh read by the base), void, and
silently ignored when the stage is busy or not calibrated, so before sending: `StgIsCalibrated`
and `StgIsBusy` must both say the move can happen; after sending: wait a short moment (the
controller may not report busy at once), poll `StgIsBusy` until 0, reading the position for
progress, and stop (`StgStop`) on cancel or when it stays busy too long. The base then compares
the read-back with the target; a stage that never moved is told apart here ("ignored").
"""

from __future__ import annotations

import math

from semphony.server.drivers.errors import Cancelled, DeviceFault, DeviceMismatchError
from semphony.server.drivers.tescan._link import Link, Wait, poll
from semphony.server.drivers.types import STAGE_AXES, Progress, StagePlan, StagePose

__all__ = ["MOVE_SETTLE_S", "move_stage", "pose_of"]

MOVE_SETTLE_S = 0.1  # open-source clients found a move may not show as busy before this
_STOP_CHECK_S = 2.0


def pose_of(values: tuple[float, ...]) -> StagePose:
    """`StgGetPosition`'s x, y, z (mm), rotation, tilt (degrees); a sixth value is ignored."""
    if len(values) < 5:
        raise DeviceFault(None, f"StgGetPosition answered {len(values)} values, not 5 or 6")
    return StagePose(*values[:5])


def _distance(a: StagePose, b: StagePose) -> float:
    return math.sqrt(sum((getattr(a, k) - getattr(b, k)) ** 2 for k in STAGE_AXES))


def _text(pose: StagePose) -> str:
    return (
        f"x {pose.x_mm:.6g} mm, y {pose.y_mm:.6g} mm, z {pose.z_mm:.6g} mm, "
        f"r {pose.r_deg:.6g}°, t {pose.t_deg:.6g}°"
    )


def _stop(link: Link) -> str:
    """`StgStop`, read back: what to say about it."""
    link.call("StgStop")
    for elapsed in poll(None, 0.01, 0.1):
        if link.get_int("StgIsBusy") == 0:
            now = pose_of(link.get_floats("StgGetPosition"))
            return f"it was stopped (StgStop) at {_text(now)}"
        if elapsed > _STOP_CHECK_S:
            break
    return f"StgStop was sent but the stage still reports busy after {_STOP_CHECK_S:g} s"


def move_stage(
    link: Link,
    plan: StagePlan,
    progress: Progress,
    cancel: Wait,
    *,
    timeout_s: float,
    tolerance: float,
) -> None:
    """Move to `plan.target`; `Cancelled` (stopped where it got to) or `DeviceFault`."""
    if cancel.is_set():
        raise Cancelled("the move was cancelled before it started")
    if link.get_int("StgIsCalibrated") != 1:
        raise DeviceFault(None, "the stage is not calibrated (StgIsCalibrated 0): it cannot move")
    if link.get_int("StgIsBusy") != 0:
        raise DeviceFault(
            None,
            "the stage is already moving (StgIsBusy 1; another client?): StgMoveTo would "
            "be ignored",
        )
    target = plan.target
    start = pose_of(link.get_floats("StgGetPosition"))
    link.call("StgMoveTo", target.x_mm, target.y_mm, target.z_mm, target.r_deg, target.t_deg)
    total = max(1, plan.total)
    span = _distance(start, target)
    if cancel.wait(MOVE_SETTLE_S):
        raise Cancelled(f"the move was cancelled; {_stop(link)}")
    busy = True
    for elapsed in poll(cancel, 0.02, 0.25):
        busy = link.get_int("StgIsBusy") != 0
        now = pose_of(link.get_floats("StgGetPosition"))
        if span > 0:
            done = round(total * (1 - min(1.0, _distance(now, target) / span)))
            progress(min(done, total - 1) if busy else total, total)
        if not busy:
            break
        if elapsed > timeout_s:
            raise DeviceFault(
                None,
                f"the stage still reported busy (StgIsBusy 1) {timeout_s:g} s after StgMoveTo; "
                f"{_stop(link)}",
            )
    if busy:  # the poll ended on the cancel token
        raise Cancelled(f"the move was cancelled; {_stop(link)}")
    after = pose_of(link.get_floats("StgGetPosition"))
    if span > tolerance and _distance(after, start) <= tolerance:
        raise DeviceMismatchError(
            f"StgMoveTo was ignored: the stage never moved from {_text(start)} towards "
            f"{_text(target)} (busy or uncalibrated at the controller?)"
        )
