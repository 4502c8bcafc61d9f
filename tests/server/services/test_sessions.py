"""SessionService on its own: the lease, heartbeats, the end, and expiry to a safe state."""

from __future__ import annotations

from pathlib import Path

import pytest

from semphony.server import schemas
from semphony.server.errors import ProblemError
from tests.server.services.conftest import World, make_world


def test_a_second_session_is_refused_naming_the_holder_and_the_refusal_is_audited(
    world: World,
) -> None:
    first = world.session(holder="ada")
    run = world.services.runs.create(world.actor, schemas.RunCreate(name="other"))
    with pytest.raises(ProblemError) as err:
        world.services.sessions.start(world.actor, run.id, schemas.SessionStart(holder="grace"))
    assert (err.value.status, err.value.reason, err.value.lease_holder) == (
        409,
        "lease.held",
        "ada",
    )
    refused = world.audit(run.id)
    assert [(e.action, e.outcome, e.reason) for e in refused] == [
        ("session.start", "refused", "lease.held")
    ]
    assert world.services.system.state().lease is not None
    assert world.services.system.state().lease.session_id == first.id  # type: ignore[union-attr]


def test_a_heartbeat_renews_for_the_lease_the_session_asked_for(world: World) -> None:
    session = world.session(lease_s=120.0)
    assert session.lease_s == 120.0
    renewed = world.services.sessions.heartbeat(world.actor, session.id)
    assert renewed.lease_s == 120.0
    assert (renewed.expires_at - world.store.now()).total_seconds() == pytest.approx(120, abs=2)


def test_ending_a_session_cancels_its_running_operation_and_frees_the_lease(
    tmp_path: Path,
) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.ready()
        world.driver.inject_fault("slow", factor=1000.0)
        op = world.services.acquisitions.start(
            world.actor, session.id, schemas.AcquisitionConfig(resolution=(512, 512))
        )
        ended = world.services.sessions.end(world.actor, session.id)
        assert ended.status == "ended"
        assert world.finish(op).status == "cancelled"
        assert world.services.system.state().lease is None


def test_an_expired_lease_stops_what_runs_and_is_audited(tmp_path: Path) -> None:
    for world in make_world(tmp_path, realtime=0.001):
        session = world.ready()
        world.driver.inject_fault("slow", factor=1000.0)
        op = world.services.commands.move_stage(
            world.actor, session.id, schemas.StageMove(x_mm=5.0)
        )
        stored = world.store.sessions.get(session.id)
        assert stored is not None
        world.services.sessions.on_expire(stored)
        assert world.finish(op).status == "cancelled"
        assert world.audit(session.run_id)[-1].action in ("lease.expired", "stage.move")
        assert "lease.expired" in [e.action for e in world.audit(session.run_id)]
