"""The simulated SEM driver (`SimDriver`): specimen, stage, optics and detectors, clock, faults.

Modules: `specimen` (what is imaged), `stage` (where it really is), `optics` (where each pixel
lands, blur, noise and detector response), `clock` (virtual instrument time), `faults` (fault
injection) and `driver` (the `Driver` implementation and the simulator-only controls).
"""

from semphony.server.drivers.sim.driver import SCAN_SPEEDS_US, SimDriver
from semphony.server.drivers.sim.specimen import SPECIMEN_KINDS

__all__ = ["SCAN_SPEEDS_US", "SPECIMEN_KINDS", "SimDriver"]
