"""Every number on the wire is finite and bounded, and the contract states the server's bounds.

The float fields are found, not listed: from the JSON Schema of the server's request models, so a
field added later is covered by the same tests.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
import yaml

from semphony.server import schemas
from semphony.server.app import create_app
from semphony.server.drivers.sim import schemas as sim_schemas
from tests.server.conftest import (
    OPERATOR_TOKEN,
    Api,
    Controlled,
    Served,
    make_settings,
    serve_in_thread,
)
from tests.server.records import roi_record

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "openapi" / "semphony.yaml"
CONTRACT: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
NON_FINITE_TOKENS = ["NaN", "Infinity", "-Infinity", "1e309"]
_BOUND_KEYS = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")

Path_ = tuple[str, ...]


def _resolve(node: Any, root: dict[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _leaves(node: Any, root: dict[str, Any], path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Each number or integer of a schema with its path (`[]` for an array item) and bounds."""
    node = _resolve(node, root)
    for member in node.get("anyOf", []):
        if _resolve(member, root) != {"type": "null"}:
            yield from _leaves(member, root, path)
    kind = node.get("type")
    if "enum" in node:
        yield path, ("enum", tuple(sorted(node["enum"], key=repr)))
    elif kind in ("number", "integer"):
        yield path, (kind, *(_number(node.get(key)) for key in _BOUND_KEYS))
    for name, member in node.get("properties", {}).items():
        yield from _leaves(member, root, (*path, name))
    for member in [node["items"]] if isinstance(node.get("items"), dict) else []:
        yield from _leaves(member, root, (*path, "[]"))
    for member in node.get("prefixItems", []):
        yield from _leaves(member, root, (*path, "[]"))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _requests(spec: dict[str, Any]) -> dict[str, dict[Path_, Any]]:
    """For each operation id, every number of its query parameters and body, with bounds."""
    found: dict[str, dict[Path_, Any]] = {}
    for item in spec["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            leaves: dict[Path_, Any] = {}
            for parameter in [_resolve(p, spec) for p in op.get("parameters", [])]:
                if parameter["in"] == "query":
                    for path, bounds in _leaves(parameter["schema"], spec):
                        leaves[("query", parameter["name"], *path)] = bounds
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                for path, bounds in _leaves(body["schema"], spec):
                    leaves[("body", *path)] = bounds
            found[op["operationId"]] = leaves
    return found


@pytest.fixture(scope="module")
def served_spec() -> dict[str, Any]:
    """The OpenAPI document FastAPI derives from the server's own models and parameters."""
    with tempfile.TemporaryDirectory() as data_dir:
        spec: dict[str, Any] = create_app(make_settings(Path(data_dir))).openapi()
    return spec


# --------------------------------------------------------------------------------- the contract


def test_every_number_and_integer_of_every_request_in_the_contract_is_bounded() -> None:
    unbounded = [
        f"{name}: {'.'.join(path)}"
        for name, leaves in _requests(CONTRACT).items()
        for path, bounds in leaves.items()
        if bounds[0] != "enum"
        and ((bounds[1] is None and bounds[2] is None) or (bounds[3] is None and bounds[4] is None))
    ]
    assert unbounded == []


def test_the_contract_states_the_bounds_the_server_enforces(served_spec: dict[str, Any]) -> None:
    wire, served = _requests(CONTRACT), _requests(served_spec)
    assert set(served) <= set(wire)
    disagreements = [
        f"{name}: {'.'.join(path)}: contract {wire[name].get(path)} but server {bounds}"
        for name in served
        for path, bounds in served[name].items()
        if wire[name].get(path) != bounds
    ] + [
        f"{name}: {'.'.join(path)} is in the contract only"
        for name in served
        for path in set(wire[name]) - set(served[name])
    ]
    assert disagreements == []


def test_every_operation_that_takes_a_body_documents_415() -> None:
    missing = [
        op["operationId"]
        for item in CONTRACT["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "requestBody" in op and "415" not in op["responses"]
    ]
    assert missing == []


# ------------------------------------------------------------------------------------- the models

_REQUEST_MODELS: dict[type[pydantic.BaseModel], dict[str, Any]] = {
    schemas.SessionStart: {},
    schemas.StageMove: {},
    schemas.OpticsSettings: {},
    schemas.DetectorRequest: {},
    schemas.AcquisitionConfig: {},
    sim_schemas.SimReload: {},
    sim_schemas.SimDetector: {},
    sim_schemas.SimFault: {"fault": "slow"},
}


def _roi_record() -> dict[str, Any]:
    """A valid ROI record in which every optional number is present."""
    return roi_record("bounded-1", full=True)


def _float_paths(model: type[pydantic.BaseModel]) -> list[Path_]:
    schema = model.model_json_schema()
    return [path for path, bounds in _leaves(schema, schema) if bounds[0] == "number"]


def _with(document: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    node: Any = changed
    for part in path[:-1]:
        node = node[0] if part == "[]" else node[part]
    node[path[-1]] = value
    return changed


_ROI_FLOATS = _float_paths(schemas.RoiRecordCreate)


def test_the_roi_record_has_the_float_fields_the_tests_cover() -> None:
    # The base record must reach every float, or a path below would be set nowhere.
    assert len(_ROI_FLOATS) >= 24
    for path in _ROI_FLOATS:
        schemas.RoiRecordCreate.model_validate(_with(_roi_record(), path, 1.0))


_MODELS_WITH_BASES: dict[type[pydantic.BaseModel], dict[str, Any]] = {
    **_REQUEST_MODELS,
    schemas.RoiRecordCreate: _roi_record(),
}
_MODEL_CASES = [
    pytest.param(model, base, path, id=f"{model.__name__}.{'.'.join(path)}")
    for model, base in _MODELS_WITH_BASES.items()
    for path in _float_paths(model)
]


@pytest.mark.parametrize(("model", "base", "path"), _MODEL_CASES)
def test_every_float_of_every_request_model_refuses_nan_and_infinity(
    model: type[pydantic.BaseModel], base: dict[str, Any], path: Path_
) -> None:
    # What the strict parser never hands over, the models refuse too (SDK-built or internal).
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(pydantic.ValidationError) as refused:
            model.model_validate(_with(base, path, value))
        (error,) = refused.value.errors()
        want = tuple(0 if part == "[]" else part for part in path)
        assert (error["loc"], error["type"]) == (want, "finite_number")


# ------------------------------------------------------------------------------------ over HTTP


@pytest.fixture(scope="module")
def bounded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = serve_in_thread(make_settings(Path(tmp_path_factory.mktemp("bounds")) / "data"))
    yield server
    server.stop()


@pytest.fixture
def bounded_client(bounded_server: Served) -> Iterator[httpx.Client]:
    with bounded_server.client(OPERATOR_TOKEN) as c:
        yield c


def _raw(document: dict[str, Any], path: Path_, token: str) -> bytes:
    """`document` as JSON with the raw `token` (not a string) at `path`."""
    return json.dumps(_with(document, path, "@@TOKEN@@")).replace('"@@TOKEN@@"', token).encode()


@pytest.mark.parametrize("token", NON_FINITE_TOKENS)
@pytest.mark.parametrize("path", _ROI_FLOATS, ids=".".join)
def test_a_non_finite_number_in_any_roi_record_float_is_a_422_naming_it(
    bounded_client: httpx.Client, path: Path_, token: str
) -> None:
    response = bounded_client.post(
        "/v1/rois",
        content=_raw(_roi_record(), path, token),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    field = ".".join(("body", *("0" if part == "[]" else part for part in path)))
    assert {"field": field, "rule": "finite_number"} in [
        {k: e[k] for k in ("field", "rule")} for e in response.json()["errors"]
    ]


@pytest.mark.parametrize("token", ["Infinity", "1e309"])
def test_an_infinite_dwell_time_beside_a_scan_speed_index_is_a_422_naming_it(
    api: Api, ready: Controlled, token: str
) -> None:
    body = f'{{"dwell_time_us": {token}, "scan_speed_index": 2}}'.encode()
    response = api.client.post(
        ready.path("acquisitions"), content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.dwell_time_us"]


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/v1/operations/op_none", "wait_s", "nan"),
        ("/v1/operations/op_none", "wait_s", "inf"),
        ("/v1/operations/op_none", "wait_s", "1e309"),
        ("/v1/runs/run_none/audit", "after_id", str(2**53)),
        ("/v1/runs/run_none/audit", "after_id", "9" * 5000),
        ("/v1/sim/truth", "x_mm", "-inf"),
        ("/v1/sim/truth", "y_mm", "nan"),
    ],
)
def test_a_query_number_out_of_bounds_is_a_422_naming_it(
    bounded_client: httpx.Client, path: str, name: str, value: str
) -> None:
    # The simulator's truth takes a point as both coordinates.
    point = {"x_mm": "0", "y_mm": "0"} if path == "/v1/sim/truth" else {}
    response = bounded_client.get(path, params={**point, name: value})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [f"query.{name}"]
