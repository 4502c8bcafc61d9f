"""Random command sequences through a guarded session: refused ones never reach the server.

A hypothesis `RuleBasedStateMachine` pumps, vents, switches the beam, changes the FOV, moves the
stage (`move_to` and `move_by`, small and large against the FOV, some outside the absolute limits)
and scans small frames through a session guarded by every built-in rule, against the simulator.
Before each command it reads the instrument state and predicts, by its own computation from the
seed's rules (not by asking `ImagingGuardrails`), whether the guardrails allow it. After each
command it reads the run's audit log from where it left off (`after_id`) with the generated
client, and checks that a refused command raised `SemphonyGuardrailException` and reached nothing,
and that an allowed one reached the server exactly once, with its parameters (the server may still
refuse it by its own interlocks or ranges; then the SDK raises `SemphonyApiError`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)
from semphony_api.api.runs import list_run_audit
from semphony_api.client import AuthenticatedClient
from semphony_api.models.audit_entry import AuditEntry
from semphony_api.models.audit_list import AuditList

from semphony.client import Semphony, SemphonyApiError, SemphonyGuardrailException
from semphony.guardrails import (
    ChamberBeamGuardrail,
    ImagingGuardrails,
    InstrumentState,
    StageAbsoluteLimits,
    StageRelativeLimits,
)
from semphony.models import AcquisitionConfig
from semphony.session import Run, Session

# Tight absolute limits (the device travels ±50 mm) so that allowed relative steps often leave them.
X_LIMITS_MM = (-0.5, 0.5)
Y_LIMITS_MM = (-0.4, 0.6)
R_LIMITS_DEG = (-12.0, 12.0)
XY_PCT = 200.0
R_MAX_DEG = 5.0

GUARDRAILS = ImagingGuardrails(
    chamber_beam=ChamberBeamGuardrail(),
    stage_absolute=StageAbsoluteLimits(x=X_LIMITS_MM, y=Y_LIMITS_MM, r=R_LIMITS_DEG),
    stage_relative=StageRelativeLimits(x_pct=XY_PCT, y_pct=XY_PCT, r_max_deg=R_MAX_DEG),
)

# The seed's rule as guardrails.py documents it: within one part in 10¹² of a bound is on it.
_TOLERANCE = 1e-12

# Entries the server writes on its own (an operation's end) or the SDK's heartbeat writes are not
# commands of the state machine.
_NOT_COMMANDS = frozenset({"session.heartbeat"})
_SERVER_ACTOR = "server"

# FOVs in µm: the device allows 1..10000; 20000 is allowed by the guardrails (they do not judge
# optics) and refused by the server, which must still have received it.
_FOVS_UM = st.one_of(
    st.sampled_from([1.0, 20.0, 100.0, 250.0, 1000.0, 4000.0, 20000.0]),
    st.floats(min_value=1.0, max_value=3000.0),
)
# A step as a multiple of the current FOV: |factor| <= 2 is within 200 %, beyond is refused.
# Each strategy repeats its likelier branches, so that about half the moves are allowed.
_FOV_FACTORS = st.one_of(
    st.none(),
    st.floats(min_value=-2.0, max_value=2.0),
    st.floats(min_value=-2.0, max_value=2.0),
    st.floats(min_value=-4.0, max_value=4.0),
    st.sampled_from([-2.0, 2.0, 2.0000001, -2.5]),
)
_FAR_TARGETS_MM = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.floats(min_value=-60.0, max_value=60.0),
    st.sampled_from([*X_LIMITS_MM, 0.0]),
)
_ROTATIONS_DEG = st.one_of(
    st.none(),
    st.none(),
    st.floats(min_value=-8.0, max_value=8.0),
    st.sampled_from([-5.0, 5.0, 5.5]),
)


def _within(value: float, lo: float, hi: float) -> bool:
    return lo - _TOLERANCE * max(1.0, abs(lo)) <= value <= hi + _TOLERANCE * max(1.0, abs(hi))


def _move_violations(
    state: InstrumentState, axes: dict[str, float], *, relative: bool
) -> list[str]:
    """The guardrail types a stage move breaks, computed from the seed's rules.

    `axes` maps "x"/"y" (mm) and "r" (degrees) to the value given: a target, or a step.
    """
    current = {"x": state.stage.x_mm, "y": state.stage.y_mm, "r": state.stage.r_deg}
    absolute = {"x": X_LIMITS_MM, "y": Y_LIMITS_MM, "r": R_LIMITS_DEG}
    # x/y: a percentage of the FOV (µm) against a travel in mm; r: degrees.
    fov_mm = state.fov_um / 1000.0
    most = {"x": XY_PCT * fov_mm / 100.0, "y": XY_PCT * fov_mm / 100.0, "r": R_MAX_DEG}
    names = {"x": "x_pct", "y": "y_pct", "r": "r_max_deg"}
    broken_absolute: list[str] = []
    broken_relative: list[str] = []
    for axis, value in axes.items():
        target = current[axis] + value if relative else value
        travel = abs(value if relative else value - current[axis])
        if not _within(target, *absolute[axis]):
            broken_absolute.append(f"stage_absolute.{axis}")
        if not _within(travel, 0.0, most[axis]):
            broken_relative.append(f"stage_relative.{names[axis]}")
    return broken_absolute + broken_relative


class _AuditReader:
    """Reads a run's audit log incrementally through the generated client."""

    def __init__(self, client: Semphony, run_id: str) -> None:
        server = client.local_server
        assert server is not None, "the state machine needs Semphony.local()"
        self._api = AuthenticatedClient(base_url=server.base_url, token=server.token)
        self._run_id = run_id
        self._after_id = 0

    def _fetch(self) -> list[AuditEntry]:
        response = list_run_audit.sync_detailed(
            self._run_id, client=self._api, after_id=self._after_id
        )
        assert response.status_code == 200, response.content
        assert isinstance(response.parsed, AuditList)
        return list(response.parsed.items)

    def new_commands(self) -> list[dict[str, Any]]:
        """The commands the server recorded since the last call (oldest first)."""
        entries = self._fetch()
        if entries:
            ids = [e.id for e in entries]
            assert ids == sorted(ids), ids
            assert ids[0] > self._after_id, (ids, self._after_id)
            self._after_id = ids[-1]
        return [
            e.to_dict()
            for e in entries
            if e.actor != _SERVER_ACTOR and e.action not in _NOT_COMMANDS
        ]

    def close(self) -> None:
        self._api.get_httpx_client().close()


