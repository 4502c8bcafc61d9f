"""The measuring side of the `control` benchmark: the scene each call needs, and the timed calls.

One `Scene` holds the session and the running operation of a phase (a pump, or a scan with the
beam on). Before each sample, outside the timed region, `prepare()` reads the state and sets the
scene up again: a session holding the lease, the beam on for a scan, and an operation of the
phase's kind running (a new one started when the last was cancelled or ended). `measure()` times
one control call on its own keep-alive connection and reads its effect back.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from benchmarks._control_load import TERMINAL
from benchmarks._control_table import CallSamples

__all__ = [
    "PUMP",
    "SCAN",
    "SCAN_CONFIG",
    "Measured",
    "Phase",
    "Scene",
    "SetupError",
    "epoch_s",
    "run_block",
]

# 1024 lines of 1024 px at 8 µs: 8.45 s a frame in real time, stoppable every 16 lines (0.13 s).
SCAN_CONFIG: dict[str, Any] = {"resolution": [1024, 1024], "dwell_time_us": 8.0, "bit_depth": 8}
LEASE_S = 600.0  # the contract's longest: the benchmark measures latency, not lease loss
_END_WAIT_S = 10.0  # after a cancel, beam off or stop: how long the operation may take to end
# The scene is trusted without a state read until the operation has run this share of its length.
_TRUSTED_SHARE = 0.7


@dataclass(frozen=True)
class Phase:
    """Which operation runs during a phase and which control calls are measured against it."""

    name: str
    kind: str
    calls: tuple[str, ...]
    start_path: str
    start_body: dict[str, Any] | None
    needs_beam: bool
    lasts_s: float  # how long the operation runs if nothing stops it


# Beam off is not measured during the pump: the beam cannot be on before the chamber is pumped.
PUMP = Phase(
    "pump", "pump", ("cancel", "heartbeat", "stop", "health"), "chamber/pump", None, False, 180.0
)
SCAN = Phase(
    "scan",
    "acquisition",
    ("cancel", "heartbeat", "beam off", "stop", "health"),
    "acquisitions",
    SCAN_CONFIG,
    True,
    1024 * (1024 * 8e-6 + 50e-6),
)
# The calls that act on the running operation: not tried unless it is known to run.
_NEEDS_OPERATION = frozenset({"cancel", "beam off", "stop"})
# The calls after which the phase's operation must have ended (stop ends a scan, not a pump).
_ENDING = {"pump": {"cancel"}, "scan": {"cancel", "beam off", "stop"}}


class SetupError(Exception):
    """The scene could not be set up for the next sample (the message says which step)."""


def epoch_s(stamp: str) -> float:
    """An RFC 3339 time stamp as epoch seconds (the clock `time.time()` reads)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    reason = body.get("reason") if isinstance(body, dict) else None
    return f"{response.status_code} {reason}" if reason else str(response.status_code)


