"""SystemService and RunService on their own."""

from __future__ import annotations

import pytest

from semphony.server import schemas
from semphony.server.errors import ProblemError
from tests.server.services.conftest import World


def test_health_is_answered_from_memory_and_names_the_driver(world: World) -> None:
    reads = world.driver.state_reads
    health = world.services.system.health()
    assert (health.status, health.driver) == ("ok", "sim")
    assert world.driver.state_reads == reads


def test_health_turns_degraded_when_the_driver_stops_answering(world: World) -> None:
    world.driver.close()
    assert not world.services.system.check_driver().ok
    assert world.services.system.health().status == "degraded"


def test_the_device_document_publishes_the_speed_table_and_the_simulator(world: World) -> None:
    device = world.services.system.device()
    assert "simulator" in device["capabilities"]
    assert device["scan_speeds"][3] == {"index": 3, "dwell_time_us": 1.0}
    assert device["limits"]["detector_gain"] == {"min": 0.01, "max": 100.0}


def test_the_state_names_the_lease_holder_and_the_running_operation(world: World) -> None:
    assert world.services.system.state().lease is None
    session = world.session(holder="ada")
    state = world.services.system.state()
    assert state.lease is not None
    assert (state.lease.holder, state.lease.session_id) == ("ada", session.id)
    assert state.active_operation_id is None


def test_runs_are_listed_newest_first_and_an_unknown_one_is_404(world: World) -> None:
    first = world.services.runs.create(world.actor, schemas.RunCreate(name="a"))
    second = world.services.runs.create(world.actor, schemas.RunCreate(name="b", description="d"))
    assert [r.id for r in world.services.runs.list().items][:2] == [second.id, first.id]
    assert world.services.runs.get(second.id).description == "d"
    with pytest.raises(ProblemError) as err:
        world.services.runs.get("run_nope")
    assert (err.value.status, err.value.reason) == (404, "not_found")


def test_a_runs_audit_lists_its_commands_in_order_with_the_holder(world: World) -> None:
    session = world.session(holder="ada")
    world.services.sessions.heartbeat(world.actor, session.id)
    entries = world.audit(session.run_id)
    assert [e.action for e in entries] == ["session.start", "session.heartbeat"]
    assert {e.holder for e in entries} == {"ada"}
    assert entries[0].request_id == "req-1"
    assert world.services.runs.audit(session.run_id, entries[0].id).items == entries[1:]
