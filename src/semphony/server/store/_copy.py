"""`semphony db copy`: an embedded SQLite store copied into an empty PostgreSQL database.

Both are migrated to this code's schema version first; then every table of the SQLite file (read
from its own catalogue, not listed by hand), parents before the tables that refer to them, is
copied in one PostgreSQL transaction with every value as it was, and each table's count is checked
before the commit. A target that already holds rows is refused before anything is written to it.
The image files stay where they are: the copied artifact rows name them relative to the data dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semphony.server.errors import StoreError
from semphony.server.store._db import Connection, Database, SqliteDatabase
from semphony.server.store._schema import SCHEMA_VERSION, migrate, schema_version

__all__ = ["CopyReport", "copy_store", "sqlite_path"]

_BATCH = 500  # rows per INSERT statement (PostgreSQL takes at most 65535 parameters)
_SKIP = "schema_version"  # both sides hold their own, at the same version


@dataclass(frozen=True)
class CopyReport:
    """What was copied: the rows of each table (in copy order), from where to where."""

    source: str
    target: str
    counts: tuple[tuple[str, int], ...]
    schema_version: int
    instruments: tuple[str, ...]  # the names the copied rows carry (serve with one of them)


def sqlite_path(source: str | Path) -> Path:
    """The SQLite file `source` names: ``sqlite:///ABSOLUTE/PATH``, a file, or a data dir (its
    ``semphony.db``); a `StoreError` when there is none (an empty one is never made)."""
    text = str(source)
    if text.startswith("sqlite://"):
        # sqlite:///abs/path and SQLAlchemy's sqlite:////abs/path both name /abs/path
        text = "/" + text.removeprefix("sqlite://").lstrip("/")
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / "semphony.db"
    if not path.is_file():
        raise StoreError(f"no SQLite store at {path} (give its data dir or its semphony.db)")
    return path


def _tables(conn: Connection) -> list[str]:
    """The SQLite file's tables, each after the tables it refers to."""
    names = [
        row["name"]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        ).fetchall()
        if row["name"] != _SKIP
    ]
    parents = {
        name: {row["table"] for row in conn.execute(f"PRAGMA foreign_key_list({name})").fetchall()}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= {*ordered, n}]
        if not ready:
            raise StoreError(f"circular references between the tables {sorted(parents)}")
        ordered += ready
    return ordered


def _pg_tables(conn: Connection) -> dict[str, int]:
    """The target's tables (in its current schema) and how many rows each holds."""
    names = [
        row["table_name"]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        if row["table_name"] != _SKIP
    ]
    return {
        name: int(conn.execute(f'SELECT COUNT(*) AS n FROM "{name}"').fetchone()["n"])
        for name in names
    }


def _refuse_rows(target: Database, conn: Connection) -> None:
    held = {name: n for name, n in _pg_tables(conn).items() if n}
    if held:
        listed = ", ".join(f"{name} {n}" for name, n in held.items())
        raise StoreError(
            f"{target.describe()} already holds rows ({listed}): nothing copied; copy into an "
            "empty database (or schema)"
        )


def _copy_table(source: Connection, tx: Connection, table: str) -> int:
    columns = [row["name"] for row in source.execute(f"PRAGMA table_info({table})").fetchall()]
    names = ", ".join(f'"{c}"' for c in columns)
    row_sql = "(" + ", ".join("?" * len(columns)) + ")"
    last, copied = -1, 0
    while True:
        rows = source.execute(
            f'SELECT rowid AS "_rowid_copy", {names} FROM "{table}" WHERE rowid > ?'
            " ORDER BY rowid LIMIT ?",
            (last, _BATCH),
        ).fetchall()
        if not rows:
            return copied
        values: list[Any] = [row[c] for row in rows for c in columns]
        tx.execute(
            f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([row_sql] * len(rows)), values
        )
        last, copied = int(rows[-1]["_rowid_copy"]), copied + len(rows)


def _advance_identities(tx: Connection) -> None:
    """Move every identity column's sequence past the copied keys (new rows must not collide)."""
    for row in tx.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema ="
        " current_schema() AND is_identity = 'YES'"
    ).fetchall():
        table, column = row["table_name"], row["column_name"]
        tx.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"
            f' COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table}"'
        )


def copy_store(source: str | Path, target_url: str, *, instrument: str = "local") -> CopyReport:
    """Copy the SQLite store at `source` into the empty PostgreSQL database at `target_url`.

    `instrument` names the rows of a store older than several instruments (as ``serve
    --instrument`` would when migrating it). All or nothing: on any error the target keeps no row.
    """
    from semphony.server.store import open_database  # the package imports this module's users
    from semphony.server.store.instruments import check_instrument_name

    check_instrument_name(instrument)
    src = SqliteDatabase(sqlite_path(source))
    try:
        dst = open_database(target_url)
        try:
            with dst.read() as conn:
                _refuse_rows(dst, conn)
            migrate(src, instrument)
            migrate(dst, instrument)
            versions = (schema_version(src), schema_version(dst))
            if versions != (SCHEMA_VERSION, SCHEMA_VERSION):
                raise StoreError(f"schema versions differ after migrating: {versions}")
            counts, names = _copy(src, dst)
            return CopyReport(src.describe(), dst.describe(), counts, SCHEMA_VERSION, names)
        finally:
            dst.close()
    finally:
        src.close()


def _copy(src: Database, dst: Database) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...]]:
    with src.read() as source:
        source.execute("BEGIN")  # one snapshot of the file, even if a server still writes it
        try:
            tables = _tables(source)
            with dst.write() as tx:
                _refuse_rows(dst, tx)  # again, inside the write lock
                missing = sorted(set(tables) - set(_pg_tables(tx)))
                if missing:
                    raise StoreError(f"{dst.describe()} has no tables {missing}")
                counts = tuple((table, _copy_table(source, tx, table)) for table in tables)
                _advance_identities(tx)
                found = _pg_tables(tx)
                wrong = [(t, n, found[t]) for t, n in counts if found[t] != n]
                if wrong:
                    raise StoreError(
                        f"row counts differ after the copy (table, copied, found): {wrong}"
                    )
                names = {
                    row["instrument"]
                    for row in tx.execute(
                        "SELECT DISTINCT instrument FROM runs UNION SELECT instrument FROM audit"
                    ).fetchall()
                }
        finally:
            source.execute("COMMIT")
    return counts, tuple(sorted(names))
