"""The ``rois`` table: saved ROI records by name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from semphony.server.errors import RoiExistsError
from semphony.server.store._db import Database, Row
from semphony.server.store._rows import Clock, dumps, secs, ts
from semphony.server.store.records import JsonObject, RoiRecord

__all__ = ["RoiRepository"]


def _roi(row: Row) -> RoiRecord:
    return RoiRecord(
        name=row["name"],
        record=cast(JsonObject, json.loads(row["record"])),
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


class RoiRepository:
    """Save, read, list and delete ROI records."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def save(self, name: str, record: Mapping[str, Any], *, overwrite: bool = False) -> RoiRecord:
        """Save an ROI record; an existing name raises ``RoiExistsError`` unless ``overwrite``."""
        body = dict(record)
        text = dumps(body, "record")
        now = ts(self._clock())
        with self._db.write() as tx:
            row = tx.execute("SELECT created_at FROM rois WHERE name = ?", (name,)).fetchone()
            if row is not None and not overwrite:
                raise RoiExistsError(name)
            created = now if row is None else ts(row["created_at"])
            tx.execute(
                "INSERT INTO rois (name, record, created_at, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET record = excluded.record,"
                " updated_at = excluded.updated_at",
                (name, text, secs(created), secs(now)),
            )
        return RoiRecord(name=name, record=body, created_at=created, updated_at=now)

    def get(self, name: str) -> RoiRecord | None:
        """The ROI record, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM rois WHERE name = ?", (name,)).fetchone()
        return None if row is None else _roi(row)

    def all(self) -> list[RoiRecord]:
        """All ROI records by name."""
        with self._db.read() as conn:
            return [_roi(r) for r in conn.execute("SELECT * FROM rois ORDER BY name").fetchall()]

    def delete(self, name: str) -> bool:
        """Delete an ROI record; True when one existed."""
        with self._db.write() as tx:
            cur = tx.execute("DELETE FROM rois WHERE name = ?", (name,))
        return int(cur.rowcount) > 0
