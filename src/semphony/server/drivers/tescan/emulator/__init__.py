"""A SharkSEM server over the simulated SEM: the same physics as the ``sim`` driver, Tescan's wire.

Control on port P, data on P + 1, and a side channel of its own (not SharkSEM; P + 2 by default)
that remounts the specimen, reports ground truth and arms faults. It behaves as a Tescan server
does where that matters to a client's defences: answers only where the protocol gives one, silence
for unknown commands, bad arguments and commands newer than the emulated protocol version, silent
clamping, ignored commands (``HVBeamOn`` without vacuum, ``StgMoveTo`` while busy), status codes
that pass through their in-between states in the emulator's own time-scaled clock, and images as
``ScData`` chunks on the data channel.

Modules: `_physics` (the one place that calls `SimDriver`), `_instrument` (state machine and
units), `_timing` (time scale and phases), `_scan` (ScScanXY, axis convention, ScData
streaming), `_autos` (AutoWD, DtAutoSignal), `_dispatch` (messages to the instrument), `_server`
(sockets), `_side` (side channel and its client), `_faults` (fault injection), `cli` (``main``).
"""

from semphony.server.drivers.tescan.emulator._faults import FAULT_KINDS
from semphony.server.drivers.tescan.emulator._instrument import EmulatorConfig
from semphony.server.drivers.tescan.emulator._scan import conventions, transform
from semphony.server.drivers.tescan.emulator._server import Emulator
from semphony.server.drivers.tescan.emulator._side import (
    SideChannelError,
    arm_fault,
    clear_faults,
    remount,
    set_time_scale,
    side_call,
    truth,
)

__all__ = [
    "FAULT_KINDS",
    "Emulator",
    "EmulatorConfig",
    "SideChannelError",
    "arm_fault",
    "clear_faults",
    "conventions",
    "remount",
    "set_time_scale",
    "side_call",
    "transform",
    "truth",
]
