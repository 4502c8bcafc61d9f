"""The `control` benchmark's bookkeeping: samples per call, long-poll delays, and the table rows.

Pure functions and plain records only (no I/O, no clock), so the test suite checks them on
synthetic samples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "COLUMNS",
    "TARGET_CONTROL_P99_MS",
    "TARGET_FIRST_ANSWER_MS",
    "TARGET_LAST_ANSWER_MS",
    "CallSamples",
    "EndDelay",
    "LongPollAnswer",
    "call_row",
    "end_delays",
    "longpoll_rows",
    "percentile",
    "ratio",
]

TARGET_CONTROL_P99_MS = 100.0
TARGET_FIRST_ANSWER_MS = 20.0
TARGET_LAST_ANSWER_MS = 250.0

COLUMNS = [
    "phase",
    "measure",
    "idle p50 ms",
    "idle p99 ms",
    "load p50 ms",
    "load p99 ms",
    "ratio p50",
    "ratio p99",
    "idle ok/ref/fail",
    "load ok/ref/fail",
    "target p99",
    "met",
]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0-100, linear interpolation between ranks); None for no values."""
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q={q!r} must be within [0, 100]")
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def ratio(loaded: float | None, unloaded: float | None) -> float | None:
    """loaded / unloaded, or None when either is missing or the baseline is not positive."""
    if loaded is None or unloaded is None or unloaded <= 0.0:
        return None
    return loaded / unloaded


@dataclass
class CallSamples:
    """What happened to each measured call of one kind in one block.

    Only `ok` calls are latency samples. `refused` counts answers that are not 2xx, by reason;
    `timeouts` and `errors` are calls with no answer in time or no connection; `ineffective` are
    2xx answers whose effect could not be read back (a cancel after which the operation still ran,
    or that reached the server only after the operation had ended on its own); `void` are calls
    sent when their operation had already ended, neither a success nor a failure of the call.
    """

    ok_ms: list[float] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    errors: int = 0
    ineffective: int = 0
    void: int = 0
    setup_failures: int = 0  # not tried: the scene could not be set up
    unverified: int = 0  # tried although the scene could not be read back first

    @property
    def failed(self) -> int:
        """Calls that got no usable answer: timeouts, errors and ineffective answers."""
        return self.timeouts + self.errors + self.ineffective

    @property
    def attempts(self) -> int:
        """Calls that count towards the sample budget (void ones do not)."""
        return len(self.ok_ms) + sum(self.refused.values()) + self.failed

    def p50(self) -> float | None:
        """Median latency of the successful calls, ms."""
        return percentile(self.ok_ms, 50.0)

    def p99(self) -> float | None:
        """99th-percentile latency of the successful calls, ms."""
        return percentile(self.ok_ms, 99.0)

    def counts(self) -> str:
        """`ok/refused/failed`, for the table."""
        return f"{len(self.ok_ms)}/{sum(self.refused.values())}/{self.failed}"

    def details(self) -> dict[str, Any]:
        """Every count and figure, for the JSON."""
        return {
            "ok": len(self.ok_ms),
            "p50_ms": _rounded(self.p50()),
            "p99_ms": _rounded(self.p99()),
            "max_ms": _rounded(max(self.ok_ms) if self.ok_ms else None),
            "refused": dict(self.refused),
            "timeouts": self.timeouts,
            "errors": self.errors,
            "ineffective": self.ineffective,
            "void": self.void,
            "setup_failures": self.setup_failures,
            "unverified": self.unverified,
        }

    def meets(self, target_ms: float) -> bool:
        """Met: at least one success, p99 within target, and no refusal or failure at all."""
        p99 = self.p99()
        return p99 is not None and p99 <= target_ms and self.attempts == len(self.ok_ms)


def call_row(
    phase: str, call: str, unloaded: CallSamples, loaded: CallSamples, target_ms: float
) -> list[object]:
    """One table row: a control call without and with the load."""
    u50, u99, l50, l99 = unloaded.p50(), unloaded.p99(), loaded.p50(), loaded.p99()
    return [
        phase,
        call,
        _rounded(u50),
        _rounded(u99),
        _rounded(l50),
        _rounded(l99),
        _rounded(ratio(l50, u50), 2),
        _rounded(ratio(l99, u99), 2),
        unloaded.counts(),
        loaded.counts(),
        f"<= {target_ms:g} ms",
        loaded.meets(target_ms),
    ]


@dataclass(frozen=True)
class LongPollAnswer:
    """A long-poller's first answer showing its operation terminal (times: epoch seconds)."""

    poller: str
    operation_id: str
    sent_at: float
    received_at: float


@dataclass(frozen=True)
class EndDelay:
    """How the long-polls answered one operation's end (ms after `ended_at`; None: no answer)."""

    operation_id: str
    ended_at: float
    answered: int
    pollers: int
    late_requests: int  # answers to requests sent after the end (not waiting when it ended)
    first_ms: float | None
    last_ms: float | None

    @property
    def complete(self) -> bool:
        """Every poller answered."""
        return self.answered == self.pollers


def end_delays(
    ends: Mapping[str, float], answers: Iterable[LongPollAnswer], pollers: int
) -> list[EndDelay]:
    """Per operation end (id -> end time), the delay to the first and to the last answer.

    `last_ms` is the delay to the last of the `pollers` answers only when every poller answered;
    a missing answer leaves it None (all of them did not answer in time).
    """
    by_op: dict[str, list[LongPollAnswer]] = {}
    for answer in answers:
        by_op.setdefault(answer.operation_id, []).append(answer)
    delays: list[EndDelay] = []
    for op_id, ended_at in sorted(ends.items(), key=lambda item: item[1]):
        got: dict[str, LongPollAnswer] = {}
        for a in by_op.get(op_id, []):  # a poller's first answer counts
            if a.poller not in got or a.received_at < got[a.poller].received_at:
                got[a.poller] = a
        times = sorted((a.received_at - ended_at) * 1e3 for a in got.values())
        answered = len(got)
        delays.append(
            EndDelay(
                operation_id=op_id,
                ended_at=ended_at,
                answered=answered,
                pollers=pollers,
                late_requests=sum(1 for a in got.values() if a.sent_at > ended_at),
                first_ms=times[0] if times else None,
                last_ms=times[-1] if times and answered >= pollers else None,
            )
        )
    return delays


def longpoll_rows(phase: str, delays: Sequence[EndDelay], pollers: int) -> list[list[object]]:
    """Two rows: the delay to the first and to the last long-poll answer, over the ends seen."""
    rows: list[list[object]] = []
    complete = sum(1 for d in delays if d.complete)
    for label, values, target in (
        ("long-poll first answer", [d.first_ms for d in delays], TARGET_FIRST_ANSWER_MS),
        (f"long-poll last of {pollers}", [d.last_ms for d in delays], TARGET_LAST_ANSWER_MS),
    ):
        known = [v for v in values if v is not None]
        p50, p99 = percentile(known, 50.0), percentile(known, 99.0)
        missing = len(values) - len(known)
        met = bool(delays) and missing == 0 and p99 is not None and p99 <= target
        rows.append(
            [
                phase,
                label,
                None,
                None,
                _rounded(p50),
                _rounded(p99),
                None,
                None,
                "",
                f"{len(delays)} ends, {complete} full",
                f"<= {target:g} ms",
                met,
            ]
        )
    return rows


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
