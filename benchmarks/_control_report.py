"""The `control` benchmark's report: table rows, notes and JSON details of each phase."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks._control_scene import Phase
from benchmarks._control_table import (
    TARGET_CONTROL_P99_MS,
    CallSamples,
    EndDelay,
    call_row,
    longpoll_rows,
    percentile,
)

__all__ = ["PhaseResult", "load_summary", "phase_details", "phase_note", "phase_rows"]


@dataclass
class PhaseResult:
    """What one phase measured: both blocks, the long-poll delays, the load's own report."""

    phase: Phase
    unloaded: dict[str, CallSamples]
    loaded: dict[str, CallSamples]
    delays: list[EndDelay]
    pollers: int
    load: list[dict[str, Any]]
    walls_s: dict[str, float]
    setup_errors: dict[str, int]
    started_ops: int
    skipped: str | None = None
    server_threads: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    def empty(cls, phase: Phase, pollers: int) -> PhaseResult:
        """A phase with nothing measured yet."""
        return cls(phase, {}, {}, [], pollers, [], {}, {}, 0)


def phase_rows(result: PhaseResult) -> list[list[object]]:
    """The phase's table rows: one a control call, two for the long-polls."""
    name = result.phase.name
    if result.skipped is not None:
        return [[name, f"(skipped: {result.skipped})", *[None] * 9, False]]
    rows = [
        call_row(
            name,
            call,
            result.unloaded.get(call, CallSamples()),
            result.loaded.get(call, CallSamples()),
            TARGET_CONTROL_P99_MS,
        )
        for call in result.phase.calls
    ]
    return rows + longpoll_rows(name, result.delays, result.pollers)


def load_summary(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per role: threads, requests answered, refusals, timeouts, errors, rate and latency."""
    out: dict[str, dict[str, Any]] = {}
    for report in reports:
        role = out.setdefault(
            report["role"],
            {"threads": 0, "ok": 0, "timeouts": 0, "errors": 0, "bytes": 0, "refused": {}},
        )
        for key in ("threads", "ok", "timeouts", "errors", "bytes"):
            role[key] += report[key]
        role.setdefault("latencies_ms", []).extend(report["latencies_ms"])
        role.setdefault("elapsed_s", []).append(report["elapsed_s"])
        role["returns"] = role.get("returns", 0) + report["returns"]
        role["inflight_over_1s"] = role.get("inflight_over_1s", 0) + report["inflight_over_1s"]
        oldest = [role.get("oldest_inflight_s"), report["oldest_inflight_s"]]
        role["oldest_inflight_s"] = max((o for o in oldest if o is not None), default=None)
        for reason, n in report["refused"].items():
            role["refused"][reason] = role["refused"].get(reason, 0) + n
    for role in out.values():
        latencies = role.pop("latencies_ms")
        elapsed = max(role.pop("elapsed_s"))
        role["elapsed_s"] = round(elapsed, 1)
        role["per_s"] = round(role["ok"] / elapsed, 1) if elapsed > 0 else None
        role["mb_per_s"] = round(role["bytes"] / 1e6 / elapsed, 1) if elapsed > 0 else None
        p50, p99 = percentile(latencies, 50.0), percentile(latencies, 99.0)
        role["p50_ms"] = None if p50 is None else round(p50, 1)
        role["p99_ms"] = None if p99 is None else round(p99, 1)
    return out


def phase_details(result: PhaseResult) -> dict[str, Any]:
    """Every count and figure of the phase, for the JSON."""
    return {
        "skipped": result.skipped,
        "walls_s": {k: round(v, 1) for k, v in result.walls_s.items()},
        "unloaded": {call: s.details() for call, s in result.unloaded.items()},
        "loaded": {call: s.details() for call, s in result.loaded.items()},
        "operations_started": result.started_ops,
        "server_threads": result.server_threads,
        "setup_errors": result.setup_errors,
        "load": load_summary(result.load),
        "ends": [
            {
                "operation_id": d.operation_id,
                "answered": d.answered,
                "late_requests": d.late_requests,
                "first_ms": None if d.first_ms is None else round(d.first_ms, 1),
                "last_ms": None if d.last_ms is None else round(d.last_ms, 1),
            }
            for d in result.delays
        ],
    }


def phase_note(result: PhaseResult) -> str:
    """One paragraph on the phase: the load achieved, refusals, set-up failures."""
    if result.skipped is not None:
        return f"{result.phase.name}: skipped ({result.skipped})."
    load = load_summary(result.load)
    threads = ", ".join(f"{k} {v}" for k, v in result.server_threads.items())
    parts = [
        f"{result.phase.name}: loaded block {result.walls_s.get('loaded', 0.0):.0f} s",
        f"server threads {threads}",
    ]
    state, download = load.get("state", {}), load.get("download", {})
    longpoll = load.get("longpoll")
    parts.append(
        f"state polls {state.get('per_s')}/s (p50 {state.get('p50_ms')} ms, p99 "
        f"{state.get('p99_ms')} ms, {state.get('timeouts', 0)} timeouts, "
        f"{state.get('inflight_over_1s', 0)} still waiting > 1 s at the stop)"
    )
    parts.append(
        f"downloads {download.get('mb_per_s')} MB/s ({download.get('ok', 0)} whole, "
        f"{download.get('inflight_over_1s', 0)} still waiting > 1 s at the stop)"
    )
    if longpoll is not None:
        parts.append(
            f"long-polls: {longpoll['ok']} answers ({longpoll['returns']} ran out their 30 s), "
            f"{longpoll['timeouts']} timeouts, {longpoll['errors']} errors, refused "
            f"{longpoll['refused'] or 'none'}"
        )
    late = sum(d.late_requests for d in result.delays)
    parts.append(f"{late} answers to polls sent after the end")
    refusals = {
        f"{phase} {call}": dict(s.refused)
        for phase, block in (("unloaded", result.unloaded), ("loaded", result.loaded))
        for call, s in block.items()
        if s.refused
    }
    if refusals:
        parts.append(f"refusals {refusals}")
    voids = {call: s.void for call, s in result.loaded.items() if s.void}
    if voids:
        parts.append(f"void (operation ended before the call was sent) {voids}")
    unverified = {call: s.unverified for call, s in result.loaded.items() if s.unverified}
    if unverified:
        parts.append(f"tried without reading the scene back {unverified}")
    skipped = {call: s.setup_failures for call, s in result.loaded.items() if s.setup_failures}
    if skipped:
        parts.append(f"not tried, scene not set up {skipped}")
    if result.setup_errors:
        parts.append(f"scene set-up failures {result.setup_errors}")
    return "; ".join(parts) + "."
