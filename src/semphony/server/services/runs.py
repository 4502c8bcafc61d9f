"""Runs and their audit log."""

from __future__ import annotations

from dataclasses import dataclass

from semphony.server import mapping, schemas
from semphony.server.errors import ProblemError
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.store import Run
from semphony.server.store._rows import MAX_SEQ

__all__ = ["LIST_LIMIT", "AuditQuery", "RunService"]

LIST_LIMIT = 10_000


@dataclass(frozen=True)
class AuditQuery:
    """Which audit entries to list."""

    after_id: int = 0
    run_id: str | None = None
    session_id: str | None = None
    user: str | None = None
    action: str | None = None
    outcome: str | None = None
    outside_runs: bool = False
    limit: int = LIST_LIMIT
    instrument: str | None = None


class RunService:
    """Create, list and read runs; read a run's audit log."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def create(self, actor: Actor, body: schemas.RunCreate) -> schemas.Run:
        meta = {"description": body.description} if body.description is not None else {}
        return mapping.run_model(self._ctx.store.runs.create(body.name, meta))

    def list(self, instrument: str | None = None) -> schemas.RunList:
        runs = self._ctx.store.runs.all(max_items=LIST_LIMIT, instrument=instrument)
        return schemas.RunList(items=[mapping.run_model(r) for r in reversed(runs)])

    def require(self, run_id: str) -> Run:
        """The run; 404 when there is none."""
        run = self._ctx.store.runs.get(run_id)
        if run is None:
            raise ProblemError(404, f"no run with id {run_id!r}", reason="not_found")
        return run

    def get(self, run_id: str) -> schemas.Run:
        return mapping.run_model(self.require(run_id))

    def audit(self, run_id: str, after_id: int) -> schemas.AuditList:
        self.require(run_id)
        return self.audit_log(AuditQuery(run_id=run_id, after_id=after_id))

    def audit_log(self, query: AuditQuery) -> schemas.AuditList:
        """Audit entries in order, filtered (`GET /v1/audit`, and a run's log)."""
        if query.after_id >= MAX_SEQ:
            return schemas.AuditList(items=[])  # no entry has an id that large
        store = self._ctx.store
        records = store.audit.entries(
            run_id=query.run_id,
            after_seq=query.after_id,
            max_items=min(query.limit, LIST_LIMIT),
            session_id=query.session_id,
            user=query.user,
            command=query.action,
            outcome=query.outcome,
            outside_runs=query.outside_runs,
            instrument=query.instrument,
        )
        holders: dict[str, str | None] = {}
        items = []
        for record in records:
            holder = None
            if record.session_id is not None:
                if record.session_id not in holders:
                    holders[record.session_id] = store.sessions.holder(record.session_id)
                holder = holders[record.session_id]
            items.append(mapping.audit_model(record, holder))
        return schemas.AuditList(items=items)
