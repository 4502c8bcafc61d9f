"""The ``audit`` table: every command, who sent it, when, and how it ended."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, cast, get_args

from semphony.server.store._db import Database, Row
from semphony.server.store._rows import MAX_SEQ, Clock, dumps, limit, secs, ts
from semphony.server.store.records import AuditOutcome, AuditRecord, JsonObject

__all__ = ["AuditRepository"]

_OUTCOMES: frozenset[str] = frozenset(get_args(AuditOutcome))


def _audit(row: Row) -> AuditRecord:
    return AuditRecord(
        seq=row["seq"],
        at=ts(row["at"]),
        actor_role=row["actor_role"],
        token_fingerprint=row["token_fingerprint"],
        session_id=row["session_id"],
        run_id=row["run_id"],
        method=row["method"],
        path=row["path"],
        command=row["command"],
        params=cast(JsonObject, json.loads(row["params"])),
        outcome=cast(AuditOutcome, row["outcome"]),
        status_code=row["status_code"],
        reason=row["reason"],
        operation_id=row["operation_id"],
        clock_s=row["clock_s"],
        request_id=row["request_id"],
        user=row["user_name"],
        source=row["source"],
        repeats=row["repeats"] or 1,
        instrument=row["instrument"],
    )


class AuditRepository:
    """Append this instrument's audit entries; read every instrument's back in order."""

    def __init__(self, db: Database, clock: Clock, instrument: str = "local") -> None:
        self._db = db
        self._clock = clock
        self._instrument = instrument

    def append(
        self,
        *,
        method: str,
        path: str,
        command: str,
        outcome: AuditOutcome,
        params: Mapping[str, Any] | None = None,
        actor_role: str | None = None,
        token_fingerprint: str | None = None,
        session_id: str | None = None,
        run_id: str | None = None,
        status_code: int | None = None,
        reason: str | None = None,
        operation_id: str | None = None,
        clock_s: float | None = None,
        request_id: str | None = None,
        user: str | None = None,
        source: str | None = None,
        repeats: int = 1,
    ) -> AuditRecord:
        """Append one entry (pass the token's fingerprint, never the token).

        ``clock_s`` is the instrument's clock when the command arrived; ``request_id`` the
        ``X-Request-Id`` of the request that carried it.
        """
        if outcome not in _OUTCOMES:
            raise ValueError(f"outcome: {outcome!r} is not one of {sorted(_OUTCOMES)}")
        if clock_s is not None and not math.isfinite(clock_s):
            # A database would store NaN as NULL and the entry would lie about what it was given.
            raise ValueError(f"clock_s: must be finite, got {clock_s}")
        args = _finite(dict(params or {}))
        text = dumps(args, "params")
        at = ts(self._clock())
        clock = None if clock_s is None else float(clock_s)
        with self._db.write() as tx:
            row = tx.execute(
                "INSERT INTO audit (at, actor_role, token_fingerprint, session_id, run_id, method,"
                " path, command, params, outcome, status_code, reason, operation_id, clock_s,"
                " request_id, user_name, source, repeats, instrument)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (
                    secs(at),
                    actor_role,
                    token_fingerprint,
                    session_id,
                    run_id,
                    method,
                    path,
                    command,
                    text,
                    outcome,
                    status_code,
                    reason,
                    operation_id,
                    clock,
                    request_id,
                    user,
                    source,
                    repeats,
                    self._instrument,
                ),
            ).fetchone()
        return AuditRecord(
            seq=int(row["seq"]),
            at=at,
            actor_role=actor_role,
            token_fingerprint=token_fingerprint,
            session_id=session_id,
            run_id=run_id,
            method=method,
            path=path,
            command=command,
            params=args,
            outcome=outcome,
            status_code=status_code,
            reason=reason,
            operation_id=operation_id,
            clock_s=clock,
            request_id=request_id,
            user=user,
            source=source,
            repeats=repeats,
            instrument=self._instrument,
        )

    def entries(
        self,
        *,
        run_id: str | None = None,
        after_seq: int = 0,
        max_items: int = 100,
        session_id: str | None = None,
        user: str | None = None,
        command: str | None = None,
        outcome: str | None = None,
        outside_runs: bool = False,
        instrument: str | None = None,
    ) -> list[AuditRecord]:
        """Entries in order after ``after_seq``, filtered by any of the given columns
        (``outside_runs``: only commands that belong to no run)."""
        if after_seq >= MAX_SEQ:
            return []  # no seq exceeds the largest integer the database stores
        sql = "SELECT * FROM audit WHERE seq > ?"
        args: list[Any] = [after_seq]
        for column, value in (
            ("run_id", run_id),
            ("session_id", session_id),
            ("user_name", user),
            ("command", command),
            ("outcome", outcome),
            ("instrument", instrument),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if outside_runs:
            sql += " AND run_id IS NULL"
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit(max_items))
        with self._db.read() as conn:
            return [_audit(r) for r in conn.execute(sql, args).fetchall()]


def _finite(value: Any) -> Any:
    """`value` with every non-finite float written as a string ("NaN", "Infinity", "-Infinity"):
    a refused request's parameters are recorded as sent, in JSON that stays valid."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
