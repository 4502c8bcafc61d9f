"""The detector command and the whole audit log, from the SDK (sync and async)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from semphony.client import AsyncSemphony, DeviceRangeError, Semphony, UnprocessableEntityError
from tests._fixtures import local_client


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    yield from local_client(seed=3)


def test_the_detector_is_selected_and_its_response_set_and_read_back(client: Semphony) -> None:
    run = client.runs.create(name="detector")
    with run.session().start() as session:
        state = session.detector.set(mode="BSE", gain=1.5, offset=-0.1, bit_depth=16)
        assert (state.detector.mode, state.detector.bit_depth) == ("BSE", 16)
        assert (state.detector.gain, state.detector.offset) == (1.5, -0.1)
        with pytest.raises(UnprocessableEntityError) as err:
            session.detector.set(channel=9)
        assert (err.value.status_code, err.value.reason) == (409, "range.detector")
        assert isinstance(err.value, DeviceRangeError)
        assert err.value.field == "channel"
        assert "channel" in str(err.value)
        assert session.state().detector.mode == "BSE"


def test_the_whole_audit_names_the_user_and_holds_commands_outside_runs(client: Semphony) -> None:
    run = client.runs.create(name="audited")
    with run.session().start() as session:
        session.detector.set(gain=1.2)
    client.simulator.reload(shift_x_um=5.0)
    mine = client.audit(run_id=run.id, action="detector.set")
    assert [(e.action, e.outcome, e.user) for e in mine] == [
        ("detector.set", "succeeded", "operator")
    ]
    outside = client.audit(outside_runs=True, action="sim.reload")
    assert outside
    assert all(e.run_id is None for e in outside)
    later = client.audit(after_id=mine[0].id)
    assert all(e.id > mine[0].id for e in later)


def test_the_async_client_has_the_same_detector_and_audit(client: Semphony) -> None:
    async def scenario() -> tuple[str, list[str]]:
        async with AsyncSemphony(base_url=client.base_url, token=client.options.token) as c:
            run = await c.runs.create(name="async detector")
            async with run.session().start() as session:
                state = await session.detector.set(mode="SE", gain=1.1)
            entries = await c.audit(run_id=run.id, action="detector.set")
            return state.detector.mode, [e.outcome for e in entries]

    mode, outcomes = asyncio.run(scenario())
    assert (mode, outcomes) == ("SE", ["succeeded"])