class Scene:
    """A phase's session and running operation on one server, and the timed control calls."""

    def __init__(
        self,
        url: str,
        token: str,
        phase: Phase,
        run_id: str,
        *,
        call_timeout_s: float,
        setup_timeout_s: float,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._setup_timeout_s = setup_timeout_s
        self._setup = httpx.Client(
            base_url=url, headers=headers, timeout=setup_timeout_s, limits=one
        )
        self._timed = httpx.Client(
            base_url=url, headers=headers, timeout=call_timeout_s, limits=one
        )
        self.phase = phase
        self.run_id = run_id
        self.session_id: str | None = None
        self.op_id: str | None = None
        self.ends: dict[str, float] = {}  # announced operation -> its end (server's updated_at)
        self.started_ops = 0
        self._announce: Callable[[str], None] | None = None
        self._settle_s = 0.0
        self._announced: set[str] = set()
        self.setup_errors: Counter[str] = Counter()  # why prepare() failed, for the notes
        # Until then (monotonic) the scene is as the last prepare() left it: no state read needed,
        # so a starved server's slow reads do not keep the control calls from being tried at all.
        self._trusted_until = 0.0

    def close(self) -> None:
        """Close both connections."""
        self._setup.close()
        self._timed.close()

    def watch(self, announce: Callable[[str], None] | None, settle_s: float = 0.0) -> None:
        """Name every new operation to `announce` (the long-pollers), then wait `settle_s`."""
        self._announce = announce
        self._settle_s = settle_s
        if announce is not None and self.op_id is not None:
            self._name(self.op_id)

    # --------------------------------------------------------------------------- the scene

    def prepare(self) -> None:
        """Set the scene up for the next sample; raises SetupError naming the failed step.

        Reads the state only when the scene may have changed: after a call that ends the
        operation or did not succeed, and once the operation may be near its natural end.
        """
        if time.monotonic() < self._trusted_until:
            return
        state = self._json("GET", "/v1/state", step="read the state")
        lease = state.get("lease") or {}
        if self.session_id is None or lease.get("session_id") != self.session_id:
            self.start_session()
        active = state.get("active_operation_id")
        if self.op_id is not None and active != self.op_id:
            self._note_end(self.op_id, wait_s=0.0)
            self.op_id = None
        if active is not None and self.op_id is None:
            # An operation we did not start here (a stale request landed late): use it if it is
            # of the phase's kind, else stop it and try again.
            op = self._json("GET", f"/v1/operations/{active}", step="read the active operation")
            if op.get("kind") != self.phase.kind:
                self._json("DELETE", f"/v1/operations/{active}", step="cancel a foreign operation")
                raise SetupError(f"a {op.get('kind')} operation was running; cancelled it")
            self.op_id = str(active)
            self._name(self.op_id)
            self._trust(op)
        if self.op_id is None:
            if self.phase.needs_beam and not state.get("beam_on"):
                path = f"/v1/sessions/{self.session_id}/beam"
                self._json("POST", path, body={"on": True}, step="switch the beam on")
            self._start_operation()

    def _trust(self, op: dict[str, Any]) -> None:
        age_s = time.time() - epoch_s(str(op["created_at"]))
        left_s = max(0.0, _TRUSTED_SHARE * self.phase.lasts_s - age_s)
        self._trusted_until = time.monotonic() + left_s

    def start_session(self) -> None:
        """Take the lease with a new session (the old one, if any, is gone)."""
        body = {"holder": "control-benchmark", "lease_s": LEASE_S}
        session = self._json(
            "POST", f"/v1/runs/{self.run_id}/sessions", body=body, step="start a session"
        )
        self.session_id = str(session["id"])
        # Every command of the session carries its lease secret (API 2.0).
        for client in (self._setup, self._timed):
            client.headers["Lease-Secret"] = str(session["lease_secret"])

    def _start_operation(self) -> None:
        path = f"/v1/sessions/{self.session_id}/{self.phase.start_path}"
        op = self._json("POST", path, body=self.phase.start_body, step=f"start a {self.phase.kind}")
        if op.get("status") in TERMINAL:
            raise SetupError(f"the new {self.phase.kind} ended at once ({op.get('status')})")
        self.op_id = str(op["id"])
        self.started_ops += 1
        self._name(self.op_id)
        self._trust(op)

    def _name(self, op_id: str) -> None:
        if self._announce is None or op_id in self._announced:
            return
        self._announced.add(op_id)
        self._announce(op_id)
        time.sleep(self._settle_s)  # let every long-poll reach the server before a sample

    def _note_end(self, op_id: str, *, wait_s: float) -> dict[str, Any] | None:
        """The operation's record once terminal (waiting up to `wait_s`), else None."""
        try:
            op = self._json(
                "GET",
                f"/v1/operations/{op_id}",
                params={"wait_s": wait_s},
                step="read an end",
                extra_timeout_s=wait_s,
            )
        except SetupError:
            return None
        if op.get("status") not in TERMINAL:
            return None
        if op_id in self._announced:
            self.ends[op_id] = epoch_s(str(op["updated_at"]))
        return op

    def final_check(self, timeout_s: float = 2.0) -> None:
        """Record the end of the current operation if it has ended (after a block)."""
        if self.op_id is None:
            return
        try:
            response = self._setup.get(f"/v1/operations/{self.op_id}", timeout=timeout_s)
            op = response.json() if response.is_success else {}
        except (httpx.HTTPError, ValueError):
            return
        if op.get("status") in TERMINAL and self.op_id in self._announced:
            self.ends[self.op_id] = epoch_s(str(op["updated_at"]))
            self.op_id = None

    def _json(
        self,
        method: str,
        path: str,
        *,
        step: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        extra_timeout_s: float = 0.0,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else None
        timeout = self._setup_timeout_s + extra_timeout_s
        try:
            response = self._setup.request(
                method, path, json=body, params=params, headers=headers, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise SetupError(f"{step}: {type(exc).__name__}") from exc
        if not response.is_success:
            raise SetupError(f"{step}: {_reason(response)}")
        document = response.json()
        if not isinstance(document, dict):
            raise SetupError(f"{step}: the answer is not a JSON object")
        return document

    # ------------------------------------------------------------------------- the samples

    def _request(self, call: str) -> tuple[str, str, dict[str, Any] | None]:
        session = f"/v1/sessions/{self.session_id}"
        return {
            "cancel": ("DELETE", f"/v1/operations/{self.op_id}", None),
            "heartbeat": ("POST", f"{session}/heartbeat", None),
            "beam off": ("POST", f"{session}/beam", {"on": False}),
            "stop": ("POST", f"{session}/stop", None),
            "health": ("GET", "/v1/health", None),
        }[call]

    def measure(self, call: str, samples: CallSamples) -> None:
        """Time one `call` (the scene prepared) and file it in `samples`."""
        method, path, body = self._request(call)
        # As the SDK does: a fresh Idempotency-Key on every POST.
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else None
        op_id = self.op_id
        # A call that may end the operation (even one that timed out: the server may still act
        # on it later) leaves the scene unknown; the others leave it as it was, unless refused
        # for want of the lease.
        ending = call in _ENDING[self.phase.name]
        trusted, self._trusted_until = self._trusted_until, 0.0
        if not ending:
            self._trusted_until = trusted
        sent_at = time.time()
        start = time.perf_counter()
        try:
            response = self._timed.request(method, path, json=body, headers=headers)
            elapsed_ms = (time.perf_counter() - start) * 1e3
        except httpx.TimeoutException:
            samples.timeouts += 1
            return
        except httpx.HTTPError:
            samples.errors += 1
            return
        if not response.is_success:
            reason = _reason(response)
            samples.refused[reason] += 1
            if "lease" in reason or response.status_code in (401, 403, 404):
                self._trusted_until = 0.0
            return
        verdict = self._verify(call, response, op_id, sent_at)
        if verdict == "ok":
            samples.ok_ms.append(elapsed_ms)
        elif verdict == "void":
            samples.void += 1
        else:
            samples.ineffective += 1

    def _verify(
        self, call: str, response: httpx.Response, op_id: str | None, sent_at: float
    ) -> str:
        """Whether the call did what it says: ok, void (nothing left to stop) or ineffective."""
        try:
            answer = response.json()
        except ValueError:
            return "ineffective"
        if call in _ENDING[self.phase.name] and op_id is not None:
            final = answer if call == "cancel" and answer.get("status") in TERMINAL else None
            if final is None:
                final = self._note_end(op_id, wait_s=_END_WAIT_S)
            elif op_id in self._announced:
                self.ends[op_id] = epoch_s(str(final["updated_at"]))
            if final is None:
                return "ineffective"  # still running well after the call was answered
            self.op_id = None
            if call == "beam off":
                return "ok" if answer.get("beam_on") is False else "ineffective"
            if epoch_s(str(final["updated_at"])) < sent_at:
                return "void"  # it had ended before the call was sent: nothing to stop
            # Ended on its own after the call was sent: the call came too late to act.
            return "ok" if final.get("status") == "cancelled" else "ineffective"
        if call == "heartbeat":
            return "ok" if answer.get("status") == "active" else "ineffective"
        return "ok"


class Measured(Protocol):
    """What `run_block` needs of a scene (a `Scene`, or a stand-in in the tests)."""

    phase: Phase
    setup_errors: Counter[str]

    def prepare(self) -> None: ...

    def measure(self, call: str, samples: CallSamples) -> None: ...


def run_block(
    scene: Measured, *, samples_per_call: int, budget_s: float
) -> tuple[dict[str, CallSamples], float]:
    """Samples of every call of the scene's phase, in turn, until done or out of time.

    Returns the samples and the wall time the block took.
    """
    calls = scene.phase.calls
    samples = {call: CallSamples() for call in calls}
    started = time.monotonic()
    deadline = started + budget_s
    for call in itertools.cycle(calls):
        if time.monotonic() >= deadline:
            break
        if all(samples[c].attempts >= samples_per_call for c in calls):
            break
        if samples[call].attempts >= samples_per_call:
            continue
        try:
            scene.prepare()
        except SetupError as exc:
            scene.setup_errors[str(exc)] += 1
            if call in _NEEDS_OPERATION:
                samples[call].setup_failures += 1
                time.sleep(0.2)
                continue
            samples[call].unverified += 1  # heartbeat and health need only the session
        scene.measure(call, samples[call])
    return samples, time.monotonic() - started
