"""The ``runs`` table: named series of sessions and operations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from semphony.server.errors import RecordNotFoundError
from semphony.server.store._db import Database, Row
from semphony.server.store._rows import Clock, dumps, limit, secs, ts
from semphony.server.store.records import JsonObject, Run, new_id

__all__ = ["RunRepository"]


def _run(row: Row) -> Run:
    return Run(
        id=row["id"],
        name=row["name"],
        created_at=ts(row["created_at"]),
        metadata=cast(JsonObject, json.loads(row["metadata"])),
        instrument=row["instrument"],
    )


class RunRepository:
    """Create runs on this store's instrument; read and list every instrument's."""

    def __init__(self, db: Database, clock: Clock, instrument: str = "local") -> None:
        self._db = db
        self._clock = clock
        self._instrument = instrument

    def create(self, name: str, metadata: Mapping[str, Any] | None = None) -> Run:
        """Create a run with a fresh id."""
        meta = dict(metadata or {})
        text = dumps(meta, "metadata")
        run = Run(
            id=new_id("run"),
            name=name,
            created_at=ts(self._clock()),
            metadata=meta,
            instrument=self._instrument,
        )
        with self._db.write() as tx:
            tx.execute(
                "INSERT INTO runs (id, name, created_at, metadata, instrument)"
                " VALUES (?, ?, ?, ?, ?)",
                (run.id, run.name, secs(run.created_at), text, self._instrument),
            )
        return run

    def get(self, run_id: str) -> Run | None:
        """The run, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _run(row)

    def require(self, run_id: str) -> None:
        """Raise `RecordNotFoundError` unless the run exists on this instrument (inside a
        transaction: locked)."""
        with self._db.read() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM runs WHERE id = ? AND instrument = ?",
                    (run_id, self._instrument),
                ).fetchone()
                is None
            ):
                raise RecordNotFoundError("run", run_id)

    def all(self, *, max_items: int = 100, instrument: str | None = None) -> list[Run]:
        """Runs of every instrument (or of `instrument`), oldest first."""
        sql, args = "SELECT * FROM runs", []
        if instrument is not None:
            sql, args = sql + " WHERE instrument = ?", [instrument]
        with self._db.read() as conn:
            rows = conn.execute(
                sql + " ORDER BY created_at, id LIMIT ?", (*args, limit(max_items))
            ).fetchall()
        return [_run(r) for r in rows]
