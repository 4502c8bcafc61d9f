"""Sessions: the exclusive control lease, its heartbeats and its end (or expiry)."""

from __future__ import annotations

import logging

from semphony.server import mapping, schemas
from semphony.server.errors import ProblemError
from semphony.server.leases import LEASE_EXPIRED
from semphony.server.services._context import ServiceContext
from semphony.server.services.audit import Actor, Facts
from semphony.server.services.runs import RunService
from semphony.server.store import Session

__all__ = ["SessionService"]

_log = logging.getLogger("semphony.server")


class SessionService:
    """Start, renew and end sessions; make the instrument safe when a lease expires."""

    def __init__(self, ctx: ServiceContext, runs: RunService) -> None:
        self._ctx = ctx
        self._runs = runs

    def model(self, session: Session) -> schemas.Session:
        """The contract's `Session` for a stored one."""
        return mapping.session_model(
            session,
            now=self._ctx.store.now(),
            lease_s=self._ctx.leases.duration_s(session),
            expired_reason=LEASE_EXPIRED,
        )

    def start(
        self, actor: Actor, run_id: str, body: schemas.SessionStart | None
    ) -> schemas.Session:
        request = body or schemas.SessionStart()
        params = request.model_dump(mode="json", exclude_unset=True)
        auditor = self._ctx.auditor
        with auditor.audited(actor, "session.start", params, run_id=run_id, status_code=201) as f:
            self._runs.require(run_id)
            lease_s = request.lease_s if "lease_s" in request.model_fields_set else None
            session, secret = self._ctx.leases.acquire(
                run_id,
                request.holder or actor.principal.name,
                role=actor.principal.role,
                lease_s=lease_s,
            )
            f["session_id"] = session.id
        return self.model(session).model_copy(update={"lease_secret": secret})

    def require(self, session_id: str) -> Session:
        """The session; 404 when there is none."""
        session = self._ctx.store.sessions.get(session_id)
        if session is None:
            raise ProblemError(404, f"no session with id {session_id!r}", reason="not_found")
        return session

    def hold(self, actor: Actor, session_id: str) -> Session:
        """The session, if it holds the lease now and `actor` has its secret; the lease problem
        (or 404) otherwise."""
        current = self._ctx.leases.current()
        if current is None or current.id != session_id:
            self.require(session_id)
        return self._ctx.leases.require(session_id, actor.lease_secret)

    def override(self, actor: Actor, session_id: str) -> bool:
        """For the stop button (beam off, stop): False when `actor` holds the session's lease;
        True when another operator presses it without the lease, which is allowed and audited
        as an override. An unknown session is still 404."""
        if self._ctx.leases.holds(session_id, actor.lease_secret):
            return False
        self.require(session_id)
        return True

    def heartbeat(self, actor: Actor, session_id: str) -> schemas.Session:
        with self._ctx.auditor.audited(actor, "session.heartbeat", {}, session_id=session_id):
            self.hold(actor, session_id)
            session = self._ctx.leases.heartbeat(session_id, actor.lease_secret)
        return self.model(session)

    def end(self, actor: Actor, session_id: str) -> schemas.Session:
        ctx = self._ctx
        with ctx.auditor.audited(actor, "session.end", {}, session_id=session_id):
            session = self.require(session_id)
            if session.active:
                self.hold(actor, session_id)
                active = ctx.runner.active_operation_id
                if active is not None:
                    op = ctx.store.operations.get(active)
                    if op is not None and op.session_id == session_id:
                        ctx.runner.cancel(active)
                session = ctx.leases.release(session_id)
        return self.model(session)

    def on_expire(self, session: Session) -> None:
        """A lease ran out: stop whatever runs and make the instrument safe, then say so."""
        ctx = self._ctx
        _log.warning("the lease of session %s expired; stopping the instrument", session.id)
        ctx.runner.cancel_active()
        ctx.driver.safe_stop()
        ctx.auditor.record(
            None,
            "lease.expired",
            {"holder": session.holder},
            outcome="succeeded",
            status_code=200,
            reason=LEASE_EXPIRED,
            facts=Facts(session_id=session.id, run_id=session.run_id),
            clock_s=ctx.auditor.clock_s(),
        )
