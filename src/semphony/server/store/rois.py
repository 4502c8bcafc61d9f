"""The ``rois`` table: saved ROI records, by instrument and name (names are unique per
instrument)."""

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
        instrument=row["instrument"],
    )


class RoiRepository:
    """Save and delete this instrument's ROI records; read and list every instrument's."""

    def __init__(self, db: Database, clock: Clock, instrument: str = "local") -> None:
        self._db = db
        self._clock = clock
        self._instrument = instrument

    def save(self, name: str, record: Mapping[str, Any], *, overwrite: bool = False) -> RoiRecord:
        """Save an ROI record; an existing name raises ``RoiExistsError`` unless ``overwrite``."""
        body = dict(record)
        text = dumps(body, "record")
        now = ts(self._clock())
        with self._db.write() as tx:
            row = tx.execute(
                "SELECT created_at FROM rois WHERE instrument = ? AND name = ?",
                (self._instrument, name),
            ).fetchone()
            if row is not None and not overwrite:
                raise RoiExistsError(name)
            created = now if row is None else ts(row["created_at"])
            tx.execute(
                "INSERT INTO rois (instrument, name, record, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(instrument, name) DO UPDATE SET"
                " record = excluded.record, updated_at = excluded.updated_at",
                (self._instrument, name, text, secs(created), secs(now)),
            )
        return RoiRecord(
            name=name, record=body, created_at=created, updated_at=now, instrument=self._instrument
        )

    def get(self, name: str, instrument: str | None = None) -> RoiRecord | None:
        """The ROI record `name` of `instrument` (default: this store's), or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT * FROM rois WHERE instrument = ? AND name = ?",
                (instrument or self._instrument, name),
            ).fetchone()
        return None if row is None else _roi(row)

    def all(self, instrument: str | None = None) -> list[RoiRecord]:
        """ROI records of every instrument (or of `instrument`) by instrument and name."""
        sql, args = "SELECT * FROM rois", tuple[str, ...]()
        if instrument is not None:
            sql, args = sql + " WHERE instrument = ?", (instrument,)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY instrument, name", args).fetchall()
        return [_roi(r) for r in rows]

    def delete(self, name: str) -> bool:
        """Delete one of this instrument's ROI records; True when one existed."""
        with self._db.write() as tx:
            cur = tx.execute(
                "DELETE FROM rois WHERE instrument = ? AND name = ?", (self._instrument, name)
            )
        return int(cur.rowcount) > 0
