"""Async sessions match sync ones: the lease, the guardrails, the capabilities, downloads, and
cancellation of the waiting task cancelling the server's operation."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from semphony._async_session import AsyncRun, AsyncSession, AsyncSessionBuilder
from semphony._exceptions import SemphonyGuardrailException
from semphony._types import Operation
from semphony.client import APITimeoutError, AsyncSemphony, Semphony
from semphony.guardrails import ImagingGuardrails, StageAbsoluteLimits, StageRelativeLimits
from semphony.models import AcquisitionConfig
from semphony.session import Run, Session, SessionBuilder
from tests._fixtures import local_client

T = TypeVar("T")

SMALL = AcquisitionConfig(fov_um=100, resolution=(128, 96))
# Long enough, with the simulator slowed down, to be interrupted while it scans.
LONG = AcquisitionConfig(fov_um=50, resolution=(2048, 2048), dwell_time_us=10.0)


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    # 1 ms of real time per instrument second: pumping is quick, a slowed scan is interruptible.
    yield from local_client(seed=11, realtime=0.001)


@asynccontextmanager
async def _async_client(client: Semphony) -> AsyncIterator[AsyncSemphony]:
    # A fresh async client per event loop: httpx's async connections belong to the loop that
    # opened them, while the (sync-owned) server lives for the whole module.
    async with AsyncSemphony(base_url=client.base_url, token=client.options.token) as c:
        yield c


def _run(client: Semphony, scenario: Callable[[AsyncSemphony], Coroutine[Any, Any, T]]) -> T:
    async def main() -> T:
        async with _async_client(client) as c:
            return await scenario(c)

    return asyncio.run(main())


def test_an_async_session_pumps_moves_sets_optics_acquires_downloads_and_reads(
    client: Semphony, tmp_path: Path
) -> None:
    (tmp_path / "frames").mkdir()
    target = tmp_path / "frames" / "a.tiff"
    reports: list[tuple[int, int, str]] = []

    async def scenario(c: AsyncSemphony) -> None:
        run = await c.runs.create(name="async happy path")
        async with run.session().start() as session:
            assert isinstance(session, AsyncSession)
            lease = (await session.state()).lease
            assert lease is not None
            assert lease.session_id == session.id
            assert await session.chamber.pump() == "pumped"
            assert (await session.beam.on()).beam_on is True
            state = await session.optics.set(fov_um=80, beam_shift_um=(1.5, -2.0))
            assert state.fov_um == pytest.approx(80)
            assert (state.beam_shift_x_um, state.beam_shift_y_um) == pytest.approx((1.5, -2.0))
            start = await session.stage.position()
            pose = await session.stage.move_by(x=0.01, y=-0.02)
            assert pose.x_mm == pytest.approx(start.x_mm + 0.01, abs=0.005)
            assert pose.y_mm == pytest.approx(start.y_mm - 0.02, abs=0.005)
            pose = await session.stage.move_to(x=start.x_mm)
            assert pose.x_mm == pytest.approx(start.x_mm, abs=0.005)
            assert await session.stage.position() == pose

            result = await session.imaging.acquire(
                SMALL, target_path=target, progress=lambda *r: reports.append(r)
            )
            assert result.local_path == str(target)
            assert result.size == (128, 96)
            assert hashlib.sha256(target.read_bytes()).hexdigest() == result.metadata["sha256"]
            assert [p.name for p in target.parent.iterdir()] == ["a.tiff"]  # no temporary left
            pixels = await session.imaging.read(result)
            assert pixels.shape == (96, 128)
            assert np.ptp(pixels) > 0
            downloaded = await session.imaging.read(dataclasses.replace(result, local_path=None))
            np.testing.assert_array_equal(downloaded, pixels)
        assert session.closed
        actions = [entry["action"] for entry in await run.audit()]
        assert "stage.move" in actions
        assert [op["id"] for op in await run.operations(kind="acquisition")] == [
            result.correlation_id
        ]

    _run(client, scenario)
    assert reports[-1] == (96, 96, "lines")


@pytest.mark.parametrize(
    ("guardrails", "setup", "refused", "guardrail_type"),
    [
        (None, "vent", ("beam", "on", {}), "chamber_beam.require_vacuum_for_beam"),
        (None, "beam_on", ("chamber", "vent", {}), "chamber_beam.require_beam_off_for_vent"),
        (
            ImagingGuardrails(stage_absolute=StageAbsoluteLimits(x=(-1.0, 1.0))),
            None,
            ("stage", "move_to", {"x": 2.0}),
            "stage_absolute.x",
        ),
        (
            ImagingGuardrails(stage_relative=StageRelativeLimits(x_pct=100)),
            None,
            ("stage", "move_by", {"x": 1.0}),  # 1 mm is far beyond 100 % of a µm-sized FOV
            "stage_relative.x_pct",
        ),
    ],
    ids=["beam-without-vacuum", "vent-with-beam", "absolute-x", "relative-x"],
)
def test_an_async_guardrail_refusal_sends_nothing_and_matches_the_sync_refusal(
    client: Semphony,
    guardrails: ImagingGuardrails | None,
    setup: str | None,
    refused: tuple[str, str, dict[str, float]],
    guardrail_type: str,
) -> None:
    capability, method, kwargs = refused

    def sync_refusal() -> SemphonyGuardrailException:
        run = client.runs.create(name="sync refusal")
        with run.session(guardrails=guardrails).start() as session:
            if setup == "vent":
                session.beam.off()
                if not session.state().vented:
                    session.chamber.vent()
            if setup == "beam_on":
                session.chamber.pump()
                session.beam.on()
            before = run.audit()
            with pytest.raises(SemphonyGuardrailException) as caught:
                getattr(getattr(session, capability), method)(**kwargs)
            assert run.audit() == before
            session.beam.off()
        return caught.value

    async def async_refusal(c: AsyncSemphony) -> SemphonyGuardrailException:
        run = await c.runs.create(name="async refusal")
        async with run.session(guardrails=guardrails).start() as session:
            if setup == "vent":
                await session.beam.off()
                if not (await session.state()).vented:
                    await session.chamber.vent()
            if setup == "beam_on":
                await session.chamber.pump()
                await session.beam.on()
            before = await run.audit()
            with pytest.raises(SemphonyGuardrailException) as caught:
                await getattr(getattr(session, capability), method)(**kwargs)
            assert await run.audit() == before
            await session.beam.off()
        return caught.value

    expected = sync_refusal()
    got = _run(client, async_refusal)
    assert got.guardrail_type == expected.guardrail_type == guardrail_type
    assert got.details == expected.details


def test_the_lease_is_released_after_an_exception_inside_async_with(client: Semphony) -> None:
    class BoomError(Exception):
        pass

    opened: list[AsyncSession] = []

    async def work_that_fails(run: AsyncRun) -> None:
        async with run.session().start() as session:
            opened.append(session)
            assert (await session.state()).lease is not None
            raise BoomError

    async def scenario(c: AsyncSemphony) -> str:
        run = await c.runs.create(name="async failure")
        with pytest.raises(BoomError):
            await work_that_fails(run)
        async with run.session().start() as after:
            lease = (await after.state()).lease
            assert lease is not None
            return lease.session_id

    after_id = _run(client, scenario)
    (session,) = opened
    assert session.closed
    assert after_id != session.id


def test_a_started_session_can_be_awaited_and_aclose_is_idempotent(client: Semphony) -> None:
    async def scenario(c: AsyncSemphony) -> None:
        run = await c.runs.create(name="awaited")
        session = await run.session().start(holder="notebook")
        try:
            assert session.holder == "notebook"
            assert await session.stage.position() == (await session.state()).stage
        finally:
            await session.aclose()
            await session.aclose()
        assert session.closed
        async with await run.session().start() as again:
            assert (await again.state()).lease is not None

    _run(client, scenario)


def test_the_async_heartbeat_renews_the_lease(client: Semphony) -> None:
    async def scenario(c: AsyncSemphony) -> None:
        run = await c.runs.create(name="heartbeat")
        async with run.session().start(lease_s=1.5) as session:
            first = (await session.state()).lease
            assert first is not None
            renewed = first.expires_at
            for _ in range(200):  # at most ~20 s; the lease is renewed every 0.5 s
                if renewed > first.expires_at:
                    break
                await asyncio.sleep(0.1)
                lease = (await session.state()).lease
                assert lease is not None, "the lease expired although the heartbeat runs"
                renewed = lease.expires_at
            assert renewed > first.expires_at

    _run(client, scenario)


def test_cancelling_the_task_during_an_acquisition_cancels_it_on_the_server(
    client: Semphony,
) -> None:
    seen: list[tuple[int, int]] = []

    async def scenario(c: AsyncSemphony) -> tuple[list[Operation], str | None]:
        run = await c.runs.create(name="cancelled")
        async with run.session().start() as session:
            await session.chamber.pump()
            await session.beam.on()
            scanning = asyncio.Event()

            def on_progress(done: int, total: int, unit: str) -> None:
                seen.append((done, total))
                scanning.set()

            await c.simulator.inject("slow", factor=1000.0)
            try:
                task = asyncio.create_task(session.imaging.acquire(LONG, progress=on_progress))
                await scanning.wait()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            finally:
                await c.simulator.clear_faults()
            scans = await run.operations(kind="acquisition")
            return scans, (await session.state()).active_operation_id

    scans, active = _run(client, scenario)
    assert seen, "the progress callback was never called"
    done, total = seen[0]
    assert done < total
    assert [s["status"] for s in scans] == ["cancelled"]
    assert active is None


def test_an_acquisition_past_its_timeout_is_cancelled_on_the_server(client: Semphony) -> None:
    async def scenario(c: AsyncSemphony) -> list[Operation]:
        run = await c.runs.create(name="timed out")
        async with run.session().start() as session:
            await session.chamber.pump()
            await session.beam.on()
            await c.simulator.inject("slow", factor=1000.0)
            try:
                with pytest.raises(APITimeoutError, match="was cancelled"):
                    await session.imaging.acquire(LONG, timeout_s=0.2)
            finally:
                await c.simulator.clear_faults()
            return await run.operations(kind="acquisition")

    assert [s["status"] for s in _run(client, scenario)] == ["cancelled"]


def test_async_save_roi_refuses_a_taken_name_before_acquiring_and_find_roi_an_unknown_one(
    client: Semphony,
) -> None:
    from semphony.client import ConflictError, NotFoundError
    from semphony.models import RoiSpec

    spec = RoiSpec(name="async-taken", roi_fov_um=50)
    config = AcquisitionConfig(resolution=(64, 64))

    async def scenario(c: AsyncSemphony) -> tuple[int, int, str | None]:
        run = await c.runs.create(name="async roi refusals")
        async with run.session().start() as session:
            await session.chamber.pump()
            await session.beam.on()
            record = await session.imaging.save_roi(spec, config, overwrite=True)
            assert [lv.level for lv in record.levels] == ["roi"]
            assert record.run_id == run.id
            before = len(await run.operations(kind="acquisition"))
            with pytest.raises(ConflictError) as caught:
                await session.imaging.save_roi(spec, config)
            with pytest.raises(NotFoundError):
                await session.imaging.find_roi("never-saved-async")
            after = len(await run.operations(kind="acquisition"))
            return before, after, caught.value.reason

    before, after, reason = _run(client, scenario)
    assert reason == "roi.exists"
    assert after == before


def _public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def _async_twin_pairs() -> list[tuple[type, type]]:
    from semphony._async_session import AsyncSessionImaging
    from semphony._capabilities import (
        AsyncBeamControl,
        AsyncChamberControl,
        AsyncImaging,
        AsyncOpticsControl,
        AsyncRoiRecords,
        AsyncStageControl,
        BeamControl,
        ChamberControl,
        Imaging,
        OpticsControl,
        RoiRecords,
        StageControl,
    )
    from semphony._client import AsyncRuns, AsyncSimulator, Runs, Simulator
    from semphony.session import SessionImaging

    return [
        (Semphony, AsyncSemphony),
        (Runs, AsyncRuns),
        (Simulator, AsyncSimulator),
        (RoiRecords, AsyncRoiRecords),
        (SessionImaging, AsyncSessionImaging),
        (Run, AsyncRun),
        (SessionBuilder, AsyncSessionBuilder),
        (Session, AsyncSession),
        (BeamControl, AsyncBeamControl),
        (ChamberControl, AsyncChamberControl),
        (StageControl, AsyncStageControl),
        (OpticsControl, AsyncOpticsControl),
        (Imaging, AsyncImaging),
    ]


@pytest.mark.parametrize(("sync_cls", "async_cls"), _async_twin_pairs(), ids=lambda c: c.__name__)
def test_each_async_class_matches_its_sync_twin_method_for_method(
    sync_cls: type, async_cls: type
) -> None:
    sync_methods = _public_methods(sync_cls)
    async_methods = _public_methods(async_cls)
    # `close` is `aclose` in async code (kept as an alias too); the rest match by name.
    renamed = {"close": "aclose"}
    for name, signature in sync_methods.items():
        twin = renamed.get(name, name)
        assert twin in async_methods, f"{async_cls.__name__} lacks {twin}"
        assert list(async_methods[twin].parameters) == list(signature.parameters), twin
        waits = inspect.iscoroutinefunction(getattr(async_cls, twin))
        if name in ("session", "with_options", "local"):  # no I/O on either side
            assert not waits
        elif name == "start":  # awaitable and an async context manager, like `open` in anyio
            assert async_methods[twin].return_annotation == "SessionStart"
        else:
            assert waits, f"{async_cls.__name__}.{twin} does not wait"
