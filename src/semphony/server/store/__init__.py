"""Durable server state: one repository per table over one small database module.

``Store`` opens the database (SQLite at ``data_dir/semphony.db`` by default, or PostgreSQL named by
a ``postgresql://`` URL), migrates it, and hands out the repositories: ``runs``, ``sessions``,
``operations``, ``artifacts``, ``rois``, ``idempotency``, ``audit``, ``snapshots``, ``instruments``
and ``calibrations``. A store works for one instrument (``instrument``, "local" by default): its
writes name it, and sessions, operations, artifacts, idempotency keys and the driver snapshot are
that instrument's alone, so several servers share one database without meeting; runs, ROI records
and audit are readable across instruments. Every write is a transaction; several calls that must
land together go inside ``with store.transaction():`` (nested writes join it). Records are frozen
dataclasses with timezone-aware UTC timestamps; the clock is injectable for tests. Errors are the
store family of `semphony.server.errors`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from semphony.server.store._db import Database, SqliteDatabase
from semphony.server.store._rows import Clock, ts
from semphony.server.store._schema import SCHEMA_VERSION, migrate, schema_version
from semphony.server.store.artifacts import ArtifactRepository
from semphony.server.store.audit import AuditRepository
from semphony.server.store.calibrations import CalibrationRecord, CalibrationRepository
from semphony.server.store.idempotency import IdempotencyRepository
from semphony.server.store.instruments import (
    InstrumentClaimedError,
    InstrumentRepository,
    check_instrument_name,
)
from semphony.server.store.operations import UNSET, OperationRepository
from semphony.server.store.records import (
    TERMINAL_STATUSES,
    ArtifactRecord,
    AuditOutcome,
    AuditRecord,
    IdempotentRequest,
    JsonObject,
    Operation,
    OperationStatus,
    RoiRecord,
    Run,
    Session,
    StoredResponse,
    new_id,
)
from semphony.server.store.rois import RoiRepository
from semphony.server.store.runs import RunRepository
from semphony.server.store.sessions import SessionRepository
from semphony.server.store.snapshots import SnapshotRepository

__all__ = [
    "DB_FILENAME",
    "SCHEMA_VERSION",
    "TERMINAL_STATUSES",
    "UNSET",
    "ArtifactRecord",
    "AuditOutcome",
    "AuditRecord",
    "CalibrationRecord",
    "Database",
    "IdempotentRequest",
    "InstrumentClaimedError",
    "JsonObject",
    "Operation",
    "OperationStatus",
    "RoiRecord",
    "Run",
    "Session",
    "SqliteDatabase",
    "Store",
    "StoredResponse",
    "new_id",
    "open_database",
]

DB_FILENAME = "semphony.db"
DATABASE_URL_SCHEMES = ("postgresql", "postgres")


def open_database(url: str) -> Database:
    """The database a URL names: ``postgresql://user:password@host:port/dbname`` (libpq's form)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme not in DATABASE_URL_SCHEMES:
        raise ValueError(
            f"database_url: must start with postgresql:// (got a {scheme or 'missing'!r} scheme); "
            "leave it out for the embedded SQLite database in the data dir"
        )
    # Imported here: the embedded SQLite default does not load the PostgreSQL driver.
    from semphony.server.store._postgres import PostgresDatabase

    return PostgresDatabase(url)


class Store:
    """The server's database and its repositories; safe to share between threads."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        database: Database | None = None,
        database_url: str | None = None,
        clock: Clock = time.time,
        idempotency_ttl_s: float = 86400.0,
        instrument: str = "local",
    ) -> None:
        """Open (creating and migrating if needed) ``data_dir/semphony.db``, or `database`, or
        the PostgreSQL database at `database_url`.

        ``clock`` returns Unix seconds; ``idempotency_ttl_s`` is how long a stored response is
        replayed before its key may be used afresh. ``instrument`` names the instrument this
        store's writes belong to (and whose sessions, operations and keys it sees).
        """
        check_instrument_name(instrument)
        if database is None and database_url is not None:
            database = open_database(database_url)
        if database is None:
            if data_dir is None:
                raise ValueError("Store: give a data_dir or a database")
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            database = SqliteDatabase(Path(data_dir) / DB_FILENAME)
        self.db = database
        self.instrument = instrument
        self._clock = clock
        try:
            migrate(database, instrument)
        except BaseException:
            database.close()
            raise
        self.runs = RunRepository(database, clock, instrument)
        self.sessions = SessionRepository(database, clock, instrument)
        self.artifacts = ArtifactRepository(database, clock, instrument)
        self.operations = OperationRepository(database, clock, self.artifacts, instrument)
        self.rois = RoiRepository(database, clock, instrument)
        self.idempotency = IdempotencyRepository(database, clock, idempotency_ttl_s, instrument)
        self.audit = AuditRepository(database, clock, instrument)
        self.snapshots = SnapshotRepository(database, clock, instrument)
        self.instruments = InstrumentRepository(database, clock)
        self.calibrations = CalibrationRepository(database, clock)

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.db.describe()!r})"

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        return schema_version(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the enclosed repository calls as one transaction (all or nothing); nests."""
        with self.db.write():
            yield

    def now(self) -> datetime:
        """The store's clock as a UTC datetime."""
        return ts(self._clock())
