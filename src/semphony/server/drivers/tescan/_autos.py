"""The instrument's own auto procedures: `AutoWD` (autofocus) and `DtAutoSignal` (contrast and
brightness). Both are void, take seconds (wait flag D) and need the beam on and no scan; the
driver sends one, waits a moment, then polls `IsBusy` on the auto-procedure bit until it clears,
reporting progress and watching the cancel token (SharkSEM has no command that aborts one: a
cancel stops the waiting, the instrument finishes on its own).
"""

from __future__ import annotations

from semphony.server.drivers.errors import Cancelled, DeviceFault
from semphony.server.drivers.tescan._codec import WAIT_D
from semphony.server.drivers.tescan._link import Link, Wait, poll
from semphony.server.drivers.types import Progress

__all__ = ["AUTO_STEPS", "run_auto"]

AUTO_STEPS = 10  # progress units of one auto procedure
_SETTLE_S = 0.05


def run_auto(
    link: Link,
    command: str,
    args: tuple[float | int, ...],
    progress: Progress,
    cancel: Wait,
    *,
    nominal_s: float,
    timeout_s: float,
) -> None:
    """Send `command`(`args`) and wait until the auto procedures are idle."""
    if cancel.is_set():
        raise Cancelled(f"{command} was cancelled before it started")
    link.call(command, *args)
    if cancel.wait(_SETTLE_S):
        raise Cancelled(f"stopped waiting for {command}; the instrument finishes it on its own")
    busy = True
    for elapsed in poll(cancel, 0.02, 0.5):
        busy = link.get_int("IsBusy", WAIT_D) != 0
        if not busy:
            break
        progress(min(AUTO_STEPS - 1, int(AUTO_STEPS * elapsed / nominal_s)), AUTO_STEPS)
        if elapsed > timeout_s:
            raise DeviceFault(None, f"{command} was still busy (IsBusy) after {timeout_s:g} s")
    if busy:
        raise Cancelled(f"stopped waiting for {command}; the instrument finishes it on its own")
    progress(AUTO_STEPS, AUTO_STEPS)
