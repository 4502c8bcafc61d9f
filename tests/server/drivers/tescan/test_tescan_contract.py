"""The shared driver suite run against the tescan driver, talking SharkSEM over loopback to the
emulator (a fresh one per test, at time scale 0: the states pass in order without waiting)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from semphony.server.drivers.sim.device import LIMITS as SIM_LIMITS
from semphony.server.drivers.tescan import Nominal, TescanDriver
from semphony.server.drivers.tescan.emulator import Emulator

from ..driver_contract import DriverContract, MakeDriver

# The emulator's column is the simulator's: its pole-piece rule is what a site would configure.
NOMINAL = Nominal(clearance=SIM_LIMITS.clearance)


@pytest.fixture
def tescan_driver(start_emulator: Callable[..., Emulator]) -> Iterator[MakeDriver]:
    drivers: list[TescanDriver] = []

    def make() -> TescanDriver:
        emulator = start_emulator(seed=7)
        driver = TescanDriver("127.0.0.1", emulator.control_port, nominal=NOMINAL)
        driver.open()
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


class TestTescanDriverContract(DriverContract):
    @pytest.fixture
    def make_driver(self, tescan_driver: MakeDriver) -> MakeDriver:
        return tescan_driver
