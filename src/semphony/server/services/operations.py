"""Operations: status, the long-poll, cancel, and a run's list."""

from __future__ import annotations

from semphony.server import mapping, schemas
from semphony.server.operations import MAX_WAIT_S
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor
from semphony.server.services.runs import LIST_LIMIT, RunService
from semphony.server.store import Operation

__all__ = ["CANCEL_SETTLE_S", "OperationService"]

CANCEL_SETTLE_S = 5.0
"""How long a cancel's answer waits for the operation to stop (a scan stops within a line)."""


class OperationService:
    """Read, wait for, cancel and list operations."""

    def __init__(self, ctx: ServiceContext, runs: RunService) -> None:
        self._ctx = ctx
        self._runs = runs

    def get(self, operation_id: str) -> Operation:
        """The stored operation; 404 when unknown."""
        return self._ctx.runner.get(operation_id)

    async def wait(self, record: Operation, wait_s: float) -> Operation:
        """`record` once terminal, or as it stands after `wait_s` (no thread is held waiting)."""
        if record.terminal:
            return record
        final = await self._ctx.watch.wait(record.id, min(max(wait_s, 0.0), MAX_WAIT_S))
        return final if final is not None else record

    def cancel(self, actor: Actor, operation_id: str) -> Operation:
        """Ask the operation to stop (needs the lease of its session while it runs)."""
        ctx = self._ctx
        op = ctx.runner.get(operation_id)
        with ctx.auditor.audited(
            actor, "operation.cancel", {}, session_id=op.session_id, run_id=op.run_id
        ) as facts:
            facts["operation_id"] = op.id
            if not op.terminal and op.session_id is not None:
                ctx.leases.require(op.session_id, actor.lease_secret)
            return ctx.runner.cancel(operation_id)

    def list(self, run_id: str, kind: str | None, status: str | None) -> schemas.OperationList:
        """The run's operations, oldest first; an unknown status (an open set) matches none."""
        self._runs.require(run_id)
        ops = self._ctx.store.operations.of_run(run_id, kind=kind, max_items=LIST_LIMIT)
        seen = [self._ctx.runner.overlay(op) for op in ops]
        return schemas.OperationList(
            items=[mapping.operation_model(op) for op in seen if status in (None, op.status)]
        )
