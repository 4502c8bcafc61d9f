"""The shared driver suite run against the simulated SEM."""

from __future__ import annotations

import pytest

from semphony.server.drivers.sim import SimDriver

from .driver_contract import DriverContract, MakeDriver


def _opened(seed: int) -> SimDriver:
    driver = SimDriver(seed=seed)
    driver.open()
    return driver


class TestSimDriverContract(DriverContract):
    @pytest.fixture
    def make_driver(self) -> MakeDriver:
        return lambda: _opened(7)
