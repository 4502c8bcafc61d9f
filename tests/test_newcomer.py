"""What a newcomer met in their first hour, against the embedded simulator: each a test that failed
on the SDK before the fix (issue "The SDK: layers that hold …", "What using it found")."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from semphony._exceptions import OutOfRangeError
from semphony._types import AuditEntry, DeviceInfo, Operation, SimTruth
from semphony.client import AsyncSemphony, OperationCancelledError, Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.session import Session
from tests._fixtures import local_client

LONG = AcquisitionConfig(resolution=(2048, 2048), dwell_time_us=10.0)


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    # 1 ms of real time per instrument second: pumping shows progress, a slowed scan can be stopped.
    yield from local_client(seed=5, realtime=0.001)


@pytest.fixture
def session(client: Semphony) -> Iterator[Session]:
    run = client.runs.create(name="newcomer")
    with run.session().start() as s:
        yield s


def test_every_answer_is_typed(client: Semphony, session: Session) -> None:
    device = client.device()
    assert isinstance(device, DeviceInfo)
    assert device.limits.fov_um.min > 0
    assert "SE" in device.detector_modes
    assert isinstance(client.simulator.truth(), SimTruth)
    session.chamber.pump()
    audit = session.run.operations()
    assert all(isinstance(op, Operation) for op in audit)
    entries = client.runs.retrieve(session.run_id).audit()
    assert entries
    assert all(isinstance(e, AuditEntry) for e in entries)
    assert entries[0].action == "session.start"


def seen_by(seen: list[tuple[int, int, str]]) -> Any:
    return lambda *p: seen.append(p)


def test_pump_and_vent_report_progress(session: Session) -> None:
    session.chamber.pump()  # from wherever an earlier test left it
    session.beam.off()
    for action in (session.chamber.vent, session.chamber.pump):
        seen: list[tuple[int, int, str]] = []
        assert action(progress=seen_by(seen)) in ("vented", "pumped")
        assert seen
        assert seen[-1][0] == seen[-1][1] > 0  # done == total at the end
        assert {unit for *_, unit in seen} == {"s"}


def test_save_roi_reports_progress_per_level(session: Session) -> None:
    session.chamber.pump()
    session.beam.on()
    seen: list[tuple[int, int, str]] = []
    spec = RoiSpec(name="progress", roi_fov_um=50, l0_fov_um=500)
    config = AcquisitionConfig(resolution=(64, 64))
    session.imaging.save_roi(spec, config, overwrite=True, progress=lambda *p: seen.append(p))
    assert [done for done, _, message in seen if "acquired" in message] == [1, 2]
    assert {total for _, total, _ in seen} == {2}


def test_save_roi_checks_every_level_against_the_device_before_the_first_acquisition(
    session: Session,
) -> None:
    session.chamber.pump()
    session.beam.on()
    scans = len(session.run.operations(kind="acquisition"))
    spec = RoiSpec(name="too-wide", roi_fov_um=50, l2_fov_um=150, l1_fov_um=300, l0_fov_um=20000)
    with pytest.raises(OutOfRangeError) as caught:
        session.imaging.save_roi(spec, AcquisitionConfig(resolution=(64, 64)))
    assert caught.value.field == "l0_fov_um"
    assert "10000" in caught.value.allowed
    with pytest.raises(OutOfRangeError, match="mode"):
        session.imaging.save_roi(
            RoiSpec(name="bad-mode", roi_fov_um=50), AcquisitionConfig(mode="XYZ")
        )
    assert len(session.run.operations(kind="acquisition")) == scans  # nothing was acquired
    assert session.rois.find("too-wide") is None


def test_stop_ends_a_running_scan_now_and_leaves_the_beam_on(
    client: Semphony, session: Session
) -> None:
    session.chamber.pump()
    session.beam.on()
    client.simulator.inject("slow", factor=1000.0)
    failure: list[BaseException] = []

    def scan() -> None:
        try:
            session.imaging.acquire(LONG)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=scan)
    try:
        worker.start()
        while client.state().active_operation_id is None:
            pass
        state = session.stop()
        worker.join(timeout=30)
    finally:
        client.simulator.clear_faults()
    assert state.beam_on
    assert not worker.is_alive()
    assert isinstance(failure[0], OperationCancelledError)
    assert client.state().active_operation_id is None


def test_the_async_stop_does_the_same(client: Semphony) -> None:
    async def scenario() -> tuple[bool, BaseException | None]:
        async with AsyncSemphony(base_url=client.base_url, token=client.options.token) as c:
            run = await c.runs.create(name="async stop")
            async with run.session().start() as s:
                await s.chamber.pump()
                await s.beam.on()
                await c.simulator.inject("slow", factor=1000.0)
                try:
                    task = asyncio.create_task(s.imaging.acquire(LONG))
                    while (await c.state()).active_operation_id is None:
                        await asyncio.sleep(0.01)
                    state = await s.stop()
                    outcome: Any = await asyncio.gather(task, return_exceptions=True)
                finally:
                    await c.simulator.clear_faults()
                return state.beam_on, outcome[0]

    beam_on, outcome = asyncio.run(scenario())
    assert beam_on
    assert isinstance(outcome, OperationCancelledError)
