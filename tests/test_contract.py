"""The contract (openapi/semphony.yaml): lint, the generated client against it, and the models.

The schema-agreement tests compare, for the models that cross the wire, the JSON Schema pydantic
derives from ``semphony.models`` with the contract's component schema, after normalising what is
only representation: ``$ref`` resolved, ``anyOf [X, null]`` folded into X's types, a fixed-length
``prefixItems`` and ``items`` with ``minItems == maxItems`` both read as one schema per position,
annotations (title, description, default, examples) dropped. A nested object that is open
(``additionalProperties`` not false) is a free-form map on both sides: only its openness counts.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
import yaml
from hypothesis import given
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from semphony_api import Client
from semphony_api.models import (
    AcquisitionConfig,
    AcquisitionResult,
    MoveResult,
    Operation,
    Problem,
    RunCreate,
    VacuumResult,
)
from semphony_api.types import File

from semphony import models
from semphony.testing import acquisition_configs, acquisition_results

CONTRACT_PATH = Path(__file__).resolve().parents[1] / "openapi" / "semphony.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# The whole audit log names users and their addresses: only operators read it.
OPERATOR_READS = frozenset({"list_audit"})

OPERATION_IDS = frozenset(
    {
        "get_health",
        "get_device",
        "get_state",
        "create_run",
        "list_runs",
        "get_run",
        "list_run_audit",
        "list_audit",
        "start_session",
        "heartbeat_session",
        "end_session",
        "pump_chamber",
        "vent_chamber",
        "set_beam",
        "stop_session",
        "set_detector",
        "move_stage",
        "autofocus",
        "auto_signal",
        "calibrate_axes",
        "get_calibration",
        "set_optics",
        "start_acquisition",
        "get_operation",
        "cancel_operation",
        "list_run_operations",
        "download_artifact",
        "save_roi",
        "list_rois",
        "get_roi",
        "sim_reload",
        "sim_truth",
        "sim_inject_fault",
        "sim_clear_faults",
        "sim_set_detector",
    }
)

# The links stateful contract testing follows: creating operation -> operations using its ids.
SESSION_COMMANDS = frozenset(
    {
        "heartbeat_session",
        "end_session",
        "pump_chamber",
        "vent_chamber",
        "set_beam",
        "stop_session",
        "set_detector",
        "move_stage",
        "autofocus",
        "auto_signal",
        "calibrate_axes",
        "set_optics",
        "start_acquisition",
    }
)
EXPECTED_LINKS: dict[str, frozenset[str]] = {
    "create_run": frozenset({"get_run", "start_session", "list_run_operations", "list_run_audit"}),
    "start_session": SESSION_COMMANDS,
    "pump_chamber": frozenset({"get_operation", "cancel_operation"}),
    "vent_chamber": frozenset({"get_operation", "cancel_operation"}),
    "move_stage": frozenset({"get_operation", "cancel_operation"}),
    "autofocus": frozenset({"get_operation", "cancel_operation"}),
    "auto_signal": frozenset({"get_operation", "cancel_operation"}),
    "calibrate_axes": frozenset({"get_operation", "cancel_operation"}),
    "start_acquisition": frozenset({"get_operation", "cancel_operation"}),
    "get_operation": frozenset({"download_artifact", "cancel_operation"}),
    "save_roi": frozenset({"get_roi"}),
}

ROLES = frozenset({"anyone", "viewer", "operator"})
ANNOTATIONS = frozenset({"title", "description", "default", "examples", "example", "$comment"})


# ---------------------------------------------------------------- loading and walking the spec


def _load_contract() -> dict[str, Any]:
    loaded = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


CONTRACT = _load_contract()


@pytest.fixture
def contract() -> dict[str, Any]:
    """A private deep copy, so a test may change it."""
    return copy.deepcopy(CONTRACT)


def _resolve(node: Any, root: dict[str, Any]) -> Any:
    """Follow local ``$ref``s (``#/a/b``) until a node that is not a reference."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert isinstance(ref, str), ref
        assert ref.startswith("#/"), f"only local references are used, got {ref}"
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _operation_by_id(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op) for path, method, op in _operations(spec)}


