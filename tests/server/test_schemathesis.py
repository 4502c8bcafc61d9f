"""The served control server against its contract, `openapi/semphony.yaml`, with schemathesis.

Two phases, both against one real server per module (uvicorn in a thread on a free loopback port,
a temporary data dir, `realtime` 0): stateless, every operation with positive and negative data,
and stateful, chains that follow the contract's links (create_run -> start_session -> commands ->
get_operation -> download_artifact ...). Every response must conform to the contract (status
code, content type, body schema, headers) and none may be a 5xx.

schemathesis' in-process ASGI mode opens a fresh client per call and so resets the lifespan state
(DESIGN.md, known pitfalls); that is why the app is served over a real socket and reached by URL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import StepInput

from semphony.server.drivers import DeviceInfo
from semphony.server.drivers.sim import SimDriver
from tests.server.conftest import OPERATOR_TOKEN, Served, make_settings, serve_in_thread

Case: TypeAlias = schemathesis.Case[Any]

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "semphony.yaml"

# A fixed seed keeps a failure reproducible from one run to the next.
_SEED = 20240611

# No operation is exempt from `positive_data_acceptance`: a schema-valid value beyond what the
# device can do (stage travel, optics, frame sizes, the dwell table, detectors: published by
# /v1/device, not in the contract) is a 409 `range.*`, a conflict with this instrument, which the
# check accepts like every state-dependent answer (401/403/404/409/429); a 422 is only for what
# breaks the contract itself.
_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
]


def _config(max_examples: int) -> SchemathesisConfig:
    checks: dict[str, Any] = {name: {"enabled": True} for name in _CHECKS}
    # Stateful extras: `use_after_free` expects a DELETEd resource to be gone, but the contract
    # says cancelling an operation is not deleting it (it stays readable) and an ended session
    # stays an ended session; every other check applies.
    stateful_checks = {**checks, "use_after_free": {"enabled": False}}
    return SchemathesisConfig.from_dict(
        {
            "seed": _SEED,
            "cache": {"enabled": False},  # no `.schemathesis/` left in the working tree
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "auth": {"openapi": {"bearerAuth": {"bearer": OPERATOR_TOKEN}}},
            "request-timeout": 30,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
            },
            "checks": checks,
            "phases": {
                # Negative data is the stateless phase's business; scenarios go deep with valid
                # calls.
                "stateful": {
                    "checks": stateful_checks,
                    "generation": {"mode": "positive"},
                },
            },
        }
    )


SCHEMA = schemathesis.openapi.from_path(CONTRACT, config=_config(20))
LONG_SCHEMA = schemathesis.openapi.from_path(CONTRACT, config=_config(75))


def problem_documents_carry_a_reason(ctx: CheckContext, response: Response, case: Case) -> None:
    """Every error answer is a problem document with a machine-readable `reason`."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), (
        f"{response.status_code} answered {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert body.get("status") == response.status_code, f"problem status {body.get('status')}"
    assert isinstance(body.get("reason"), str), f"problem without a reason: {body}"


# ------------------------------------------------------------------------------------ the server


class _SmallFrameSim(SimDriver):
    """The simulator, publishing a frame limit of 512 px so that fuzzed scans stay cheap.

    Frame sizes are a device limit (the contract only bounds them at 65536): a fuzzer drawing the
    largest frame the stock simulator allows (16384², 512 MiB at 16 bit) would spend the time box
    rendering instead of testing. Values above the published limit are refused with 409
    `range.acquisition`, which is exactly what the stock simulator does above its own limit.
    """

    def _do_device_info(self) -> DeviceInfo:
        info = super()._do_device_info()
        limits = dataclasses.replace(info.limits, resolution=(16, 512))
        return dataclasses.replace(info, limits=limits, default_resolution=(128, 128))


_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_IMAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")
# Headers that frame the HTTP message itself: a fuzzed value makes the request malformed, and
# uvicorn answers 400 text/plain before the app sees it. That is the HTTP layer, not the API.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "host", "connection"})


