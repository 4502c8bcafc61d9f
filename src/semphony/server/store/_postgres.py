"""The PostgreSQL backend: the same `Database` over psycopg 3 and a connection pool.

The repositories write SQL with ``?`` placeholders; here it becomes psycopg's ``%s`` (and a
literal ``%`` becomes ``%%``). Transactions keep SQLite's semantics: one writer at a time, per
process (a lock) and across processes on the same database (a transaction-level advisory lock), so
the repositories' read-then-write steps (insertion numbers, idempotency reservations) stay atomic.
Reads run in autocommit on pooled connections and see committed data.

A lost connection is retried where retrying cannot record anything twice: a read statement, and
the start of a transaction (nothing has been written yet). A connection lost inside a
transaction is not retried: PostgreSQL rolls the transaction back, so nothing of it is recorded,
and the caller is answered with a `StorageError` (503) that says so.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from semphony.server.errors import StorageError, StoreError
from semphony.server.storage_faults import from_postgres, pg_connection_lost
from semphony.server.store._db import Connection, Cursor, Database

__all__ = ["PostgresDatabase", "redacted", "to_psycopg"]

# pg_advisory_xact_lock's key for "one writer at a time": the bytes of "semphony" as a BIGINT.
_WRITE_LOCK = int.from_bytes(b"semphony", "big")

_PgConn = psycopg.Connection[dict[str, Any]]


@functools.lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """`sql` with ``?`` placeholders as psycopg's ``%s`` (and ``%`` as ``%%``); quoted text and
    identifiers are copied unchanged apart from the ``%``."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if char == "%":
            out.append("%%")
        elif quote is not None:
            out.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def redacted(url: str) -> str:
    """`url` as ``postgresql://user@host:port/dbname``: no password, fit for messages and logs."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(an unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host") or "")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


class _Result:
    """A statement's rows, fetched before its connection goes back to the pool."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid: int | None = None  # PostgreSQL has none; the schema uses RETURNING

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return list(self._rows)


class _Translating:
    """A pooled connection speaking the repositories' ``?`` SQL; every error a `StoreError`.

    `renew` (reads only) swaps a lost connection for a new one and runs the statement again.
    """

    def __init__(
        self,
        db: PostgresDatabase,
        conn: _PgConn,
        renew: Callable[[_PgConn], _PgConn] | None = None,
    ) -> None:
        self._db = db
        self.conn = conn
        self._renew = renew

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        query = to_psycopg(sql)
        attempt = 0
        while True:
            try:
                cur = self.conn.execute(query, list(args))
                rows = cur.fetchall() if cur.description is not None else []
                return _Result(rows, cur.rowcount)
            except psycopg.Error as exc:
                if self._renew is None or not self._db.may_retry(exc, attempt):
                    raise self._db.translated(exc, "the change") from exc
            attempt += 1
            self.conn = self._renew(self.conn)


class PostgresDatabase(Database):
    """A PostgreSQL database named by a ``postgresql://`` URL (libpq's URL or key=value form)."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 8,
        wait_s: float = 5.0,
        retries: int = 3,
        retry_wait_s: float = 0.2,
    ) -> None:
        """Open the pool and wait for its first connection (`wait_s` at most, then a
        `StorageError` saying the database cannot be reached).

        A statement that lost its connection is tried `retries` more times, `retry_wait_s`
        apart (doubling); a connection is waited for `wait_s` at most each time.
        """
        self.url = url
        self._where = redacted(url)
        self._wait_s = wait_s
        self._retries = retries
        self._retry_wait_s = retry_wait_s
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None
        self._tx: _PgConn | None = None
        self._closed = False
        try:
            conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(f"database URL {self._where}: {exc}") from exc
        self._pool: ConnectionPool[_PgConn] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 5},
            check=ConnectionPool.check_connection,
            timeout=wait_s,
            open=False,
            name="semphony-store",
        )
        try:
            self._pool.open(wait=True, timeout=wait_s)
        except PoolTimeout as exc:
            self._pool.close()
            raise StorageError(
                f"cannot reach the database {self._where} (no connection within {wait_s:g} s); "
                "check that PostgreSQL runs, the URL and its credentials"
            ) from exc

    def describe(self) -> str:
        return self._where

    # ------------------------------------------------------------------ errors and retries

    def translated(self, exc: psycopg.Error, what: str) -> StoreError:
        """The one place psycopg errors become the server's."""
        fault = from_postgres(exc, self._where, what)
        return fault if fault is not None else StoreError(f"database error: {exc}")

    def may_retry(self, exc: psycopg.Error, attempt: int) -> bool:
        """Whether a statement that failed with `exc` is tried again (after a pause)."""
        if self._closed or attempt >= self._retries or not pg_connection_lost(exc):
            return False
        time.sleep(self._retry_wait_s * 2**attempt)
        return True

    def _getconn(self) -> _PgConn:
        try:
            return self._pool.getconn(timeout=self._wait_s)
        except PoolClosed as exc:
            raise StoreError("the database is closed") from exc
        except PoolTimeout as exc:
            raise StorageError(
                f"the database {self._where} cannot be reached (no connection within "
                f"{self._wait_s:g} s): nothing was recorded; check that PostgreSQL runs and is "
                "reachable"
            ) from exc

    def _putconn(self, conn: _PgConn) -> None:
        # A connection left inside a transaction (or broken) must not serve the next caller as is:
        # roll back what can be, and let the pool drop what cannot.
        if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
            with suppress(psycopg.Error):
                conn.execute("ROLLBACK")
        with suppress(PoolClosed):
            self._pool.putconn(conn)

    def _renew(self, lost: _PgConn) -> _PgConn:
        self._putconn(lost)
        return self._getconn()

    # ------------------------------------------------------------------ reads and writes

    @contextmanager
    def read(self) -> Iterator[Connection]:
        if self._owner == threading.get_ident() and self._tx is not None:
            # Inside this thread's transaction: see what it has written so far.
            yield _Translating(self, self._tx)
            return
        if self._closed:
            raise StoreError("the database is closed")
        reader = _Translating(self, self._getconn(), self._renew)
        try:
            yield reader
        finally:
            self._putconn(reader.conn)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._lock:
            if self._closed:
                raise StoreError("the database is closed")
            if self._depth and self._tx is not None:
                self._depth += 1
                try:
                    yield _Translating(self, self._tx)
                finally:
                    self._depth -= 1
                return
            conn = self._begin()
            self._tx, self._depth, self._owner = conn, 1, threading.get_ident()
            try:
                yield _Translating(self, conn)
            except BaseException:
                self._end()
                self._putconn(conn)  # rolls back
                raise
            self._end()
            try:
                conn.execute("COMMIT")
            except psycopg.Error as exc:
                raise self.translated(exc, "the change") from exc
            finally:
                self._putconn(conn)

    def _begin(self) -> _PgConn:
        """A connection inside a new transaction holding the write lock; retried while nothing
        has been written yet."""
        attempt = 0
        while True:
            conn = self._getconn()
            try:
                conn.execute("BEGIN")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                return conn
            except psycopg.Error as exc:
                self._putconn(conn)
                if not self.may_retry(exc, attempt):
                    raise self.translated(exc, "the change") from exc
            attempt += 1

    def _end(self) -> None:
        self._tx, self._depth, self._owner = None, 0, None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pool.close()
