"""The one small database module under the repositories: connections, transactions, errors.

`Database` is what every repository sees. `write()` is a transaction (all or nothing; nested
`write()` calls on the same thread join it); `read()` gives a connection that sees committed data
(or, on a thread inside a transaction, that transaction). SQL is written with ``?`` placeholders
and portable statements; a backend translates what it must. This module holds the SQLite backend:
one writer connection behind a lock and a pool of reader connections (WAL lets readers proceed
while the writer writes), ``synchronous=FULL`` so a committed transaction survives power loss.
Every `sqlite3.Error` becomes a `StoreError` here, once.
"""

from __future__ import annotations

import abc
import queue
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

from semphony.server.errors import StorageError, StoreError
from semphony.server.storage_faults import from_sqlite

__all__ = ["Cursor", "Database", "Row", "SqliteDatabase"]

Row = Mapping[str, Any]


class Cursor(Protocol):
    """What a repository reads results from."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What `read()` and `write()` yield: `execute(sql, args)` with ``?`` placeholders."""

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor: ...


class Database(abc.ABC):
    """A database backend, as the repositories use it."""

    dialect: str

    @abc.abstractmethod
    def read(self) -> Any:
        """A context manager yielding a `Connection` for reads."""

    @abc.abstractmethod
    def write(self) -> Any:
        """A context manager yielding a `Connection` inside a transaction (nests per thread)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close every connection; the database is unusable afterwards."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the data lives (a path or a URL without its password), for messages."""


def _translated(exc: sqlite3.Error, path: Path, what: str) -> StoreError:
    """The one place SQLite errors become the server's: a storage fault, or a `StoreError`."""
    fault = from_sqlite(exc, path.parent, what)
    return fault if fault is not None else StoreError(f"database error: {exc}")


class _Translating:
    """A connection whose every error is a `StoreError` (storage faults said as such)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        try:
            return self._conn.execute(sql, args)
        except sqlite3.Error as exc:
            raise _translated(exc, self._path, "the change") from exc


class SqliteDatabase(Database):
    """``data_dir/semphony.db`` (or any path): the embedded default."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []
        self._closed = False
        try:
            self._writer = self._connect()
        except sqlite3.Error as exc:
            fault = from_sqlite(exc, self.path.parent, "")
            if isinstance(fault, StorageError):
                raise fault from exc
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc

    def describe(self) -> str:
        return str(self.path)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so no implicit transactions.
        conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        self._all.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        if self._owner == threading.get_ident():
            # Inside this thread's transaction: see what it has written so far.
            yield _Translating(self._writer, self.path)
            return
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._closed:
                    raise StoreError("the database is closed") from None
                try:
                    conn = self._connect()
                except sqlite3.Error as exc:
                    raise _translated(exc, self.path, "") from exc
        try:
            yield _Translating(conn, self.path)
        finally:
            self._readers.put(conn)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._lock:
            if self._closed:
                raise StoreError("the database is closed")
            if self._depth:
                self._depth += 1
                try:
                    yield _Translating(self._writer, self.path)
                finally:
                    self._depth -= 1
                return
            try:
                self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translated(exc, self.path, "the change") from exc
            self._depth = 1
            self._owner = threading.get_ident()
            try:
                yield _Translating(self._writer, self.path)
            except BaseException:
                self._end()
                self._rollback()
                raise
            self._end()
            try:
                self._writer.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise _translated(exc, self.path, "the change") from exc

    def _end(self) -> None:
        self._depth = 0
        self._owner = None

    def _rollback(self) -> None:
        # SQLite may already have rolled back (a full disk, an I/O error): then there is no
        # transaction left to roll back, and that must not hide the error that ended it.
        if self._writer.in_transaction:
            with suppress(sqlite3.Error):
                self._writer.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()

    def execute_script(self, statements: Sequence[str]) -> None:
        """Run DDL statements in one transaction (a failed migration leaves nothing behind)."""
        with self.write() as tx:
            for statement in statements:
                tx.execute(statement)
