"""The shared driver suite run against the simulated SEM."""

from __future__ import annotations

import pytest

from semphony.server.drivers import SimDriver

from .driver_contract import DriverContract, MakeDriver


class TestSimDriverContract(DriverContract):
    @pytest.fixture
    def make_driver(self) -> MakeDriver:
        return lambda: SimDriver(seed=7)
