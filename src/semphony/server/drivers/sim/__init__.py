"""The simulated SEM driver (`SimDriver`): specimen, stage, optics and detectors, clock, faults.

Modules: `specimen` and `image_specimen` (what is imaged), `stage` (where it really is), `optics`
(where each pixel lands, blur, noise and detector response), `clock` (virtual instrument time),
`faults` (fault injection), `device` (what it can do), `model` (its state), `controls` (the
simulator-only commands), `driver` (the `Driver` implementation), `factory` (from settings) and
`router` (the simulator-only HTTP routes, mounted only for this driver).
"""

from semphony.server.drivers.sim.device import SCAN_SPEEDS_US
from semphony.server.drivers.sim.driver import SimDriver
from semphony.server.drivers.sim.factory import from_settings
from semphony.server.drivers.sim.specimen import SPECIMEN_KINDS

__all__ = ["SCAN_SPEEDS_US", "SPECIMEN_KINDS", "SimDriver", "from_settings"]
