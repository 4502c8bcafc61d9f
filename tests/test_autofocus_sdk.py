"""`session.optics.autofocus()`, sync and async, after a remount that changed the height; and
`session.detector.auto_signal()` (async) on a dim image."""

from __future__ import annotations

import asyncio

from semphony.client import AsyncSemphony, Semphony

FOV_UM = 40.0
DEPTH_OF_FIELD_MM = FOV_UM / 128 / 0.005 / 1000  # blur under a pixel of the sweep's frames


def test_autofocus_finds_the_remounted_surface_sync_and_async() -> None:
    with Semphony.local(seed=5) as client:
        with client.runs.create(name="focus").session().start() as session:
            session.chamber.pump()
            session.beam.on()
            truth = client.simulator.reload(height_um=90.0)
            assert truth.height_um == 90.0
            assert truth.in_focus_wd_mm is not None
            seen: list[object] = []
            found = session.optics.autofocus(
                fov_um=FOV_UM, progress=lambda *step: seen.append(step)
            )
            assert found.method == "sweep"
            assert abs(found.working_distance_mm - truth.in_focus_wd_mm) < DEPTH_OF_FIELD_MM
            assert session.state().working_distance_mm == found.working_distance_mm
            assert seen

        async def again() -> float:
            async with AsyncSemphony(base_url=client.base_url, token=client.options.token) as ac:
                run = await ac.runs.create(name="focus async")
                async with run.session().start() as s:
                    await s.chamber.pump()
                    await s.beam.on()
                    back = await ac.simulator.reload(height_um=-50.0)
                    result = await s.optics.autofocus(fov_um=FOV_UM)
                    assert back.in_focus_wd_mm is not None
                    await s.detector.set(gain=0.2)
                    signal = await s.detector.auto_signal()
                    assert (signal.method, signal.frames) == ("frames", 2)
                    assert signal.high_fraction - signal.low_fraction > 0.8, signal
                    assert (await s.state()).detector.gain == signal.gain
                    return abs(result.working_distance_mm - back.in_focus_wd_mm)

        assert asyncio.run(again()) < DEPTH_OF_FIELD_MM
