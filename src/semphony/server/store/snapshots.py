"""The ``sim_state`` table: the last snapshot of each instrument's `Persistent` driver (the
simulator)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semphony.server.store._db import Database
from semphony.server.store._rows import Clock, dumps, loads_obj
from semphony.server.store.records import JsonObject

__all__ = ["SnapshotRepository"]


class SnapshotRepository:
    """Save and load the driver's snapshot (one row per instrument)."""

    def __init__(self, db: Database, clock: Clock, instrument: str = "local") -> None:
        self._db = db
        self._clock = clock
        self._instrument = instrument

    def save(self, snapshot: Mapping[str, Any]) -> None:
        """Replace the driver's persisted snapshot (specimen, placement, …)."""
        text = dumps(dict(snapshot), "snapshot")
        with self._db.write() as tx:
            tx.execute(
                "INSERT INTO sim_state (instrument, snapshot, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(instrument) DO UPDATE SET snapshot = excluded.snapshot,"
                " updated_at = excluded.updated_at",
                (self._instrument, text, self._clock()),
            )

    def load(self) -> JsonObject | None:
        """The last saved snapshot, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT snapshot FROM sim_state WHERE instrument = ?", (self._instrument,)
            ).fetchone()
        return None if row is None else loads_obj(row["snapshot"])
