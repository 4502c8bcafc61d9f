"""The ``sim_state`` table: the last snapshot of a `Persistent` driver (the simulator)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semphony.server.store._db import Database
from semphony.server.store._rows import Clock, dumps, loads_obj
from semphony.server.store.records import JsonObject

__all__ = ["SnapshotRepository"]


class SnapshotRepository:
    """Save and load the driver's snapshot (one row)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def save(self, snapshot: Mapping[str, Any]) -> None:
        """Replace the driver's persisted snapshot (specimen, placement, …)."""
        text = dumps(dict(snapshot), "snapshot")
        with self._db.write() as tx:
            tx.execute(
                "INSERT INTO sim_state (id, snapshot, updated_at) VALUES (1, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot,"
                " updated_at = excluded.updated_at",
                (text, self._clock()),
            )

    def load(self) -> JsonObject | None:
        """The last saved snapshot, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT snapshot FROM sim_state WHERE id = 1").fetchone()
        return None if row is None else loads_obj(row["snapshot"])
