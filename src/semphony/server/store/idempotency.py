"""The ``idempotency`` table: the first response to each (principal, Idempotency-Key)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from semphony.server.errors import (
    IdempotencyInProgressError,
    IdempotencyMismatchError,
    RecordNotFoundError,
)
from semphony.server.store._db import Database
from semphony.server.store._rows import Clock, dumps, ts
from semphony.server.store.records import IdempotentRequest, StoredResponse

__all__ = ["IdempotencyRepository"]


class IdempotencyRepository:
    """Reserve keys, store the responses to replay, forget expired ones."""

    def __init__(self, db: Database, clock: Clock, ttl_s: float, instrument: str = "local") -> None:
        if not ttl_s > 0:
            raise ValueError(f"idempotency_ttl_s: must be > 0, got {ttl_s}")
        # Keys are the instrument's: the same key sent to two servers is two requests.
        self._instrument = instrument
        self._db = db
        self._clock = clock
        self._ttl_s = float(ttl_s)

    def begin(self, request: IdempotentRequest) -> StoredResponse | None:
        """Claim ``request``'s key, or return the response stored for it.

        ``None`` means the key is now reserved: act, then call ``complete`` (or ``abandon`` if
        acting failed without a response worth replaying). A stored, unexpired response for the
        same request is returned for replay. The same key with a different method, path or body
        raises ``IdempotencyMismatchError``; a first request still in flight raises
        ``IdempotencyInProgressError``. Expired keys are treated as new.
        """
        now = self._clock()
        key = (self._instrument, request.principal, request.key)
        where = "instrument = ? AND principal = ? AND key = ?"
        with self._db.write() as tx:
            row = tx.execute(f"SELECT * FROM idempotency WHERE {where}", key).fetchone()
            if row is not None and row["created_at"] + self._ttl_s <= now:
                tx.execute(f"DELETE FROM idempotency WHERE {where}", key)
                row = None
            if row is None:
                tx.execute(
                    "INSERT INTO idempotency (instrument, principal, key, method, path,"
                    " body_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key, request.method, request.path, request.body_sha256, now),
                )
                return None
            for what, stored, given in (
                ("method", row["method"], request.method),
                ("path", row["path"], request.path),
                ("body", row["body_sha256"], request.body_sha256),
            ):
                if stored != given:
                    raise IdempotencyMismatchError(request.key, what)
            if row["status_code"] is None:
                raise IdempotencyInProgressError(request.key)
            return StoredResponse(
                status_code=row["status_code"],
                body=json.loads(row["response"]),
                headers=cast(dict[str, str], json.loads(row["headers"])),
                created_at=ts(row["created_at"]),
            )

    def complete(
        self,
        request: IdempotentRequest,
        *,
        status_code: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Store the response to a request whose key ``begin`` reserved."""
        body_text = dumps(body, "body")
        headers_text = dumps(dict(headers or {}), "headers")
        with self._db.write() as tx:
            cur = tx.execute(
                "UPDATE idempotency SET status_code = ?, response = ?, headers = ?"
                " WHERE instrument = ? AND principal = ? AND key = ? AND body_sha256 = ?"
                " AND status_code IS NULL",
                (
                    status_code,
                    body_text,
                    headers_text,
                    self._instrument,
                    request.principal,
                    request.key,
                    request.body_sha256,
                ),
            )
            if cur.rowcount != 1:
                raise RecordNotFoundError("idempotency reservation", request.key)

    def abandon(self, request: IdempotentRequest) -> None:
        """Drop an unfinished reservation so the client may retry with the same key."""
        with self._db.write() as tx:
            tx.execute(
                "DELETE FROM idempotency WHERE instrument = ? AND principal = ? AND key = ?"
                " AND status_code IS NULL",
                (self._instrument, request.principal, request.key),
            )

    def purge(self) -> int:
        """Delete expired keys; returns how many."""
        cutoff = self._clock() - self._ttl_s
        with self._db.write() as tx:
            cur = tx.execute(
                "DELETE FROM idempotency WHERE instrument = ? AND created_at <= ?"
                " AND status_code IS NOT NULL",
                (self._instrument, cutoff),
            )
        return int(cur.rowcount)

    def drop_pending(self) -> int:
        """At start-up: forget reservations whose request died with the last process."""
        with self._db.write() as tx:
            cur = tx.execute(
                "DELETE FROM idempotency WHERE instrument = ? AND status_code IS NULL",
                (self._instrument,),
            )
        return int(cur.rowcount)
