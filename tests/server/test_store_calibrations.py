"""The calibrations table: one current calibration per instrument, kept across reopening."""

from __future__ import annotations

from pathlib import Path

from semphony.server.store import Store


def test_a_calibration_is_stored_per_instrument_and_replaced_by_the_next(
    tmp_path: Path, database_url: str | None
) -> None:
    clock = iter([100.0, 200.0, 300.0])
    with Store(tmp_path, database_url=database_url, clock=lambda: next(clock)) as store:
        assert store.calibrations.get("local") is None
        store.calibrations.save("local", {"matrix": [[1, 0], [0, -1]]})
        store.calibrations.save("vega", {"matrix": [[0, 1], [1, 0]]})
        store.calibrations.save("local", {"matrix": [[1, 0], [0, 1]]})
    with Store(tmp_path, database_url=database_url) as reopened:
        local = reopened.calibrations.get("local")
        vega = reopened.calibrations.get("vega")
    assert local is not None
    assert vega is not None
    assert local.calibration == {"matrix": [[1, 0], [0, 1]]}
    assert local.measured_at.timestamp() == 300.0
    assert vega.calibration == {"matrix": [[0, 1], [1, 0]]}
