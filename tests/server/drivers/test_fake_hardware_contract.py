"""The shared driver suite run against a driver that is not the simulator (not persistent)."""

from __future__ import annotations

import pytest

from tests.server.fake_hardware import FakeHardware

from .driver_contract import DriverContract, MakeDriver


def _opened() -> FakeHardware:
    driver = FakeHardware(seed=7)
    driver.open()
    return driver


class TestFakeHardwareContract(DriverContract):
    @pytest.fixture
    def make_driver(self) -> MakeDriver:
        return _opened
