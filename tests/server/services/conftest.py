"""Services on their own: a real store and simulator, no HTTP, no event loop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from semphony.server import schemas
from semphony.server.artifacts import ArtifactStore
from semphony.server.drivers.sim import SimDriver
from semphony.server.security import Principal
from semphony.server.services import Actor, Services
from semphony.server.store import Operation, Store
from tests.server.conftest import make_settings


@dataclass
class World:
    """The services under test, their driver and store, and an operator."""

    services: Services
    driver: SimDriver
    store: Store
    actor: Actor

    def session(self, **body: object) -> schemas.Session:
        """Start a session; from now on `actor` carries its lease secret."""
        run = self.services.runs.create(self.actor, schemas.RunCreate(name="r"))
        start = schemas.SessionStart.model_validate(body) if body else None
        session = self.services.sessions.start(self.actor, run.id, start)
        self.actor = replace(self.actor, lease_secret=session.lease_secret)
        return session

    def finish(self, op: schemas.Operation) -> Operation:
        """Wait for the running operation to end; its stored record."""
        assert self.services.ctx.runner.wait_idle(30.0), "the operation did not end"
        record = self.store.operations.get(op.id)
        assert record is not None
        return record

    def ready(self) -> schemas.Session:
        """A session with the chamber pumped and the beam on."""
        session = self.session()
        assert (
            self.finish(self.services.commands.pump(self.actor, session.id)).status == "succeeded"
        )
        self.services.commands.set_beam(self.actor, session.id, schemas.BeamRequest(on=True))
        return session

    def audit(self, run_id: str) -> list[schemas.AuditEntry]:
        return self.services.runs.audit(run_id, 0).items


def make_world(
    tmp_path: Path, *, realtime: float = 0.0, database_url: str | None = None
) -> Iterator[World]:
    settings = make_settings(tmp_path / "data", realtime=realtime, database_url=database_url)
    driver = SimDriver(seed=7, realtime=realtime)
    driver.open()
    store = Store(settings.data_dir, database_url=database_url)
    services = Services.build(
        settings=settings, store=store, artifacts=ArtifactStore(settings.data_dir), driver=driver
    )
    services.start()
    actor = Actor(Principal(role="operator", fingerprint="0badc0de"), "POST", "/test", "req-1")
    try:
        yield World(services, driver, store, actor)
    finally:
        services.close()
        driver.close()
        store.close()


@pytest.fixture
def world(tmp_path: Path, database_url: str | None) -> Iterator[World]:
    """The services over a store on each backend (SQLite, PostgreSQL)."""
    yield from make_world(tmp_path, database_url=database_url)