def _valid_id(name: str, value: object) -> bool:
    if not isinstance(value, str):
        return False
    if name == "image_id":
        return bool(_IMAGE_ID.fullmatch(value))
    if name == "name":
        return bool(_SLUG.fullmatch(value))
    return 1 <= len(value) <= 128


# Lease secrets by session id, learned from every session start seen (ours and the fuzzer's):
# with it a case reaches the command's behaviour instead of a 403 `lease.not_holder`.
_SECRETS: dict[str, str] = {}


def _secret_headers(session_id: str | None) -> dict[str, str]:
    secret = _SECRETS.get(session_id or "")
    return {"Lease-Secret": secret} if secret else {}


def _give_secret(case: Case) -> None:
    """Send the known lease secret of the case's session (the newest session's for a cancel)."""
    params = case.path_parameters or {}
    session_id = params.get("session_id")
    if session_id is None and "operation_id" in params and _SECRETS:
        session_id = next(reversed(_SECRETS))
    headers = _secret_headers(session_id if isinstance(session_id, str) else None)
    case.headers.update(headers)


@dataclass
class _KnownIds:
    """The ids the server handed out, newest last, by the path parameter that takes them."""

    ids: dict[str, list[str]] = field(
        default_factory=lambda: {
            name: [] for name in ("run_id", "session_id", "operation_id", "image_id", "name")
        }
    )

    def aim(self, case: Case) -> None:
        """Swap each schema-valid id of `case` for the newest known one of its kind; an invalid
        id stays, it is a negative case and must be refused."""
        params = case.path_parameters or {}
        for name, value in list(params.items()):
            pool = self.ids.get(name)
            if pool and _valid_id(name, value):
                params[name] = pool[-1]

    def learn(self, case: Case, response: Response) -> None:
        """Remember the ids a successful response hands out."""
        content_type = response.headers.get("content-type", [""])[0]
        if response.status_code >= 300 or not content_type.startswith("application/json"):
            return
        body = response.json()
        operation_id = case.operation.definition.raw.get("operationId")
        if operation_id == "create_run":
            self.add("run_id", body["id"])
        elif operation_id == "start_session":
            self.add("session_id", body["id"])
            if isinstance(body.get("lease_secret"), str):
                _SECRETS[body["id"]] = body["lease_secret"]
        elif operation_id == "save_roi":
            self.add("name", body["name"])
        for item in body.get("items", [body]) if isinstance(body, dict) else []:
            if isinstance(item, dict) and "progress" in item and "status" in item:
                self.add("operation_id", item["id"])
                result = item.get("result") or {}
                if result.get("image_id"):
                    self.add("image_id", result["image_id"])

    def add(self, name: str, value: str) -> None:
        pool = self.ids[name]
        if value in pool:
            pool.remove(value)
        pool.append(value)


@dataclass
class ContractServer:
    """The served app, and the ids it handed out so that fuzzed cases reach real resources."""

    served: Served
    client: httpx.Client
    known: _KnownIds = field(default_factory=_KnownIds)

    @property
    def base_url(self) -> str:
        return self.served.base_url

    def prepare(self, case: Case) -> None:
        """Aim a stateless case at live resources: fresh Idempotency-Key, known ids."""
        fresh_idempotency_key(case)
        drop_framing_headers(case)
        if "session_id" in (case.path_parameters or {}):
            self.ensure_lease()
        self.known.aim(case)
        _give_secret(case)

    def ensure_lease(self) -> None:
        """A session of ours holds the control lease (start one if it was ended or expired)."""
        lease = self.client.get("/v1/state").json()["lease"]
        if lease is not None:
            self.known.add("session_id", lease["session_id"])
            return
        runs = self.known.ids["run_id"]
        if not runs:
            run = self.client.post("/v1/runs", json={"name": "schemathesis"})
            assert run.status_code == 201, run.text
            runs.append(run.json()["id"])
        session = self.client.post(f"/v1/runs/{runs[-1]}/sessions", json={"lease_s": 600})
        assert session.status_code == 201, session.text
        self.known.add("session_id", session.json()["id"])
        _SECRETS[session.json()["id"]] = session.json()["lease_secret"]

    def release_lease(self) -> None:
        """End whichever session holds the lease."""
        lease = self.client.get("/v1/state").json()["lease"]
        if lease is not None:
            ended = self.client.delete(
                f"/v1/sessions/{lease['session_id']}", headers=_secret_headers(lease["session_id"])
            )
            assert ended.status_code == 200, ended.text


