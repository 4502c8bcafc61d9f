"""The audit trail of commands: who sent what, when (instrument clock too), and how it ended."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from semphony.server.errors import problem_of
from semphony.server.security import Principal
from semphony.server.store import AuditOutcome, Store

__all__ = ["Actor", "Auditor", "Facts"]

_log = logging.getLogger("semphony.server")


@dataclass(frozen=True)
class Actor:
    """Who sent a command, and which request it was (its ``X-Request-Id``, for the audit log)."""

    principal: Principal
    method: str
    path: str
    request_id: str | None = None
    lease_secret: str | None = None
    source: str | None = None

    def __repr__(self) -> str:  # never show the lease secret
        return f"Actor({self.principal.name!r}, {self.method} {self.path})"


class Facts(dict[str, Any]):
    """What a command learns while acting, for its audit entry: session, run, operation ids."""


class Auditor:
    """Appends the audit entries of commands; never lets a logging failure change an answer."""

    def __init__(self, store: Store, clock_s: Callable[[], float | None]) -> None:
        self._store = store
        self._clock_s = clock_s

    @contextmanager
    def audited(
        self,
        actor: Actor,
        command: str,
        params: Mapping[str, Any],
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        outcome: AuditOutcome = "succeeded",
        status_code: int = 200,
    ) -> Iterator[Facts]:
        """Run a command and append its entry; a refusal is recorded, then re-raised as a problem.

        The body may fill in the yielded facts (``session_id``, ``run_id``, ``operation_id``) it
        learns while acting, such as the session that ``session.start`` created.
        """
        # Read before acting: the entry says when the command arrived, not when it finished.
        clock_s = self._clock_s()
        facts = Facts(session_id=session_id, run_id=run_id, operation_id=None)
        if run_id is None and session_id is not None:
            known = self._store.sessions.get(session_id)
            facts["run_id"] = known.run_id if known is not None else None
        try:
            yield facts
        except Exception as exc:
            problem = problem_of(exc)
            if problem is None:
                raise
            self.record(
                actor,
                command,
                params,
                outcome="refused" if problem.status < 500 else "failed",
                status_code=problem.status,
                reason=problem.reason,
                facts=facts,
                clock_s=clock_s,
            )
            if problem is exc:
                raise
            raise problem from exc
        self.record(
            actor,
            command,
            params,
            outcome=outcome,
            status_code=status_code,
            facts=facts,
            clock_s=clock_s,
        )

    def record(
        self,
        actor: Actor | None,
        command: str,
        params: Mapping[str, Any],
        *,
        outcome: AuditOutcome,
        status_code: int,
        facts: Mapping[str, Any],
        clock_s: float | None,
        reason: str | None = None,
    ) -> None:
        """Append one entry (`actor` None for the server's own actions: expiry, an op's end)."""
        try:
            self._store.audit.append(
                method=actor.method if actor else "-",
                path=actor.path if actor else "-",
                command=command,
                outcome=outcome,
                params=dict(params),
                actor_role=actor.principal.role if actor else None,
                token_fingerprint=actor.principal.fingerprint if actor else None,
                session_id=facts.get("session_id"),
                run_id=facts.get("run_id"),
                status_code=status_code,
                reason=reason,
                operation_id=facts.get("operation_id"),
                clock_s=clock_s,
                request_id=actor.request_id if actor else None,
                user=actor.principal.name if actor else None,
                source=actor.source if actor else None,
            )
        except Exception as exc:  # the command's answer must not depend on the log's health
            _log.error("cannot append to the audit log", exc_info=exc)

    def clock_s(self) -> float | None:
        """The instrument's clock now, or None when the driver cannot say."""
        return self._clock_s()
