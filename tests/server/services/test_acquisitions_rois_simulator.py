"""AcquisitionService, RoiService and SimulatorService on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from semphony.server import schemas
from semphony.server.drivers.sim.schemas import SimDetector, SimFault, SimReload
from semphony.server.errors import ProblemError
from tests.server.records import roi_record
from tests.server.services.conftest import World, make_world


def test_an_acquisition_writes_an_artifact_whose_digest_the_record_keeps(world: World) -> None:
    session = world.ready()
    op = world.services.acquisitions.start(
        world.actor, session.id, schemas.AcquisitionConfig(fov_um=40.0, resolution=(64, 48))
    )
    done = world.finish(op)
    assert done.status == "succeeded"
    assert done.result is not None
    image_id = done.result["image_id"]
    record = world.store.artifacts.get(image_id)
    assert record is not None
    assert (record.width, record.height, record.operation_id) == (64, 48, op.id)
    assert world.services.ctx.artifacts.verify(image_id, record.sha256)
    assert done.result["metadata"]["applied"]["fov_um"] == 40.0
    opened = world.services.artifacts.open(image_id)
    assert sum(len(c) for c in opened.chunks) == opened.size_bytes == record.size_bytes


def test_an_acquisition_with_the_beam_off_is_refused_and_records_nothing(world: World) -> None:
    session = world.session()
    with pytest.raises(ProblemError) as err:
        world.services.acquisitions.start(world.actor, session.id, schemas.AcquisitionConfig())
    assert err.value.reason == "interlock.beam_required"
    assert world.store.operations.of_run(session.run_id) == []


def test_an_unknown_artifact_is_404(world: World) -> None:
    with pytest.raises(ProblemError) as err:
        world.services.artifacts.open("img_nope")
    assert err.value.status == 404


def _roi(name: str, specimen: str | None = None) -> schemas.RoiRecordCreate:
    return schemas.RoiRecordCreate.model_validate(roi_record(name, specimen_id=specimen))


def test_rois_are_saved_once_unless_overwritten_and_filtered_by_specimen(world: World) -> None:
    rois = world.services.rois
    _, created = rois.save(world.actor, _roi("a", "wafer-1"), overwrite=False)
    assert created
    with pytest.raises(ProblemError) as err:
        rois.save(world.actor, _roi("a"), overwrite=False)
    assert (err.value.status, err.value.reason) == (409, "roi.exists")
    _, created = rois.save(world.actor, _roi("a", "wafer-1"), overwrite=True)
    assert not created
    rois.save(world.actor, _roi("b", "wafer-2"), overwrite=False)
    assert [d["name"] for d in rois.list("wafer-1")] == ["a"]
    assert rois.get("b")["specimen_id"] == "wafer-2"
    with pytest.raises(ProblemError):
        rois.get("nope")


def test_the_simulator_remounts_arms_faults_and_sets_gamma(world: World) -> None:
    simulator = world.services.simulator
    assert simulator is not None
    truth = simulator.reload(world.actor, SimReload(shift_x_um=100.0, rotation_deg=2.0))
    assert (truth["reloads"], truth["rotation_deg"]) == (1, 2.0)
    armed = simulator.inject_fault(world.actor, SimFault(fault="scan_error", device_code=-7))
    assert armed["items"][0]["device_code"] == -7
    assert simulator.clear_faults(world.actor) == {"items": []}
    state = simulator.set_detector(world.actor, SimDetector(gamma=1.5, gain=2.0))
    assert (state.detector.gamma, state.detector.gain) == (1.5, 2.0)


def test_a_remount_is_refused_while_an_operation_runs(tmp_path: Path) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.session()
        simulator = world.services.simulator
        assert simulator is not None
        op = world.services.commands.pump(world.actor, session.id)
        with pytest.raises(ProblemError) as err:
            simulator.reload(world.actor, None)
        assert (err.value.status, err.value.reason) == (409, "interlock.busy")
        assert world.finish(op).status == "succeeded"
        assert simulator.truth(None, None)["reloads"] == 0


def test_an_acquisition_reads_the_instrument_state_twice(world: World) -> None:
    session = world.ready()
    reads = world.driver.state_reads
    op = world.services.acquisitions.start(
        world.actor, session.id, schemas.AcquisitionConfig(resolution=(32, 32))
    )
    assert world.finish(op).status == "succeeded"
    # One read for the checks, one after applying the plan's settings (verified, and recorded).
    assert world.driver.state_reads == reads + 2