def fresh_idempotency_key(case: Case) -> None:
    """A fresh Idempotency-Key for every call: schemathesis happily reuses a small key such as
    "0" for different bodies, which the server rightly refuses with 422 `idempotency.mismatch`."""
    headers = case.headers
    key = headers.get("Idempotency-Key") if headers else None
    if headers is not None and isinstance(key, str) and _IDEMPOTENCY_KEY.fullmatch(key):
        headers["Idempotency-Key"] = uuid.uuid4().hex


def drop_framing_headers(case: Case) -> None:
    """Drop fuzzed headers that frame the HTTP message (see `_FRAMING_HEADERS`)."""
    if case.headers:
        for name in [n for n in case.headers if n.lower() in _FRAMING_HEADERS]:
            del case.headers[name]


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractServer]:
    settings = make_settings(tmp_path_factory.mktemp("schemathesis"), realtime=0.0)
    served = serve_in_thread(settings, _SmallFrameSim(seed=settings.seed))
    with served.client() as client:
        server = ContractServer(served, client)
        try:
            yield server
        finally:
            server.release_lease()
            served.stop()


# ------------------------------------------------------------------------------- stateless phase


def _call(case: Case, server: ContractServer) -> None:
    server.prepare(case)
    response = case.call_and_validate(
        base_url=server.base_url, additional_checks=[problem_documents_carry_a_reason]
    )
    server.known.learn(case, response)


@SCHEMA.parametrize()
def test_every_operation_answers_as_the_contract_says(
    case: Case, contract_server: ContractServer
) -> None:
    _call(case, contract_server)


@pytest.mark.slow
@LONG_SCHEMA.parametrize()
def test_every_operation_answers_as_the_contract_says_at_length(
    case: Case, contract_server: ContractServer
) -> None:
    _call(case, contract_server)


# -------------------------------------------------------------------------------- stateful phase


@dataclass
class _Tally:
    """What the state machine saw across its runs: finished scenarios and check failures."""

    scenarios: int = 0
    failures: list[str] = field(default_factory=list)
    run_id: str = ""  # a run to open scenarios in


def _reset_instrument(client: httpx.Client) -> str:
    """One known state to start from: no lease, no faults, chamber pumped, beam on; the id of
    a fresh run.

    Which links a scenario can follow depends on what the server answers (a session starts only
    when no other holds the lease, a scan only with the beam on), and Hypothesis expects the same
    draws to meet the same answers; starting every scenario from one state keeps them apart.
    """
    lease = client.get("/v1/state").json()["lease"]
    if lease is not None:
        ended = client.delete(
            f"/v1/sessions/{lease['session_id']}", headers=_secret_headers(lease["session_id"])
        )
        assert ended.status_code == 200, ended.text
    active = client.get("/v1/state").json()["active_operation_id"]
    if active is not None:  # cancelled with its session; let it wind down
        client.get(f"/v1/operations/{active}", params={"wait_s": 30})
    assert client.delete("/v1/sim/faults").status_code == 200
    run = client.post("/v1/runs", json={"name": "reset"}).json()
    session = client.post(f"/v1/runs/{run['id']}/sessions", json={"lease_s": 60})
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    _SECRETS[session_id] = session.json()["lease_secret"]
    headers = _secret_headers(session_id)
    pump = client.post(f"/v1/sessions/{session_id}/chamber/pump", headers=headers)
    assert pump.status_code == 202, pump.text
    done = client.get(f"/v1/operations/{pump.json()['id']}", params={"wait_s": 30}).json()
    assert done["status"] == "succeeded", done
    # With the beam on, a scenario's scans can succeed and its links reach the artifacts.
    beam = client.post(f"/v1/sessions/{session_id}/beam", json={"on": True}, headers=headers)
    assert beam.status_code == 200, beam.text
    assert client.delete(f"/v1/sessions/{session_id}", headers=headers).status_code == 200
    run_id: str = run["id"]
    return run_id


