"""The ``operations`` table: long commands and where they stand; their artifacts on finishing."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast, get_args

from semphony.server.errors import OperationFinishedError, RecordNotFoundError
from semphony.server.store._db import Connection, Database, Row
from semphony.server.store._rows import Clock, dumps, limit, loads_obj, secs, ts
from semphony.server.store._schema import next_seq
from semphony.server.store.artifacts import ArtifactRepository
from semphony.server.store.records import (
    ArtifactRecord,
    JsonObject,
    Operation,
    OperationStatus,
    new_id,
)

__all__ = ["UNSET", "OperationRepository"]

_STATUSES: frozenset[str] = frozenset(get_args(OperationStatus))
_RESTARTED_DETAIL = (
    "operation {id} ({kind}) was {status} when the server stopped; it did not complete"
)


class _Unset:
    """Marks an argument that was not given (``None`` is a value: it clears a column)."""


UNSET = _Unset()


def _operation(row: Row) -> Operation:
    return Operation(
        id=row["id"],
        run_id=row["run_id"],
        session_id=row["session_id"],
        kind=row["kind"],
        status=cast(OperationStatus, row["status"]),
        params=cast(JsonObject, json.loads(row["params"])),
        progress_done=row["progress_done"],
        progress_total=row["progress_total"],
        progress_unit=row["progress_unit"],
        result=loads_obj(row["result"]),
        problem=loads_obj(row["problem"]),
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
        instrument=row["instrument"],
    )


class OperationRepository:
    """Record operations, move them through their statuses, fail the ones a restart cut short."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        artifacts: ArtifactRepository,
        instrument: str = "local",
    ) -> None:
        self._db = db
        self._clock = clock
        self._artifacts = artifacts
        # Operations are the instrument's: another server's are neither shown nor failed here.
        self._instrument = instrument

    def create(
        self,
        *,
        run_id: str,
        session_id: str | None,
        kind: str,
        params: Mapping[str, Any] | None = None,
        progress_total: int = 0,
        progress_unit: str = "steps",
        operation_id: str | None = None,
        status: Literal["pending", "running"] = "pending",
    ) -> Operation:
        """Record a new operation (its id is the correlation id)."""
        if progress_total < 0:
            raise ValueError(f"progress_total: must be >= 0, got {progress_total}")
        args = dict(params or {})
        text = dumps(args, "params")
        now = ts(self._clock())
        op = Operation(
            id=operation_id or new_id("op"),
            run_id=run_id,
            session_id=session_id,
            kind=kind,
            status=status,
            params=args,
            progress_done=0,
            progress_total=progress_total,
            progress_unit=progress_unit,
            result=None,
            problem=None,
            created_at=now,
            updated_at=now,
            instrument=self._instrument,
        )
        mine = (self._instrument,)
        with self._db.write() as tx:
            if (
                tx.execute(
                    "SELECT 1 FROM runs WHERE id = ? AND instrument = ?", (run_id, *mine)
                ).fetchone()
                is None
            ):
                raise RecordNotFoundError("run", run_id)
            if (
                session_id is not None
                and tx.execute(
                    "SELECT 1 FROM sessions WHERE id = ? AND instrument = ?", (session_id, *mine)
                ).fetchone()
                is None
            ):
                raise RecordNotFoundError("session", session_id)
            tx.execute(
                "INSERT INTO operations (id, run_id, session_id, kind, status, params,"
                " progress_done, progress_total, progress_unit, result, problem, created_at,"
                " updated_at, instrument, seq) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL, ?,"
                f" ?, ?, {next_seq('operations')})",
                (
                    op.id,
                    run_id,
                    session_id,
                    kind,
                    status,
                    text,
                    progress_total,
                    progress_unit,
                    secs(now),
                    secs(now),
                    self._instrument,
                ),
            )
        return op

    def get(self, operation_id: str) -> Operation | None:
        """The operation, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT * FROM operations WHERE id = ? AND instrument = ?",
                (operation_id, self._instrument),
            ).fetchone()
        return None if row is None else _operation(row)

    def of_run(
        self,
        run_id: str,
        *,
        kind: str | None = None,
        status: OperationStatus | None = None,
        max_items: int = 100,
    ) -> list[Operation]:
        """A run's operations, oldest first, optionally of one kind and/or status."""
        sql = "SELECT * FROM operations WHERE run_id = ? AND instrument = ?"
        args: list[Any] = [run_id, self._instrument]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY created_at, seq LIMIT ?"
        args.append(limit(max_items))
        with self._db.read() as conn:
            return [_operation(r) for r in conn.execute(sql, args).fetchall()]

    def active(self) -> list[Operation]:
        """Operations pending or running, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM operations WHERE status IN ('pending', 'running')"
                " AND instrument = ? ORDER BY created_at, seq",
                (self._instrument,),
            ).fetchall()
        return [_operation(r) for r in rows]

    def update(
        self,
        operation_id: str,
        *,
        status: OperationStatus | None = None,
        progress_done: int | None = None,
        progress_total: int | None = None,
        result: JsonObject | _Unset | None = UNSET,
        problem: JsonObject | _Unset | None = UNSET,
    ) -> Operation:
        """Change an unfinished operation; a terminal one raises ``OperationFinishedError``."""
        with self._db.write() as tx:
            return self._update(
                tx, operation_id, status, progress_done, progress_total, result, problem
            )

    def finish(
        self,
        operation_id: str,
        *,
        status: Literal["succeeded", "failed", "cancelled"],
        result: JsonObject | None = None,
        problem: JsonObject | None = None,
        artifacts: Sequence[ArtifactRecord] = (),
        progress_done: int | None = None,
    ) -> Operation:
        """Move an operation to a terminal status and record its artifacts in one transaction.

        A success completes the progress; otherwise `progress_done` (where it got to) is kept.
        """
        with self._db.write() as tx:
            for artifact in artifacts:
                self._artifacts.add(artifact)
            current = tx.execute(
                "SELECT progress_total FROM operations WHERE id = ? AND instrument = ?",
                (operation_id, self._instrument),
            ).fetchone()
            done = progress_done
            if current is not None and status == "succeeded":
                done = current["progress_total"]
            return self._update(tx, operation_id, status, done, None, result, problem)

    def _update(
        self,
        tx: Connection,
        operation_id: str,
        status: OperationStatus | None,
        progress_done: int | None,
        progress_total: int | None,
        result: JsonObject | _Unset | None,
        problem: JsonObject | _Unset | None,
    ) -> Operation:
        row = tx.execute(
            "SELECT * FROM operations WHERE id = ? AND instrument = ?",
            (operation_id, self._instrument),
        ).fetchone()
        if row is None:
            raise RecordNotFoundError("operation", operation_id)
        current = _operation(row)
        if current.terminal:
            raise OperationFinishedError(operation_id, current.status)
        if status is not None and status not in _STATUSES:
            raise ValueError(f"status: {status!r} is not one of {sorted(_STATUSES)}")
        sets: list[str] = ["updated_at = ?"]
        args: list[Any] = [self._clock()]
        if status is not None:
            sets.append("status = ?")
            args.append(status)
        total = current.progress_total if progress_total is None else progress_total
        done = current.progress_done if progress_done is None else progress_done
        if total < 0 or done < 0:
            raise ValueError(f"progress: done and total must be >= 0, got {done}/{total}")
        sets += ["progress_done = ?", "progress_total = ?"]
        args += [done, total]
        if not isinstance(result, _Unset):
            sets.append("result = ?")
            args.append(None if result is None else dumps(result, "result"))
        if not isinstance(problem, _Unset):
            sets.append("problem = ?")
            args.append(None if problem is None else dumps(problem, "problem"))
        args.append(operation_id)
        updated = tx.execute(
            f"UPDATE operations SET {', '.join(sets)} WHERE id = ? RETURNING *", args
        ).fetchone()
        return _operation(updated)

    def mark_interrupted(self) -> list[Operation]:
        """At start-up: every pending/running operation becomes failed (``server.restarted``).

        An operation that was under way when the process died did not complete; reporting it as
        failed (never as done) is the only honest answer. Returns the operations changed.
        """
        changed: list[Operation] = []
        with self._db.write() as tx:
            for op in self.active():
                problem = {
                    "type": "https://semphony.dev/problems/server.restarted",
                    "title": "Server restarted",
                    "status": 500,
                    "reason": "server.restarted",
                    "detail": _RESTARTED_DETAIL.format(id=op.id, kind=op.kind, status=op.status),
                }
                changed.append(self._update(tx, op.id, "failed", None, None, UNSET, problem))
        return changed
