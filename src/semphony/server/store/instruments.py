"""The ``instruments`` table: which server holds each instrument name on a shared database.

A server claims its name at start-up and renews the claim (its heartbeat) while it runs, so two
live servers never act as one instrument: their leases, operations and idempotency keys would
collide. A claim is free when nobody holds it, when its holder released it, when its heartbeat is
older than ``stale_s`` (the holder died without saying so), or when its holder is a process of
this host that no longer exists (a server killed and restarted at once need not wait).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass

from semphony.server.errors import StoreError
from semphony.server.store._db import Database, Row
from semphony.server.store._rows import Clock

__all__ = [
    "INSTRUMENT_PATTERN",
    "QUALIFIER",
    "STALE_S",
    "InstrumentClaim",
    "InstrumentClaimedError",
    "InstrumentRepository",
    "check_instrument_name",
]

# A name of letters, digits, ".", "_" and "-" (no "/": that separates an instrument from an ROI
# name in a qualified name such as "sem2/grain-7").
INSTRUMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
QUALIFIER = "/"
STALE_S = 30.0


def check_instrument_name(name: str, what: str = "instrument") -> str:
    """`name`, or a `ValueError` naming the rule."""
    if not re.fullmatch(INSTRUMENT_PATTERN, name):
        raise ValueError(
            f"{what}: {name!r} is not an instrument name (1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit)"
        )
    return name


class InstrumentClaimedError(StoreError):
    """Another live server holds this instrument name on the database."""


@dataclass(frozen=True)
class InstrumentClaim:
    """An instrument name and who holds it (``owner is None``: released)."""

    name: str
    owner: str | None
    host: str | None
    pid: int | None
    public_url: str | None
    claimed_at: float | None
    heartbeat_at: float | None


def _claim(row: Row) -> InstrumentClaim:
    return InstrumentClaim(
        name=row["name"],
        owner=row["owner"],
        host=row["host"],
        pid=None if row["pid"] is None else int(row["pid"]),
        public_url=row["public_url"],
        claimed_at=row["claimed_at"],
        heartbeat_at=row["heartbeat_at"],
    )


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class InstrumentRepository:
    """Claim, renew and release instrument names; read where each instrument's server is."""

    def __init__(self, db: Database, clock: Clock, stale_s: float = STALE_S) -> None:
        self._db = db
        self._clock = clock
        self._stale_s = stale_s
        self.owner = secrets.token_hex(10)  # this process's claims

    def get(self, name: str) -> InstrumentClaim | None:
        """The claim record of `name`, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM instruments WHERE name = ?", (name,)).fetchone()
        return None if row is None else _claim(row)

    def all(self) -> list[InstrumentClaim]:
        """Every instrument that ever claimed a name here, by name."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM instruments ORDER BY name").fetchall()
        return [_claim(r) for r in rows]

    def holder(self, name: str) -> InstrumentClaim | None:
        """The live claim on `name` held by another process, or None when it is free."""
        claim = self.get(name)
        if claim is None or claim.owner is None or claim.owner == self.owner:
            return None
        if claim.heartbeat_at is None or claim.heartbeat_at + self._stale_s <= self._clock():
            return None
        if (
            claim.host == socket.gethostname()
            and claim.pid is not None
            and claim.pid != os.getpid()
            and not _process_exists(claim.pid)
        ):
            return None
        return claim

    def check_free(self, name: str) -> None:
        """`InstrumentClaimedError` when another live server holds `name`."""
        held = self.holder(name)
        if held is not None:
            raise InstrumentClaimedError(_claimed_message(held, self._clock(), self._stale_s))

    def claim(self, name: str, public_url: str | None = None) -> InstrumentClaim:
        """Hold `name` for this process (taking over a stale claim); `InstrumentClaimedError`
        when another live server holds it."""
        now = self._clock()
        with self._db.write() as tx:
            self.check_free(name)
            tx.execute(
                "INSERT INTO instruments (name, owner, host, pid, public_url, claimed_at,"
                " heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                " owner = excluded.owner, host = excluded.host, pid = excluded.pid,"
                " public_url = excluded.public_url, claimed_at = excluded.claimed_at,"
                " heartbeat_at = excluded.heartbeat_at",
                (name, self.owner, socket.gethostname(), os.getpid(), public_url, now, now),
            )
        claim = self.get(name)
        assert claim is not None
        return claim

    def heartbeat(self, name: str) -> bool:
        """Renew this process's claim; False when it was lost (another server took it over)."""
        with self._db.write() as tx:
            cur = tx.execute(
                "UPDATE instruments SET heartbeat_at = ? WHERE name = ? AND owner = ?",
                (self._clock(), name, self.owner),
            )
        return int(cur.rowcount) == 1

    def release(self, name: str) -> None:
        """Give the name up (at shutdown), keeping the public URL for readers of its records."""
        with self._db.write() as tx:
            tx.execute(
                "UPDATE instruments SET owner = NULL, heartbeat_at = NULL"
                " WHERE name = ? AND owner = ?",
                (name, self.owner),
            )


def _claimed_message(held: InstrumentClaim, now: float, stale_s: float) -> str:
    ago = now - (held.heartbeat_at or now)
    where = f" at {held.public_url}" if held.public_url else ""
    return (
        f"instrument {held.name!r} is claimed by another server{where} (host {held.host}, "
        f"pid {held.pid}, last heartbeat {ago:.0f} s ago); stop it, choose another --instrument, "
        f"or wait {stale_s:g} s after it died for the claim to go stale"
    )