class _LinkedCalls:
    """Mixin for the contract's state machine: our server, fresh keys, a clean start each time."""

    base_url: ClassVar[str]
    tally: ClassVar[_Tally]
    known: _KnownIds

    def setup(self) -> None:
        self.known = _KnownIds()
        self.known.add("run_id", self.tally.run_id)

    def step(self, input: StepInput) -> Any:
        if input.transition is None:
            # A scenario may open on any POST, with random ids that can only answer 404 (the
            # stateless phase has those covered); aimed at this scenario's own run, session
            # or operation instead, the call goes somewhere and the links can follow on.
            self.known.aim(input.case)
        return super().step(input)  # type: ignore[misc]

    def before_call(self, case: Case) -> None:
        fresh_idempotency_key(case)
        drop_framing_headers(case)
        _give_secret(case)

    def after_call(self, response: Response, case: Case) -> None:
        super().after_call(response, case)  # type: ignore[misc]
        self.known.learn(case, response)

    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        return {"base_url": self.base_url}

    def validate_response(self, response: Response, case: Case, **kwargs: Any) -> None:
        kwargs["additional_checks"] = [problem_documents_carry_a_reason]
        try:
            super().validate_response(response, case, **kwargs)  # type: ignore[misc]
        except FailureGroup as exc:
            # Kept here as well: Hypothesis replays a failing scenario to report it, and against
            # a server whose state moved on the replay may differ (and be reported as flaky).
            self.tally.failures.append(str(exc))
            raise

    def teardown(self) -> None:
        with httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        ) as client:
            self.tally.run_id = _reset_instrument(client)
        self.tally.scenarios += 1


def _run_state_machine(schema: Any, server: ContractServer, scenarios: int, steps: int) -> None:
    tally = _Tally(run_id=_reset_instrument(server.client))
    base = schema.as_state_machine()
    machine: Any = type(
        "ContractStateMachine", (_LinkedCalls, base), {"base_url": server.base_url, "tally": tally}
    )
    # A run that Hypothesis ends as flaky (a server answer differing from an earlier run's) is
    # not a failure of the server: run again with the next seed until the scenario budget is
    # spent, as `schemathesis run` does. Check failures are collected by the machine itself.
    for attempt in range(10):
        if tally.scenarios >= scenarios:
            break
        seeded = hypothesis.seed(_SEED + attempt)(machine)
        with contextlib.suppress(hypothesis.errors.Flaky, FailureGroup):
            seeded.run(
                settings=hypothesis.settings(
                    max_examples=scenarios - tally.scenarios,
                    stateful_step_count=steps,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(hypothesis.HealthCheck),
                    phases=[hypothesis.Phase.generate],
                )
            )
    assert not tally.failures, "\n\n".join(tally.failures[:3])
    assert tally.scenarios >= scenarios, f"only {tally.scenarios} of {scenarios} scenarios ran"


def test_linked_calls_answer_as_the_contract_says(contract_server: ContractServer) -> None:
    _run_state_machine(SCHEMA, contract_server, scenarios=40, steps=10)


@pytest.mark.slow
def test_linked_calls_answer_as_the_contract_says_at_length(
    contract_server: ContractServer,
) -> None:
    _run_state_machine(LONG_SCHEMA, contract_server, scenarios=100, steps=15)
