"""Schemathesis hooks for the project's CLI run (`make fuzz`), loaded with SCHEMATHESIS_HOOKS.

A fresh Idempotency-Key per request in every phase: the fuzzer reuses small keys such as "0"
across paths and bodies, which the server rightly refuses with 422 `idempotency.mismatch`.
Lease secrets are learned from every session start and sent with that session's commands, so
that a case reaches the command's behaviour instead of 403 `lease.not_holder`.

In the stateful phase each scenario is one person's work at the instrument: a session start
first ends the session holding the lease (one the fuzzer started earlier and never ended, which
would otherwise refuse every scenario's session with 409 `lease.held`); every session command
goes to the session holding the lease (the hooks start one when none does), after the running
operation, if any, ended (`instrument.settle`); a scan, autofocus or auto signal first pumps and
switches the beam on through the API (`instrument.make_ready`), since the stateless phases switch
the beam off and vent; an acquisition drops, and an autofocus clamps, the values the device cannot
take (nearly every drawn frame size, FOV or dwell is beyond the simulator); a poll of an operation
waits for it to end. So a scenario's links reach a finished scan and its artifact; the refusals
those steps skip (no lease, unknown session, busy, no vacuum, beam off, a value beyond the
device) are the stateless phases' cases, and stay there.

A download case's image id is, every other time, the one image `run.py` acquired before the run
(SEMPHONY_FUZZ_IMAGE_ID): a drawn id names no artifact, and the 200 answer (a TIFF with its
digest headers) deserves the contract's checks too.

Every answer is counted by phase, operation and status (and reason), and the counts are written
to SEMPHONY_FUZZ_TALLY when the run ends: `tests/fuzz/run.py` prints them, and shows from them
that the stateful phase fetched artifacts. With SEMPHONY_FUZZ_TRACE naming a file, every call
and its answer is appended to it, one line each.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import itertools
import json
import os
import re
import uuid
from typing import Any

import httpx
import schemathesis

from tests.fuzz.instrument import (
    end_session,
    fit_autofocus,
    fit_scan,
    make_ready,
    settle,
    start_session,
)

_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")
_SECRETS: dict[str, str] = {}
# (phase, operation id, status, reason) -> answers
_TALLY: collections.Counter[tuple[str, str, int, str]] = collections.Counter()
_SCANS = frozenset({"start_acquisition", "autofocus", "auto_signal"})
# Session calls that act on the lease alone, never refused because an operation runs.
_LEASE_ONLY = frozenset({"heartbeat_session", "end_session", "stop_session"})
_CLIENT: httpx.Client | None = None
_DEVICE: dict[str, Any] = {}


def _client() -> httpx.Client:
    """Our own client of the served API (run.py passes its URL and token)."""
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = httpx.Client(
            base_url=os.environ["SEMPHONY_FUZZ_URL"],
            headers={"Authorization": f"Bearer {os.environ['SEMPHONY_FUZZ_TOKEN']}"},
            timeout=60,
        )
    return _CLIENT


def _holder() -> str | None:
    """The session holding the lease, if it is one whose secret we learned."""
    lease = _client().get("/v1/state").json().get("lease") or {}
    holder = lease.get("session_id")
    return holder if isinstance(holder, str) and holder in _SECRETS else None


def _device() -> dict[str, Any]:
    if not _DEVICE:
        _DEVICE.update(_client().get("/v1/device").json())
    return _DEVICE


# A scenario's poll of an operation waits this long (at least) for it to end, as a person would:
# a scan's image is only linked (`result.image_id`) once it succeeded.
_POLL_S = 30
# The lease of a session the hooks start for a scenario that has none: long enough to outlast
# the phase (a scenario's own heartbeats and ends still apply to it).
_SCENARIO_LEASE_S = 600


def _prepare_scenario_step(case: Any, operation_id: str, params: dict[str, Any]) -> None:
    """Stateful phase only: a session start frees the lease; a command aimed at one of our
    sessions goes to the one holding the lease (a second session start in a scenario ended the
    first, whose id the links still carry); a scan gets vacuum and beam, and the values drawn
    beyond the device are dropped from it (`fit_scan`, `fit_autofocus`); a poll waits for the
    operation to end."""
    body = case.body
    if operation_id == "get_operation":
        query = case.query if isinstance(case.query, dict) else {}
        wait_s = query.get("wait_s")
        if not isinstance(wait_s, int | float) or wait_s < _POLL_S:
            query["wait_s"] = _POLL_S
        case.query = query
        return
    holder = _holder()
    if operation_id == "start_session":
        if holder is not None:
            end_session(_client(), holder, _SECRETS[holder])
        return
    if "session_id" in params:
        if holder is None:
            holder, secret = start_session(_client(), "fuzz-scenario", _SCENARIO_LEASE_S)
            _SECRETS[holder] = secret
        params["session_id"] = holder
        if operation_id not in _LEASE_ONLY:
            settle(_client(), _SECRETS)
    if operation_id in _SCANS and holder is not None:
        make_ready(_client(), holder, _SECRETS[holder])
    if operation_id == "start_acquisition" and isinstance(body, dict):
        fit_scan(body, _device())
    if operation_id == "autofocus" and isinstance(body, dict):
        fit_autofocus(body, _device())


def _write_tally() -> None:
    path = os.environ.get("SEMPHONY_FUZZ_TALLY")
    if path:
        rows = [[*key, count] for key, count in sorted(_TALLY.items())]
        with open(path, "w", encoding="utf-8") as out:
            json.dump(rows, out)


atexit.register(_write_tally)


def _phase(case: Any) -> str:
    meta = getattr(case, "meta", None)
    return str(meta.phase.name) if meta is not None else "unknown"


def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


_IMAGE_ID_TURN = itertools.cycle((True, False))


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers
    if headers is not None:
        key = headers.get("Idempotency-Key")
        # A schema-valid key is replaced; an invalid one is a negative case and stays.
        if isinstance(key, str) and _IDEMPOTENCY_KEY.fullmatch(key):
            headers["Idempotency-Key"] = uuid.uuid4().hex
    params = case.path_parameters or {}
    image_id = os.environ.get("SEMPHONY_FUZZ_IMAGE_ID")
    if image_id and "image_id" in params and _IMAGE_ID_TURN.__next__():
        params["image_id"] = image_id
    if _phase(case) == "stateful":
        _prepare_scenario_step(case, _operation_id(case), params)
    session_id = params.get("session_id")
    if session_id is None and "operation_id" in params and _SECRETS:
        session_id = next(reversed(_SECRETS))
    secret = _SECRETS.get(session_id) if isinstance(session_id, str) else None
    if secret is not None:
        if case.headers is None:
            case.headers = {}
        case.headers["Lease-Secret"] = secret


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    body: Any = None
    with contextlib.suppress(ValueError):  # not JSON (a TIFF): counted without a reason
        body = response.json()
    reason = body.get("reason") if isinstance(body, dict) else None
    key = (_phase(case), _operation_id(case), int(response.status_code), str(reason or ""))
    _TALLY[key] += 1
    trace = os.environ.get("SEMPHONY_FUZZ_TRACE")
    if trace:  # one line per call, to see what a scenario did (not set by `make fuzz`)
        with open(trace, "a", encoding="utf-8") as out:
            call = f"{case.path_parameters} {case.query} {str(case.body)[:200]}"
            out.write(f"{key} {call} -> {str(body)[:300]}\n")
    if response.status_code != 201:
        return
    if isinstance(body, dict) and isinstance(body.get("lease_secret"), str):
        _SECRETS[str(body["id"])] = body["lease_secret"]
