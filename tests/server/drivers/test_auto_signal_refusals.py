"""Auto signal is refused, before anything is sent, on a driver that lacks it or lacks a gain."""

from __future__ import annotations

import dataclasses

import pytest

from semphony.server.drivers import DeviceInfo, UnsupportedError
from tests.server.fake_hardware import FakeHardware


class _Without(FakeHardware):
    """Fake hardware that does not publish `missing` among its capabilities."""

    def __init__(self, missing: str) -> None:
        super().__init__()
        self.missing = missing

    def _do_device_info(self) -> DeviceInfo:
        info = super()._do_device_info()
        caps = tuple(c for c in info.capabilities if c != self.missing)
        return dataclasses.replace(info, capabilities=caps)


@pytest.mark.parametrize(
    ("missing", "says"),
    [("auto_signal", "has no auto signal"), ("detector_gain", "takes no gain or offset")],
)
def test_a_driver_without_auto_signal_or_gain_refuses_it_and_changes_nothing(
    missing: str, says: str
) -> None:
    driver = _Without(missing)
    driver.open()
    driver.pump()
    driver.set_beam(True)
    before = driver.state()
    with pytest.raises(UnsupportedError, match=says) as err:
        driver.auto_signal()
    assert err.value.field == "auto_signal"
    after = driver.state()
    assert (after.detector, after.clock_s) == (before.detector, before.clock_s)
    driver.close()
