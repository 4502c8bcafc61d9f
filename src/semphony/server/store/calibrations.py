"""The ``calibrations`` table: the measured image-to-stage axis calibration of each instrument."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from semphony.server.store._db import Database
from semphony.server.store._rows import Clock, dumps, secs, ts
from semphony.server.store.records import JsonObject

__all__ = ["CalibrationRecord", "CalibrationRepository"]


@dataclass(frozen=True)
class CalibrationRecord:
    """One instrument's calibration document and when it was measured."""

    instrument: str
    calibration: JsonObject
    measured_at: datetime


class CalibrationRepository:
    """Save (replacing the previous one) and read the calibration of an instrument."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def save(self, instrument: str, calibration: Mapping[str, Any]) -> CalibrationRecord:
        """Store `calibration` as the instrument's current one."""
        body = dict(calibration)
        text = dumps(body, "calibration")
        now = ts(self._clock())
        with self._db.write() as tx:
            tx.execute(
                "INSERT INTO calibrations (instrument, calibration, measured_at) VALUES (?, ?, ?)"
                " ON CONFLICT(instrument) DO UPDATE SET calibration = excluded.calibration,"
                " measured_at = excluded.measured_at",
                (instrument, text, secs(now)),
            )
        return CalibrationRecord(instrument, body, now)

    def get(self, instrument: str) -> CalibrationRecord | None:
        """The instrument's calibration, or None when it was never calibrated."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT * FROM calibrations WHERE instrument = ?", (instrument,)
            ).fetchone()
        if row is None:
            return None
        body = cast(JsonObject, json.loads(row["calibration"]))
        return CalibrationRecord(row["instrument"], body, ts(row["measured_at"]))
