"""Sessions: the lease is taken, renewed, and released (also after an exception); Ctrl-C cancels."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from semphony.client import ConflictError, Semphony
from semphony.guardrails import ChamberBeamGuardrail, ImagingGuardrails
from semphony.models import AcquisitionConfig
from semphony.session import Run, Session
from tests._fixtures import local_client


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    # A simulator that sleeps 1 ms per instrument second: pumping ends quickly, while a slowed
    # scan lasts long enough to be interrupted.
    yield from local_client(seed=3, realtime=0.001)


@pytest.fixture
def run(client: Semphony) -> Run:
    return client.runs.create(name="sessions")


def test_a_session_holds_the_lease_while_open_and_releases_it_on_exit(
    client: Semphony, run: Run
) -> None:
    with run.session().start() as session:
        lease = session.state().lease
        assert lease is not None
        assert lease.session_id == session.id
    assert session.closed
    with run.session().start() as again:
        assert again.state().lease is not None


def test_the_lease_is_released_after_an_exception_inside_with(run: Run) -> None:
    class BoomError(Exception):
        pass

    opened: list[Session] = []

    def work_that_fails() -> None:
        with run.session().start() as session:
            opened.append(session)
            assert session.state().lease is not None
            raise BoomError

    with pytest.raises(BoomError):
        work_that_fails()
    (session,) = opened
    assert session.closed
    with run.session().start() as after:
        state = after.state()
        assert state.lease is not None
        assert state.lease.session_id == after.id


def test_a_second_session_is_refused_while_the_lease_is_held(client: Semphony, run: Run) -> None:
    other = client.runs.create(name="intruder")
    with run.session().start() as holder:
        with pytest.raises(ConflictError) as caught:
            other.session().start()
        assert caught.value.reason == "lease.held"
        assert holder.state().lease is not None


def test_close_is_idempotent_and_the_started_session_works_without_with(run: Run) -> None:
    session = run.session().start()
    try:
        assert session.stage.position() == session.state().stage
    finally:
        session.close()
        session.close()


def test_a_session_without_guardrails_gets_the_safe_default(run: Run) -> None:
    builder = run.session()
    assert builder.guardrails == ImagingGuardrails()
    assert builder.guardrails.chamber_beam == ChamberBeamGuardrail()


def test_the_heartbeat_renews_the_lease(run: Run) -> None:
    with run.session().start(lease_s=1.5) as session:
        first = session.state().lease
        assert first is not None
        renewed = first.expires_at
        deadline = time.monotonic() + 20
        while renewed <= first.expires_at and time.monotonic() < deadline:
            time.sleep(0.1)
            lease = session.state().lease
            assert lease is not None, "the lease expired although the heartbeat runs"
            renewed = lease.expires_at
        assert renewed > first.expires_at


def test_ctrl_c_during_an_acquisition_cancels_it_on_the_server(client: Semphony) -> None:
    run = client.runs.create(name="interrupted")
    seen: list[tuple[int, int]] = []

    def interrupt(done: int, total: int, unit: str) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt  # what Ctrl-C raises in the waiting thread

    with run.session().start() as session:
        session.chamber.pump()
        session.beam.on()
        client.simulator.inject("slow", factor=1000.0)
        try:
            with pytest.raises(KeyboardInterrupt):
                session.imaging.acquire(
                    AcquisitionConfig(fov_um=50, resolution=(2048, 2048), dwell_time_us=10.0),
                    progress=interrupt,
                )
        finally:
            client.simulator.clear_faults()
        assert seen, "the progress callback was never called"
        done, total = seen[0]
        assert done < total
        scans = run.operations(kind="acquisition")
        assert len(scans) == 1
        assert scans[0]["status"] == "cancelled"
        assert session.state().active_operation_id is None
