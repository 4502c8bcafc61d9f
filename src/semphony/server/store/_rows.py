"""Row ↔ record helpers the repositories share: JSON columns, timestamps, limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from semphony.server.store._db import Row
from semphony.server.store.records import JsonObject

__all__ = ["MAX_SEQ", "Clock", "dumps", "limit", "loads_obj", "secs", "ts", "ts_opt"]

Clock = Callable[[], float]
MAX_SEQ = 2**63 - 1  # the largest BIGINT either backend stores


def dumps(value: Any, what: str) -> str:
    """Canonical JSON text for a column; NaN and infinities are refused (they are not JSON)."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: not JSON-serialisable ({exc})") from exc


def loads_obj(text: str | None) -> JsonObject | None:
    """A JSON object column, or None."""
    if text is None:
        return None
    return cast(JsonObject, json.loads(text))


def ts(seconds: float) -> datetime:
    """Unix seconds as a UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def ts_opt(seconds: float | None) -> datetime | None:
    """`ts`, passing None through."""
    return None if seconds is None else ts(seconds)


def secs(moment: datetime) -> float:
    """A timezone-aware datetime as Unix seconds."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return moment.timestamp()


def limit(value: int) -> int:
    """A list limit, refused below 1."""
    if value < 1:
        raise ValueError(f"limit: must be >= 1, got {value}")
    return value


def column(row: Row, name: str) -> Any:
    """A column of a row from either backend."""
    return row[name]
