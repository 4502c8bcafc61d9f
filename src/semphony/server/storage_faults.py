"""Storage faults, translated once: what a full disk or a failing one looks like to the server.

`from_sqlite`, `from_postgres` and `from_os` turn SQLite's, PostgreSQL's and the operating system's
I/O failures (a lost database connection among them) into `StorageFullError` (507 `storage.full`)
or `StorageError` (503 `storage.error`), with a sentence a person understands; any other error is
not a storage fault (None), and its caller keeps its own translation.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors

from semphony.server.errors import StorageError, StorageFullError

__all__ = ["free_bytes", "from_os", "from_postgres", "from_sqlite", "pg_connection_lost", "probe"]

_PROBE_BYTES = 1 << 20  # room for a few transactions and a small image, at least

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_IO_ERRNOS = frozenset({errno.EIO, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENXIO})


def free_bytes(path: Path) -> int | None:
    """Free space on the file system holding `path` (None when it cannot be read)."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _lost(what: str) -> str:
    return f": {what} was not recorded" if what else ""


def _full(where: Path, what: str) -> StorageFullError:
    free = free_bytes(where)
    room = f" ({free} bytes free)" if free is not None else ""
    return StorageFullError(
        f"the disk holding {where} is full{room}{_lost(what)}; free some space "
        "(the server goes on answering reads meanwhile)"
    )


def from_sqlite(exc: sqlite3.Error, where: Path, what: str) -> StorageError | None:
    """The storage fault `exc` is, or None when it is another database error."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc).lower()
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return _full(where, what)
    if (
        name.startswith(("SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"))
        or "disk i/o error" in text
        or "readonly database" in text
        or "unable to open database file" in text
    ):
        return StorageError(
            f"the database in {where} cannot be written ({exc}){_lost(what)}; check the disk "
            "and its permissions (reads may still work)"
        )
    return None


def pg_connection_lost(exc: psycopg.Error) -> bool:
    """Whether `exc` says the connection to PostgreSQL is gone (or none could be had), so the same
    statement may succeed on a new one: class 08 (connection exception), 57P (the server is
    shutting down or restarting), or no SQLSTATE at all (the socket broke under libpq)."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith(("08", "57P"))


def from_postgres(exc: psycopg.Error, where: str, what: str) -> StorageError | None:
    """The storage fault `exc` is (`where` names the database, without its password), or None
    when it is another database error."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pg_errors.DiskFull):
        return StorageFullError(
            f"the disk of the database {where} is full ({first}){_lost(what)}; free some space "
            "on the database server (the server goes on answering reads meanwhile)"
        )
    if pg_connection_lost(exc):
        return StorageError(
            f"the database {where} cannot be reached ({first}){_lost(what)}; the server retried "
            "and will again on the next request: check that PostgreSQL runs and is reachable"
        )
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction | psycopg.OperationalError):
        return StorageError(
            f"the database {where} cannot record now ({first}){_lost(what)}; reads may still work"
        )
    return None


def from_os(exc: OSError, where: Path, what: str) -> StorageError | None:
    """The storage fault `exc` is, or None when it is another OS error."""
    if exc.errno in _FULL_ERRNOS:
        return _full(where, what)
    if exc.errno in _IO_ERRNOS:
        return StorageError(
            f"cannot write in {where} ({exc.strerror or exc}){_lost(what)}; check the disk and "
            "its permissions"
        )
    return None


def probe(data_dir: Path) -> None:
    """Refuse a data dir the server could not record into (full, read-only, not permitted):
    make it, write and sync a MiB there, and remove it again."""
    target = data_dir / ".semphony-probe"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            fh.write(b"\0" * _PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        fault = from_os(exc, data_dir, "")
        raise (fault or StorageError(f"cannot write in {data_dir}: {exc}")) from exc
    finally:
        with contextlib.suppress(OSError):
            target.unlink()