def _jsonable(doc: dict[str, Any]) -> Any:
    """`doc` as it reads after a JSON round trip (tuples become lists)."""
    return json.loads(json.dumps(doc))


def _reset_instrument(run: Run) -> None:
    """The same starting point for every example (pumped, beam off, stage home, FOV 100 µm).

    The simulator outlives the examples; without this, hypothesis could not replay a failing
    example (it would start from wherever the previous one left the instrument).
    """
    with run.session(guardrails=ImagingGuardrails.none()).start() as setup:
        setup.beam.off()
        setup.chamber.pump()
        setup.optics.set(fov_um=100.0)
        setup.stage.move_to(x=0.0, y=0.0, r=0.0)


class GuardedSessionMachine(RuleBasedStateMachine):
    """One run, one instrument reset and one guarded session per example."""

    def __init__(self, client: Semphony) -> None:
        super().__init__()
        self.run: Run = client.runs.create(name="guardrail-state-machine")
        _reset_instrument(self.run)
        self.audit = _AuditReader(client, self.run.id)
        self.session: Session = self.run.session(guardrails=GUARDRAILS).start()
        self.audit.new_commands()  # the reset and session.start are not commands under test

    def teardown(self) -> None:
        try:
            self.session.close()
        finally:
            self.audit.close()

    # ------------------------------------------------------------------------------ checking

    def _issue(
        self,
        send: Callable[[], object],
        expected: list[str],
        action: str,
        params: dict[str, Any],
    ) -> None:
        """Send a command through the SDK and check its fate against the prediction.

        `expected` lists the guardrail types the command breaks (empty: allowed); `action` and
        `params` are what the audit log must show for an allowed command.
        """
        refused_by: SemphonyGuardrailException | None = None
        server_error: SemphonyApiError | None = None
        try:
            send()
        except SemphonyGuardrailException as exc:
            refused_by = exc
        except SemphonyApiError as exc:
            server_error = exc
        reached = self.audit.new_commands()
        if expected:
            assert refused_by is not None, (
                f"{action} {params} breaks {expected} but the SDK did not refuse it"
            )
            assert refused_by.guardrail_type in expected, (refused_by.guardrail_type, expected)
            assert reached == [], f"a command the guardrails refused reached the server: {reached}"
            return
        assert refused_by is None, f"{action} {params} is allowed but was refused: {refused_by}"
        assert len(reached) == 1, f"{action} {params} should reach the server once: {reached}"
        (entry,) = reached
        assert entry["action"] == action, entry
        assert entry["params"] == _jsonable(params), entry
        assert entry["session_id"] == self.session.id, entry
        if server_error is None:
            assert entry["outcome"] in ("accepted", "succeeded"), entry
        else:
            # Refused by the server's own interlocks or ranges, or an operation that failed.
            assert entry["outcome"] in ("accepted", "refused", "failed"), entry
            if entry["outcome"] != "accepted":
                assert entry["status_code"] == server_error.status_code, (entry, server_error)

    def _state(self) -> InstrumentState:
        return self.session.state()

    # ----------------------------------------------------------------------------------- rules

    @initialize(start=st.sampled_from(["pumped", "beam_on", "vented"]))
    def choose_the_starting_state(self, start: str) -> None:
        # Through the same checks: short runs then also reach the states where beam-on, scans
        # and vents are judged.
        if start == "beam_on":
            self.beam(True)
        elif start == "vented":
            self.vent()

    @rule()
    def pump(self) -> None:
        self._issue(self.session.chamber.pump, [], "chamber.pump", {})

    @rule()
    def vent(self) -> None:
        state = self._state()
        expected = ["chamber_beam.require_beam_off_for_vent"] if state.beam_on else []
        self._issue(self.session.chamber.vent, expected, "chamber.vent", {})

    @rule(on=st.booleans())
    def beam(self, on: bool) -> None:
        state = self._state()
        expected = ["chamber_beam.require_vacuum_for_beam"] if on and not state.pumped else []
        send = self.session.beam.on if on else self.session.beam.off
        self._issue(send, expected, "beam.set", {"on": on})

    @rule(fov_um=_FOVS_UM)
    def set_fov(self, fov_um: float) -> None:
        self._issue(
            lambda: self.session.optics.set(fov_um=fov_um), [], "optics.set", {"fov_um": fov_um}
        )

    @rule(fx=_FOV_FACTORS, fy=_FOV_FACTORS, r_deg=_ROTATIONS_DEG)
    def move_by(self, fx: float | None, fy: float | None, r_deg: float | None) -> None:
        state = self._state()
        fov_mm = state.fov_um / 1000.0
        steps = {"x": None if fx is None else fx * fov_mm, "y": None if fy is None else fy * fov_mm}
        axes = {a: v for a, v in {**steps, "r": r_deg}.items() if v is not None}
        if not axes:
            axes = {"x": 0.0}
        self._move(state, axes, relative=True)

    @rule(fx=_FOV_FACTORS, fy=_FOV_FACTORS, far_x=_FAR_TARGETS_MM, r_deg=_ROTATIONS_DEG)
    def move_to(
        self, fx: float | None, fy: float | None, far_x: float | None, r_deg: float | None
    ) -> None:
        state = self._state()
        fov_mm = state.fov_um / 1000.0
        near_x = None if fx is None else state.stage.x_mm + fx * fov_mm
        targets: dict[str, float | None] = {
            # Near the current position (a multiple of the FOV away), or anywhere on the stage.
            "x": far_x if far_x is not None else near_x,
            "y": None if fy is None else state.stage.y_mm + fy * fov_mm,
            "r": None if r_deg is None else state.stage.r_deg + r_deg,
        }
        axes = {a: v for a, v in targets.items() if v is not None}
        if not axes:
            axes = {"y": state.stage.y_mm}
        self._move(state, axes, relative=False)

    def _move(self, state: InstrumentState, axes: dict[str, float], *, relative: bool) -> None:
        expected = _move_violations(state, axes, relative=relative)
        kwargs = {"x": axes.get("x"), "y": axes.get("y"), "r": axes.get("r")}
        stage = self.session.stage
        send = (lambda: stage.move_by(**kwargs)) if relative else (lambda: stage.move_to(**kwargs))
        wire = {"x": "x_mm", "y": "y_mm", "r": "r_deg"}
        params: dict[str, Any] = {wire[a]: v for a, v in axes.items()} | {"relative": relative}
        self._issue(send, expected, "stage.move", params)

    @rule(width=st.sampled_from([16, 48, 64]), height=st.sampled_from([16, 64]))
    def acquire(self, width: int, height: int) -> None:
        state = self._state()
        expected = [] if state.beam_on else ["chamber_beam.require_beam_on_for_scan"]
        config = AcquisitionConfig(resolution=(width, height), scan_speed_index=0)
        self._issue(
            lambda: self.session.imaging.acquire(config),
            expected,
            "acquisition.start",
            config.to_dict(),
        )


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    local = Semphony.local(seed=11)
    try:
        yield local
    finally:
        local.close()


def _run(client: Semphony, *, examples: int, steps: int) -> None:
    class Machine(GuardedSessionMachine):
        def __init__(self) -> None:
            super().__init__(client)

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_no_refused_command_reaches_the_server_and_every_allowed_one_does(
    client: Semphony,
) -> None:
    _run(client, examples=8, steps=15)


@pytest.mark.slow
def test_long_random_sessions_never_let_a_refused_command_through(client: Semphony) -> None:
    _run(client, examples=20, steps=25)
