"""CommandService on its own: interlocks, long commands as operations, safety that never waits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from semphony.server import schemas
from semphony.server.errors import ProblemError
from semphony.server.security import Principal
from tests.server.services.conftest import World, make_world


def test_beam_on_without_vacuum_is_refused_audited_and_changes_nothing(world: World) -> None:
    session = world.session()
    with pytest.raises(ProblemError) as err:
        world.services.commands.set_beam(world.actor, session.id, schemas.BeamRequest(on=True))
    assert (err.value.status, err.value.reason) == (409, "interlock.vacuum_required")
    assert world.services.system.state().beam_on is False
    (entry,) = [e for e in world.audit(session.run_id) if e.action == "beam.set"]
    assert (entry.outcome, entry.status_code) == ("refused", 409)


def test_a_pump_runs_as_an_operation_and_its_end_is_audited(world: World) -> None:
    session = world.session()
    op = world.services.commands.pump(world.actor, session.id)
    assert (op.kind, op.status, op.progress.unit) == ("pump", "running", "s")
    assert world.finish(op).status == "succeeded"
    assert world.services.system.state().vacuum == "pumped"
    outcomes = [(e.action, e.outcome) for e in world.audit(session.run_id)]
    assert ("chamber.pump", "accepted") in outcomes
    assert ("chamber.pump", "succeeded") in outcomes


def test_a_refused_move_records_no_operation(world: World) -> None:
    session = world.session()
    with pytest.raises(ProblemError) as err:
        world.services.commands.move_stage(world.actor, session.id, schemas.StageMove(x_mm=99.0))
    assert err.value.reason == "range.stage_travel"
    assert world.services.operations.list(session.run_id, None, None).items == []


def test_beam_off_while_the_stage_moves_lets_the_move_finish(tmp_path: Path) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.ready()
        world.driver.inject_fault("slow", factor=50.0)
        op = world.services.commands.move_stage(
            world.actor, session.id, schemas.StageMove(x_mm=2.0)
        )
        state = world.services.commands.set_beam(
            world.actor, session.id, schemas.BeamRequest(on=False)
        )
        assert state.beam_on is False
        assert state.active_operation_id == op.id
        assert world.finish(op).status == "succeeded"


def test_beam_off_during_a_scan_ends_the_scan_at_once(tmp_path: Path) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.ready()
        world.driver.inject_fault("slow", factor=1000.0)
        op = world.services.acquisitions.start(
            world.actor, session.id, schemas.AcquisitionConfig(resolution=(512, 512))
        )
        world.services.commands.set_beam(world.actor, session.id, schemas.BeamRequest(on=False))
        assert world.finish(op).status == "cancelled"


def test_stop_ends_a_scan_and_leaves_the_beam_on(tmp_path: Path) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.ready()
        world.driver.inject_fault("slow", factor=1000.0)
        op = world.services.acquisitions.start(
            world.actor, session.id, schemas.AcquisitionConfig(resolution=(512, 512))
        )
        state = world.services.commands.stop(world.actor, session.id)
        assert state.beam_on is True
        assert world.finish(op).status == "cancelled"


def test_other_commands_while_an_operation_runs_are_busy(tmp_path: Path) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.ready()
        world.driver.inject_fault("slow", factor=1000.0)
        op = world.services.acquisitions.start(
            world.actor, session.id, schemas.AcquisitionConfig(resolution=(512, 512))
        )
        with pytest.raises(ProblemError) as err:
            world.services.commands.set_optics(
                world.actor, session.id, schemas.OpticsSettings(fov_um=20.0)
            )
        assert (err.value.status, err.value.reason) == (409, "interlock.busy")
        world.services.commands.stop(world.actor, session.id)
        world.finish(op)


def test_the_detector_command_sets_gain_and_offset_and_names_a_bad_field(world: World) -> None:
    session = world.session()
    state = world.services.commands.set_detector(
        world.actor, session.id, "detector.set", {"gain": 2.0, "offset": 0.1, "mode": "BSE"}
    )
    assert (state.detector.gain, state.detector.offset, state.detector.mode) == (2.0, 0.1, "BSE")
    with pytest.raises(ProblemError) as err:
        world.services.commands.set_detector(
            world.actor, session.id, "detector.set", {"channel": 9}
        )
    assert (err.value.status, err.value.reason) == (409, "range.detector")
    assert err.value.errors is not None
    assert err.value.errors[0]["field"] == "body.channel"


def test_commands_need_the_lease_and_its_secret(world: World) -> None:
    session = world.session()
    stranger = replace(world.actor, lease_secret=None)
    with pytest.raises(ProblemError) as err:
        world.services.commands.set_optics(stranger, session.id, schemas.OpticsSettings(fov_um=9))
    assert (err.value.status, err.value.reason) == (403, "lease.not_holder")
    world.services.sessions.end(world.actor, session.id)
    with pytest.raises(ProblemError) as err:
        world.services.commands.set_optics(
            world.actor, session.id, schemas.OpticsSettings(fov_um=9)
        )
    assert err.value.reason == "lease.required"


def test_anyone_with_the_operator_role_may_press_stop_and_beam_off(world: World) -> None:
    session = world.ready()
    stranger = replace(
        world.actor, lease_secret=None, principal=Principal("operator", "f00dface", "grace")
    )
    world.services.commands.stop(stranger, session.id)
    state = world.services.commands.set_beam(stranger, session.id, schemas.BeamRequest(on=False))
    assert state.beam_on is False
    overrides = [e for e in world.audit(session.run_id) if e.params.get("override")]
    assert [(e.action, e.user, e.outcome) for e in overrides] == [
        ("session.stop", "grace", "succeeded"),
        ("beam.set", "grace", "succeeded"),
    ]
    with pytest.raises(ProblemError) as err:
        world.services.commands.set_beam(stranger, session.id, schemas.BeamRequest(on=True))
    assert err.value.reason == "lease.not_holder"