def _parameters(spec: dict[str, Any], path: str, op: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, path-level ones included, references resolved."""
    declared = [*spec["paths"][path].get("parameters", []), *op.get("parameters", [])]
    return [_resolve(p, spec) for p in declared]


def _responses(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(code): _resolve(r, spec) for code, r in op["responses"].items()}


def _walk(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in the document with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def _schemas(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in the document (components, parameters, bodies, responses)."""
    schema_keys = {"schema", "items", "additionalProperties"}
    for where, node in _walk(spec):
        last = where.rsplit("/", 1)[-1]
        parent = where.rsplit("/", 2)[-2] if where.count("/") >= 2 else ""
        if last in schema_keys or parent in {"schemas", "properties", "anyOf", "prefixItems"}:
            yield where, node


# ---------------------------------------------------------------------------------- lint


def test_the_contract_validates_as_openapi_3_1() -> None:
    assert str(CONTRACT["openapi"]).startswith("3.1")
    errors = [str(e.message) for e in OpenAPIV31SpecValidator(CONTRACT).iter_errors()]
    assert errors == []


def test_the_operation_ids_are_the_agreed_function_names() -> None:
    ids = [op["operationId"] for _, _, op in _operations(CONTRACT)]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    assert set(ids) == OPERATION_IDS


def test_every_path_is_under_v1() -> None:
    outside = [path for path in CONTRACT["paths"] if not path.startswith("/v1/")]
    assert outside == []


def test_every_post_takes_an_idempotency_key() -> None:
    for path, method, op in _operations(CONTRACT):
        if method != "post":
            continue
        headers = {
            p["name"].lower(): p for p in _parameters(CONTRACT, path, op) if p["in"] == "header"
        }
        assert "idempotency-key" in headers, f"{op['operationId']}: no Idempotency-Key"
        assert headers["idempotency-key"]["required"] is False, op["operationId"]


def test_every_error_response_is_a_problem_document() -> None:
    problem_ref = "#/components/schemas/Problem"
    for _, _, op in _operations(CONTRACT):
        errors = {code: r for code, r in _responses(CONTRACT, op).items() if code[0] in "45"}
        assert errors, f"{op['operationId']} documents no error response"
        for code, response in errors.items():
            content = response.get("content", {})
            assert list(content) == ["application/problem+json"], (op["operationId"], code)
            schema = content["application/problem+json"]["schema"]
            assert schema == {"$ref": problem_ref}, (op["operationId"], code)


def test_every_operation_documents_the_errors_its_inputs_and_role_can_cause() -> None:
    for path, _, op in _operations(CONTRACT):
        name = op["operationId"]
        codes = set(_responses(CONTRACT, op))
        role = op["x-semphony-role"]
        assert {"429", "500", "503"} <= codes, name
        if role != "anyone":
            assert "401" in codes, f"{name} needs a token and must document 401"
        if role == "operator":
            assert "403" in codes, f"{name} is for operators and must document 403"
        if any(p["in"] != "header" for p in _parameters(CONTRACT, path, op)) or "requestBody" in op:
            assert "422" in codes, f"{name} takes input and must document 422"
        if "requestBody" in op:
            assert {"400", "413"} <= codes, f"{name} takes a body: 400 and 413"
        if any(p["in"] == "path" for p in _parameters(CONTRACT, path, op)):
            assert "404" in codes, f"{name} names a resource and must document 404"


def test_every_operation_states_the_role_it_needs() -> None:
    for _, method, op in _operations(CONTRACT):
        role = op.get("x-semphony-role")
        assert role in ROLES, op["operationId"]
        assert f"Role: {role}" in op["description"], op["operationId"]
        if method == "get" and op["operationId"] not in OPERATOR_READS:
            assert role != "operator", f"{op['operationId']}: reads are for viewers"
        else:
            assert role == "operator", f"{op['operationId']}: commands are for operators"


def test_only_health_answers_without_a_token() -> None:
    assert CONTRACT["security"] == [{"bearerAuth": []}]
    scheme = CONTRACT["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    anonymous = {op["operationId"] for _, _, op in _operations(CONTRACT) if "security" in op}
    assert anonymous == {"get_health"}
    assert _operation_by_id(CONTRACT)["get_health"][2]["security"] == []


def test_simulator_operations_live_under_sim_with_the_simulator_tag() -> None:
    for path, _, op in _operations(CONTRACT):
        assert path.startswith("/v1/sim/") == (op["tags"] == ["simulator"]), op["operationId"]
        assert path.startswith("/v1/sim/") == op["operationId"].startswith("sim_")


def test_nullable_fields_are_written_as_anyof_with_null() -> None:
    for where, node in _walk(CONTRACT):
        assert "nullable" not in node, f"{where}: 3.0 `nullable`; write anyOf with null"
        assert "oneOf" not in node, f"{where}: the generator does not support oneOf"
        assert "discriminator" not in node, where
        assert not isinstance(node.get("type"), list), f"{where}: type lists; use anyOf"
    for where, schema in _schemas(CONTRACT):
        members = schema.get("anyOf", [])
        nulls = [m for m in members if m == {"type": "null"}]
        if nulls:
            assert len(nulls) == 1, where
            assert len(members) >= 2, where


def test_a_nullable_field_is_never_hidden_behind_a_default_null_only() -> None:
    # Every optional request field that may be null must say so with anyOf: a bare
    # `default: null` on a non-nullable schema would reject the null the SDK sends.
    for where, schema in _schemas(CONTRACT):
        if "default" in schema and schema["default"] is None:
            assert "anyOf" in schema, where


# A unit is a name segment: fov_um, clock_s, clock_s_start (WIRE.md's name for the start time).
UNIT_SEGMENT = re.compile(r"_(um|mm|deg|us|s|kv|na)(_|$)")
DIMENSIONLESS = frozenset(
    {
        "min",
        "max",
        "gain",
        "offset",
        "gamma",
        "factor",
        "sharpness",
        "start_sharpness",
        "step_fraction",
        "low_fraction",
        "high_fraction",
        "scale",
        "findability",
    }
)


def test_every_physical_number_carries_its_unit_in_its_name() -> None:
    for name, schema in CONTRACT["components"]["schemas"].items():
        for field, declared in schema.get("properties", {}).items():
            options = [_resolve(m, CONTRACT) for m in declared.get("anyOf", [declared])]
            if any(o.get("type") == "number" for o in options) and field not in DIMENSIONLESS:
                assert UNIT_SEGMENT.search(field), f"{name}.{field} names no unit"


def test_list_responses_are_objects_with_items() -> None:
    for _, _, op in _operations(CONTRACT):
        if not op["operationId"].startswith("list_"):
            continue
        response = _responses(CONTRACT, op)["200"]
        schema = _resolve(response["content"]["application/json"]["schema"], CONTRACT)
        assert schema["type"] == "object", op["operationId"]
        assert schema["required"] == ["items"], op["operationId"]
        assert schema["properties"]["items"]["type"] == "array", op["operationId"]


def test_long_commands_answer_202_with_an_operation() -> None:
    by_id = _operation_by_id(CONTRACT)
    for name in ("pump_chamber", "vent_chamber", "move_stage", "start_acquisition"):
        responses = _responses(CONTRACT, by_id[name][2])
        success = sorted(code for code in responses if code.startswith("2"))
        assert success == ["202"], name
        schema = responses["202"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Operation"}, name


def test_get_operation_long_polls_for_at_most_a_minute() -> None:
    path, _, op = _operation_by_id(CONTRACT)["get_operation"]
    (wait,) = [p for p in _parameters(CONTRACT, path, op) if p["name"] == "wait_s"]
    assert wait["in"] == "query"
    assert (wait["schema"]["minimum"], wait["schema"]["maximum"]) == (0, 60)


def test_the_artifact_download_is_binary_tiff_with_length_and_digest() -> None:
    op = _operation_by_id(CONTRACT)["download_artifact"][2]
    ok = _responses(CONTRACT, op)["200"]
    assert list(ok["content"]) == ["image/tiff"]
    assert ok["content"]["image/tiff"]["schema"] == {"type": "string", "format": "binary"}
    assert {"Content-Length", "Repr-Digest"} <= set(ok["headers"])
    digest = ok["headers"]["Repr-Digest"]["schema"]["pattern"]
    example = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert re.search(digest, example)
    assert not re.search(digest, "sha-256=0123abcd")


def test_artifact_ids_cannot_name_a_path() -> None:
    path, _, op = _operation_by_id(CONTRACT)["download_artifact"]
    (image_id,) = _parameters(CONTRACT, path, op)
    pattern = image_id["schema"]["pattern"]
    assert re.fullmatch(pattern, "a1B2_c-3")
    for escape in ("../etc/passwd", "a/b", "..", "a.tiff", ""):
        assert not re.fullmatch(pattern, escape), escape


def test_every_link_names_an_existing_operation_and_its_parameters() -> None:
    by_id = _operation_by_id(CONTRACT)
    links_seen = 0
    for where, node in _walk(CONTRACT):
        if not where.endswith("/links"):
            continue
        for name, link in node.items():
            links_seen += 1
            target = link["operationId"]
            assert target in by_id, f"{where}/{name}: no operation {target}"
            path, _, op = by_id[target]
            accepted = {p["name"] for p in _parameters(CONTRACT, path, op)}
            for parameter, expression in link["parameters"].items():
                assert parameter.split(".")[-1] in accepted, f"{where}/{name}: {parameter}"
                assert expression.startswith("$response.body#/"), f"{where}/{name}"
    assert links_seen > 0


def test_creating_responses_link_to_the_operations_that_use_their_ids() -> None:
    by_id = _operation_by_id(CONTRACT)
    for source, expected in EXPECTED_LINKS.items():
        responses = _responses(CONTRACT, by_id[source][2])
        targets = {
            link["operationId"]
            for code, response in responses.items()
            if code.startswith("2")
            for link in response.get("links", {}).values()
        }
        assert expected <= targets, f"{source} lacks links to {sorted(expected - targets)}"


def test_a_succeeded_acquisition_links_to_its_artifact() -> None:
    op = _operation_by_id(CONTRACT)["get_operation"][2]
    links = _responses(CONTRACT, op)["200"]["links"].values()
    (download,) = [link for link in links if link["operationId"] == "download_artifact"]
    assert download["parameters"] == {"image_id": "$response.body#/result/image_id"}


def test_request_bodies_are_closed_and_responses_open() -> None:
    bodies = set()
    for _, _, op in _operations(CONTRACT):
        if "requestBody" in op:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            bodies.add(schema["$ref"])
            assert _resolve(schema, CONTRACT)["additionalProperties"] is False, op["operationId"]
    for name in ("Operation", "AcquisitionResult", "InstrumentState", "DeviceInfo", "Problem"):
        schema = CONTRACT["components"]["schemas"][name]
        assert schema.get("additionalProperties", True) is not False, name
    assert "#/components/schemas/AcquisitionConfig" in bodies


# ------------------------------------------------------------------------ generated client


def test_the_generator_config_makes_the_tiff_download_and_output_independent_of_the_caller() -> (
    None
):
    config = yaml.safe_load((CONTRACT_PATH.parent / "generator.yaml").read_text(encoding="utf-8"))
    assert config["content_type_overrides"] == {"image/tiff": "application/octet-stream"}
    assert config["package_name_override"] == "semphony_api"
    hooks = config["post_hooks"]
    assert hooks
    assert all("--isolated" in hook and "--no-cache" in hook for hook in hooks)


def _generated_module(name: str) -> Any:
    _, _, op = _operation_by_id(CONTRACT)[name]
    return importlib.import_module(f"semphony_api.api.{op['tags'][0]}.{name}")


@pytest.mark.parametrize("operation_id", sorted(OPERATION_IDS))
def test_the_generated_client_exposes_detailed_calls_for(operation_id: str) -> None:
    module = _generated_module(operation_id)
    assert callable(module.sync_detailed)
    assert callable(module.asyncio_detailed)


def test_the_generated_client_sends_the_idempotency_key_header() -> None:
    kwargs = _generated_module("create_run")._get_kwargs(
        body=RunCreate(name="r"), idempotency_key="k-1"
    )
    assert kwargs["headers"]["Idempotency-Key"] == "k-1"


def test_the_generated_download_returns_the_tiff_bytes() -> None:
    body = b"II*\x00tiff-bytes"

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/artifacts/img-1"
        return httpx.Response(200, content=body, headers={"Content-Type": "image/tiff"})

    client = Client(
        base_url="http://127.0.0.1:9", httpx_args={"transport": httpx.MockTransport(answer)}
    )
    response = _generated_module("download_artifact").sync_detailed("img-1", client=client)
    assert isinstance(response.parsed, File)
    assert response.parsed.payload.read() == body


def test_the_generated_client_parses_problem_json_errors() -> None:
    doc = {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "held",
        "reason": "lease.held",
        "lease_holder": "alice",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json=doc, headers={"Content-Type": "application/problem+json"})

    client = Client(
        base_url="http://127.0.0.1:9", httpx_args={"transport": httpx.MockTransport(answer)}
    )
    response = _generated_module("start_session").sync_detailed("run-1", client=client)
    assert isinstance(response.parsed, Problem)
    assert (response.parsed.reason, response.parsed.lease_holder) == ("lease.held", "alice")


@pytest.mark.parametrize(
    "document",
    [
        {"roi_level": None, "bit_depth": None, "resolution": None},
        {"roi_level": "l1", "bit_depth": 16, "resolution": [1024, 768], "fov_um": 50.0},
        {},
    ],
)
def test_generated_acquisition_config_round_trips_nullable_enums(document: dict[str, Any]) -> None:
    assert AcquisitionConfig.from_dict(document).to_dict() == document


def test_generated_operation_tells_the_result_kinds_apart() -> None:
    pose = {"x_mm": 1.0, "y_mm": 2.0, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0}
    base = {
        "id": "op-1",
        "kind": "acquisition",
        "status": "succeeded",
        "run_id": "run-1",
        "session_id": "s-1",
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:01Z",
        "progress": {"done": 4, "total": 4, "unit": "lines"},
        "problem": None,
    }
    results = {
        AcquisitionResult: {"correlation_id": "op-1", "image_id": "img-1", "metadata": {}},
        MoveResult: {"pose": pose},
        VacuumResult: {"vacuum": "pumped"},
        type(None): None,
    }
    for expected, result in results.items():
        parsed = Operation.from_dict({**base, "result": result})
        assert type(parsed.result) is expected
        assert parsed.to_dict()["result"] == result


# ---------------------------------------------------------------- models against the contract


def _canonical(schema: Any, root: dict[str, Any], *, top: bool = True) -> Any:
    """The meaning of a JSON Schema, with representation differences normalised away."""
    schema = _resolve(schema, root)
    if not isinstance(schema, dict):
        return schema
    members = schema.get("anyOf")
    if members is not None:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        forms = [_canonical({**rest, **m}, root, top=top) for m in members]
        # anyOf [X, null] is X that also admits null.
        nullable = {"types": frozenset({"null"})} in forms
        others = [f for f in forms if f != {"types": frozenset({"null"})}]
        if nullable and len(others) == 1 and isinstance(others[0], dict):
            return {**others[0], "types": others[0]["types"] | {"null"}}
        return {"anyOf": frozenset(repr(f) for f in forms)}
    out: dict[str, Any] = {}
    kind = schema.get("type")
    types = frozenset([kind] if isinstance(kind, str) else kind or [])
    if "enum" in schema:
        out["enum"] = frozenset(schema["enum"])
    for key in (
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
    ):
        if key in schema:
            out[key] = schema[key]
    if "array" in types:
        length = schema.get("minItems")
        if "prefixItems" in schema:
            out["positions"] = tuple(_canonical(s, root, top=False) for s in schema["prefixItems"])
        elif isinstance(length, int) and length == schema.get("maxItems") and "items" in schema:
            out["positions"] = (_canonical(schema["items"], root, top=False),) * length
        elif "items" in schema:
            out["items"] = _canonical(schema["items"], root, top=False)
        for key in ("minItems", "maxItems"):
            if key in schema:
                out[key] = schema[key]
    if "object" in types:
        closed = schema.get("additionalProperties") is False
        out["closed"] = closed
        if top or closed:
            out["properties"] = {
                name: _canonical(s, root, top=False)
                for name, s in schema.get("properties", {}).items()
            }
            out["required"] = frozenset(schema.get("required", []))
    unknown = set(schema) - ANNOTATIONS - {"type", "enum", "items", "prefixItems"} - set(out)
    unknown -= {"additionalProperties", "properties", "required", "minItems", "maxItems"}
    assert not unknown, f"the comparison does not understand {sorted(unknown)}"
    out["types"] = types
    return out


def _model_schema(cls: type[Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    schema = pydantic.TypeAdapter(cls).json_schema()
    for name in drop:
        schema["properties"].pop(name)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    return schema


def _disagreements(
    contract_schema: dict[str, Any], contract_root: dict[str, Any], model_schema: dict[str, Any]
) -> list[str]:
    wire = _canonical(contract_schema, contract_root)
    ours = _canonical(model_schema, model_schema)
    found = []
    for name in sorted(set(wire["properties"]) | set(ours["properties"])):
        mine, theirs = ours["properties"].get(name), wire["properties"].get(name)
        if mine != theirs:
            found.append(f"field {name}: model {mine!r} but contract {theirs!r}")
    for key in ("required", "closed", "types"):
        if wire[key] != ours[key]:
            found.append(f"{key}: model {ours[key]!r} but contract {wire[key]!r}")
    return found


WIRE_MODELS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "AcquisitionConfig": (models.AcquisitionConfig, ()),
    "AcquisitionResult": (models.AcquisitionResult, ("local_path",)),  # client side only
}


@pytest.mark.parametrize("name", sorted(WIRE_MODELS))
def test_the_model_agrees_with_the_contract_schema_of(name: str) -> None:
    cls, drop = WIRE_MODELS[name]
    schema = CONTRACT["components"]["schemas"][name]
    assert _disagreements(schema, CONTRACT, _model_schema(cls, drop=drop)) == []


@pytest.mark.parametrize("name", sorted(WIRE_MODELS))
def test_the_agreement_check_notices_a_dropped_field_in(
    name: str, contract: dict[str, Any]
) -> None:
    cls, drop = WIRE_MODELS[name]
    schema = contract["components"]["schemas"][name]
    for field in list(schema["properties"]):
        changed = copy.deepcopy(schema)
        del changed["properties"][field]
        changed["required"] = [r for r in changed.get("required", []) if r != field]
        found = _disagreements(changed, contract, _model_schema(cls, drop=drop))
        assert any(f"field {field}:" in line for line in found), field


def test_the_agreement_check_notices_changed_bounds_types_and_requirements(
    contract: dict[str, Any],
) -> None:
    config = contract["components"]["schemas"]["AcquisitionConfig"]
    model = _model_schema(models.AcquisitionConfig)
    mutations: dict[str, Callable[[dict[str, Any]], None]] = {
        "fov_um": lambda s: s["anyOf"][0].update(exclusiveMinimum=1),
        "scan_speed_index": lambda s: s["anyOf"][0].update(type="number"),
        "resolution": lambda s: s["anyOf"][0]["items"].update(maximum=4096),
        "mode": lambda s: s.update(anyOf=[{"type": "string"}]),  # no longer nullable
    }
    for field, mutate in mutations.items():
        changed = copy.deepcopy(config)
        mutate(changed["properties"][field])
        found = _disagreements(changed, contract, model)
        assert any(f"field {field}:" in line for line in found), field
    required = copy.deepcopy(config)
    required["required"] = ["fov_um"]
    assert any(line.startswith("required:") for line in _disagreements(required, contract, model))


_CONTRACT_URI = "urn:semphony:contract"
_REGISTRY: Registry[Any] = Registry().with_resource(
    _CONTRACT_URI, DRAFT202012.create_resource(CONTRACT)
)


def _wire_errors(component: str, document: object) -> list[str]:
    """Why ``document`` is not a valid instance of the contract's component schema."""
    ref = {"$ref": f"{_CONTRACT_URI}#/components/schemas/{component}"}
    validator = OAS31Validator(ref, registry=_REGISTRY)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_wire_validator_refuses_what_the_contract_forbids() -> None:
    assert _wire_errors("AcquisitionConfig", {"fov_um": 0}) != []
    assert _wire_errors("AcquisitionConfig", {"resolution": [1, 2, 3]}) != []
    assert _wire_errors("AcquisitionConfig", {"fov_mu": 5.0}) != []  # request bodies are closed
    assert _wire_errors("AcquisitionResult", {"image_id": "i"}) != []  # correlation_id missing


@given(acquisition_configs())
def test_every_valid_config_is_a_valid_wire_body_and_survives_the_generated_model(
    config: models.AcquisitionConfig,
) -> None:
    document = config.to_dict()
    assert _wire_errors("AcquisitionConfig", document) == []
    assert AcquisitionConfig.from_dict(document).to_dict() == document


@given(acquisition_results())
def test_every_valid_result_is_a_valid_wire_document_and_survives_the_generated_model(
    result: models.AcquisitionResult,
) -> None:
    document = result.to_dict()
    del document["local_path"]  # client side only
    # The SDK keeps any metadata; the contract documents the reference server's members, so
    # arbitrary metadata is not a wire document. The top-level fields are what is compared.
    document["metadata"] = {}
    assert _wire_errors("AcquisitionResult", document) == []
    assert AcquisitionResult.from_dict(document).to_dict() == document
