"""The audit trail of commands: who sent what, when (instrument clock too), and how it ended.

The audit never fails silently: an entry the store cannot take (a full disk, a lost database) is
logged at once and kept, and `flush()` (the watchdog calls it) writes the kept entries as soon as
the store takes them again. Refusals of unauthenticated callers are counted per source and minute
into one entry each (`refuse_anonymous`), so nobody can fill the disk anonymously.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from semphony.server.errors import problem_of
from semphony.server.security import Principal
from semphony.server.store import AuditOutcome, Store

__all__ = ["REQUEST_AUDITED", "Actor", "Auditor", "Facts"]

_log = logging.getLogger("semphony.server")

REQUEST_AUDITED: ContextVar[list[int] | None] = ContextVar("semphony_request_audited", default=None)
"""Set by the audit-trail middleware around each request: a service that records the request's
entry marks it, so the middleware records only what no service did (a 401, a 422, …)."""

_KEEP = 100_000  # entries kept while the store refuses them, before the oldest are dropped


@dataclass
class _Anonymous:
    """Unauthenticated refusals from one source in one minute."""

    count: int = 0
    reason: str | None = None
    paths: set[str] = field(default_factory=set)


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

    def __init__(
        self,
        store: Store,
        clock_s: Callable[[], float | None],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._clock_s = clock_s
        self._wall = wall
        self._lock = threading.Lock()
        self._pending: deque[dict[str, Any]] = deque(maxlen=_KEEP)
        self._anonymous: dict[tuple[str, int], _Anonymous] = {}

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
        origin: Mapping[str, str | None] | None = None,
    ) -> None:
        """Append one entry (`actor` None for the server's own actions: expiry, an op's end, or
        for a request refused before anyone authenticated, described by `origin`: its method,
        path, request id and source)."""
        where = dict(origin or {})
        if actor is not None:
            marks = REQUEST_AUDITED.get()
            if marks is not None:
                marks.append(1)
        self._write(
            {
                "method": actor.method if actor else where.get("method") or "-",
                "path": actor.path if actor else where.get("path") or "-",
                "command": command,
                "outcome": outcome,
                "params": dict(params),
                "actor_role": actor.principal.role if actor else None,
                "token_fingerprint": actor.principal.fingerprint if actor else None,
                "session_id": facts.get("session_id"),
                "run_id": facts.get("run_id"),
                "status_code": status_code,
                "reason": reason,
                "operation_id": facts.get("operation_id"),
                "clock_s": clock_s,
                "request_id": actor.request_id if actor else where.get("request_id"),
                "user": actor.principal.name if actor else None,
                "source": actor.source if actor else where.get("source"),
            }
        )

    def refuse_anonymous(self, source: str, path: str, reason: str | None) -> None:
        """Count a refusal of an unauthenticated caller (written per source and minute)."""
        minute = int(self._wall() // 60)
        with self._lock:
            tally = self._anonymous.setdefault((source, minute), _Anonymous())
            tally.count += 1
            tally.reason = tally.reason or reason
            if len(tally.paths) < 10:
                tally.paths.add(path)

    def flush(self, *, everything: bool = False) -> int:
        """Write the minutes of anonymous refusals that are over (all of them with `everything`)
        and the entries the store refused before; returns how many are still waiting."""
        now_minute = int(self._wall() // 60)
        with self._lock:
            done = [k for k in self._anonymous if everything or k[1] < now_minute]
            tallies = [(k, self._anonymous.pop(k)) for k in done]
        for (source, minute), tally in tallies:
            at = datetime.fromtimestamp(minute * 60, tz=UTC).isoformat()
            self._write(
                {
                    "method": "-",
                    "path": "-",
                    "command": "auth.refused",
                    "outcome": "refused",
                    "params": {"minute": at, "paths": sorted(tally.paths)},
                    "status_code": 401,
                    "reason": tally.reason,
                    "source": source,
                    "repeats": tally.count,
                }
            )
        while True:
            with self._lock:
                if not self._pending:
                    return 0
                entry = self._pending[0]
            try:
                self._store.audit.append(**entry)
            except Exception:
                with self._lock:
                    return len(self._pending)
            with self._lock:
                if self._pending and self._pending[0] is entry:
                    self._pending.popleft()

    @property
    def waiting(self) -> int:
        """Entries the store has not taken yet."""
        with self._lock:
            return len(self._pending)

    def _write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            queued = bool(self._pending)
            if queued:  # keep the order: behind the entries already waiting
                self._pending.append(entry)
        if queued:
            _log.warning("audit entry kept until the store recovers: %s", _describe(entry))
            return
        try:
            self._store.audit.append(**entry)
        except Exception as exc:  # the command's answer must not depend on the log's health
            with self._lock:
                self._pending.append(entry)
            _log.error(
                "cannot append to the audit log (%s); kept until the store recovers: %s",
                exc,
                _describe(entry),
            )

    def clock_s(self) -> float | None:
        """The instrument's clock now, or None when the driver cannot say."""
        return self._clock_s()


def _describe(entry: Mapping[str, Any]) -> str:
    """An audit entry as one log line (it carries no token and no lease secret)."""
    keys = ("command", "outcome", "status_code", "reason", "user", "session_id", "request_id")
    return " ".join(f"{k}={entry.get(k)!r}" for k in keys if entry.get(k) is not None)
