"""AsyncSemphony's save_roi / find_roi: the blocking ROI engine driven over an async session from a
worker thread, checked against the simulator's ground truth; and cancelling the awaiting task."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

from semphony._async_session import AsyncSession
from semphony._wire import LoopBridge
from semphony.client import AsyncSemphony, NotFoundError, Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.roi import RoiRecord
from semphony.roi._plan import rotate
from semphony.session import EngineView
from tests._fixtures import local_client

T = TypeVar("T")

RESOLUTION = (256, 256)
SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": 1500.0}
# Long enough, with the simulator slowed down, to be interrupted while it scans.
LONG = AcquisitionConfig(resolution=(2048, 2048), dwell_time_us=10.0)


@pytest.fixture(scope="module")
def server() -> Iterator[Semphony]:
    # 1 ms of real time per instrument second: a slowed scan is interruptible, the rest is quick.
    yield from local_client(seed=7, specimen_kind="texture", realtime=0.001)


@asynccontextmanager
async def _imaging_session(
    server: Semphony, name: str
) -> AsyncIterator[tuple[AsyncSemphony, AsyncSession]]:
    # A fresh async client per event loop: its connections belong to the loop that opened them.
    async with AsyncSemphony(base_url=server.base_url, token=server.options.token) as c:
        run = await c.runs.create(name=name)
        async with run.session().start() as session:
            await session.chamber.pump()
            await session.beam.on()
            yield c, session


def _run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(scenario())


async def _beam_centre_mm(c: AsyncSemphony, session: AsyncSession) -> tuple[float, float]:
    """Where the beam really points, in stage coordinates (true stage plus beam shift)."""
    true = (await c.simulator.truth()).stage_true
    assert true is not None
    state = await session.state()
    bx, by = rotate(state.beam_shift_x_um, state.beam_shift_y_um, -true.r_deg)
    return true.x_mm + bx / 1000.0, true.y_mm + by / 1000.0


async def _at_first_load_mm(c: AsyncSemphony, x_mm: float, y_mm: float) -> tuple[float, float]:
    """The stage point (x, y) of now, in the coordinates of the specimen's first load."""
    truth = await c.simulator.truth()
    ux, uy = rotate(
        x_mm * 1000.0 - truth.shift_x_um, y_mm * 1000.0 - truth.shift_y_um, -truth.rotation_deg
    )
    return ux / 1000.0, uy / 1000.0


def test_async_save_reload_and_find_puts_the_beam_on_the_roi(server: Semphony) -> None:
    loop_thread = threading.get_ident()
    steps: list[tuple[int, int, str, int]] = []

    async def scenario() -> tuple[RoiRecord, RoiRecord, Any, float]:
        async with _imaging_session(server, "async roi") as (c, session):
            await session.stage.move_to(x=0.3, y=-0.2)
            record = await session.imaging.save_roi(
                RoiSpec(name="async-site", **SPEC),
                AcquisitionConfig(resolution=RESOLUTION),
                overwrite=True,
            )
            saved = await _at_first_load_mm(c, *await _beam_centre_mm(c, session))
            await c.simulator.reload(shift_x_um=320.0, shift_y_um=-210.0, rotation_deg=0.0)
            result = await session.imaging.find_roi(
                "async-site",
                progress=lambda done, total, message: steps.append(
                    (done, total, message, threading.get_ident())
                ),
            )
            now = (await c.simulator.truth(x_mm=saved[0], y_mm=saved[1])).point_now
            assert now is not None
            x, y = await _beam_centre_mm(c, session)
            error_um = math.hypot(x - now.x_mm, y - now.y_mm) * 1000.0
            return record, await c.rois.retrieve("async-site"), result, error_um

    record, fetched, result, error_um = _run(scenario)
    assert [lv.level for lv in record.levels] == ["roi", "l2", "l1", "l0"]
    assert all(lv.resolution == RESOLUTION for lv in record.levels)
    assert fetched == record
    assert result.found, result.metrics["reason"]
    pixel_um = record.levels[0].pixel_size_um
    assert pixel_um is not None
    assert result.metrics["final_residual_um"] <= pixel_um
    assert error_um <= pixel_um  # the ground truth agrees
    assert result.level_history[0]["level"] == "l0"
    # The engine runs in a worker thread; the progress callback still runs on the loop's.
    assert steps
    assert {ident for *_, ident in steps} == {loop_thread}
    assert steps[-1][:2] == (4, 4)


def test_cancelling_the_task_stops_the_engine_at_its_next_instrument_call(
    server: Semphony,
) -> None:
    bridges: list[LoopBridge] = []
    between_calls = threading.Event()
    proceed = threading.Event()
    seen: list[str] = []

    def engine(port: EngineView) -> None:
        assert isinstance(port._runner, LoopBridge)
        bridges.append(port._runner)
        port.state()
        between_calls.set()
        proceed.wait()  # computing, say: the task is cancelled meanwhile
        try:
            port.state()
            seen.append("went on")
        except asyncio.CancelledError:
            seen.append("refused")
            raise
        finally:
            seen.append("engine ended")

    async def scenario() -> None:
        async with _imaging_session(server, "async cancel engine") as (_, session):
            task = asyncio.create_task(session.imaging._engine(engine))
            await asyncio.to_thread(between_calls.wait)
            task.cancel()
            while not bridges[0].cancelled:  # the task has taken the cancellation in
                await asyncio.sleep(0)
            proceed.set()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The task ended only once the engine had: nothing runs on behind the caller's back.
            assert seen == ["refused", "engine ended"]
            # The session still works after the engine stopped.
            assert (await session.state()).active_operation_id is None

    _run(scenario)
    assert seen == ["refused", "engine ended"]


def test_cancelling_an_async_save_roi_cancels_its_scan_and_saves_nothing(
    server: Semphony,
) -> None:
    async def scenario() -> tuple[list[str], str | None]:
        async with _imaging_session(server, "async cancel save") as (c, session):
            await c.simulator.inject("slow", factor=1000.0)
            try:
                task = asyncio.create_task(
                    session.imaging.save_roi(
                        RoiSpec(name="never-finished", roi_fov_um=50.0, l0_fov_um=500.0), LONG
                    )
                )
                while (await session.state()).active_operation_id is None:
                    await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            finally:
                await c.simulator.clear_faults()
            with pytest.raises(NotFoundError):
                await c.rois.retrieve("never-finished")
            scans = await session.run.operations(kind="acquisition")
            return [s.status for s in scans], (await session.state()).active_operation_id

    statuses, active = _run(scenario)
    assert statuses == ["cancelled"]  # the finest level's scan; the overview was never started
    assert active is None
