"""Request bodies are strict RFC 8259 JSON in UTF-8, refused with a 4xx that says what is wrong.

One served app for the module (the refusals change nothing but the runs it creates); each test
sends raw bytes, so that what reaches the server is exactly what the test wrote.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import BaseRoute

from semphony.server.api import _json as strict_json
from semphony.server.app import create_app
from tests.server.conftest import OPERATOR_TOKEN, Served, make_settings, serve_in_thread
from tests.server.records import roi_record

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = serve_in_thread(make_settings(Path(tmp_path_factory.mktemp("json")) / "data"))
    yield server
    server.stop()


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with served.client(OPERATOR_TOKEN) as c:
        yield c


@pytest.fixture
def run_id(client: httpx.Client) -> str:
    created = client.post("/v1/runs", json={"name": "json"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _post(client: httpx.Client, path: str, body: bytes, **headers: str) -> httpx.Response:
    return client.post(path, content=body, headers={**JSON, **headers})


def _malformed(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["reason"] == "request.malformed"
    for word in words:
        assert word in problem["detail"], problem["detail"]


def _fields(response: httpx.Response) -> dict[str, str]:
    """The invalid fields a 422 names, with the rule each broke."""
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["reason"] == "validation.body"
    return {e["field"]: e["rule"] for e in problem["errors"]}


# ------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"], ids=lambda e: e
)
def test_a_utf16_or_utf32_body_is_refused_saying_it_is_not_utf8(
    client: httpx.Client, encoding: str
) -> None:
    # "utf-16" and "utf-32" write a byte order mark; the -le/-be forms do not.
    body = '{"name": "r"}'.encode(encoding)
    _malformed(_post(client, "/v1/runs", body), "UTF-8")


def test_a_utf8_byte_order_mark_is_refused(client: httpx.Client) -> None:
    _malformed(_post(client, "/v1/runs", codecs.BOM_UTF8 + b'{"name": "r"}'), "byte order mark")


def test_invalid_utf8_is_refused_saying_so(client: httpx.Client) -> None:
    _malformed(_post(client, "/v1/runs", b'{"name": "caf\xe9"}'), "UTF-8")


def test_a_body_that_is_not_json_says_where(client: httpx.Client) -> None:
    _malformed(_post(client, "/v1/runs", b'{"name": "r",}'), "not valid JSON", "column")


# ---------------------------------------------------------------- what JSON cannot carry


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_token_is_refused_naming_its_field(
    client: httpx.Client, run_id: str, token: str
) -> None:
    response = _post(client, f"/v1/runs/{run_id}/sessions", f'{{"lease_s": {token}}}'.encode())
    assert _fields(response) == {"body.lease_s": "finite_number"}
    assert token in response.json()["detail"]


def test_a_number_beyond_a_double_is_refused_naming_its_field(
    client: httpx.Client, run_id: str
) -> None:
    response = _post(client, f"/v1/runs/{run_id}/sessions", b'{"lease_s": -1e309}')
    assert _fields(response) == {"body.lease_s": "finite_number"}


def test_a_5000_digit_integer_is_refused_naming_its_field_and_the_rule(
    client: httpx.Client, run_id: str
) -> None:
    response = _post(client, f"/v1/runs/{run_id}/sessions", b'{"lease_s": ' + b"7" * 5000 + b"}")
    assert _fields(response) == {"body.lease_s": "integer_too_long"}
    assert "5000 digits" in response.json()["detail"]


def test_a_member_named_twice_is_refused(client: httpx.Client) -> None:
    response = _post(client, "/v1/runs", b'{"name": "a", "name": "b"}')
    assert _fields(response) == {"body.name": "duplicate_member"}


def test_a_nan_in_a_member_the_server_would_ignore_is_still_refused(client: httpx.Client) -> None:
    # ROI specs are open objects (unknown members are dropped): the token must not slip through.
    record = _roi_record()
    text = json.dumps(record).replace('"roi_fov_um": 50', '"roi_fov_um": 50, "extra": NaN')
    assert _fields(_post(client, "/v1/rois", text.encode())) == {"body.spec.extra": "finite_number"}


def test_a_large_body_is_read_as_strictly_as_a_small_one(client: httpx.Client) -> None:
    # Bodies over 64 KiB are parsed in a worker thread, off the event loop: same answers.
    padding = b" " * (100 * 1024)
    assert _post(client, "/v1/runs", b'{"name": "large"' + padding + b"}").status_code == 201
    refused = _post(client, "/v1/runs", b'{"name": "large", "description": NaN' + padding + b"}")
    assert _fields(refused) == {"body.description": "finite_number"}
    _malformed(_post(client, "/v1/runs", b'{"name": "large",' + padding + b"}"), "not valid JSON")


# --------------------------------------------------------------------------------- nesting


@pytest.mark.parametrize("with_key", [False, True], ids=["no-key", "idempotency-key"])
def test_a_100000_deep_array_is_a_400_before_any_parser_recurses(
    client: httpx.Client, with_key: bool
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    headers = {"Idempotency-Key": "deep-array-1"} if with_key else {}
    response = _post(client, "/v1/runs", body, **headers)
    _malformed(response, f"at most {strict_json.MAX_DEPTH}")
    # The refusal is not remembered: the same key may be used for a real request.
    retry = client.post("/v1/runs", json={"name": "after"}, headers=headers)
    assert retry.status_code == 201, retry.text


def test_nesting_up_to_the_limit_is_read_and_brackets_inside_strings_do_not_count() -> None:
    at_limit = b"[" * strict_json.MAX_DEPTH + b"]" * strict_json.MAX_DEPTH
    assert strict_json.parse(at_limit) is not None
    with pytest.raises(strict_json.StrictJsonError) as refused:
        strict_json.parse(b"[" + at_limit + b"]")
    assert refused.value.status == 400
    in_strings = json.dumps({"a": "[" * 5000, "b": '\\"[{' * 100}).encode()
    assert strict_json.parse(in_strings) == json.loads(in_strings)


_documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_documents)
def test_every_json_document_within_the_limits_reads_as_the_standard_parser_reads_it(
    document: Any,
) -> None:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    assert strict_json.parse(body) == json.loads(body)


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _api_routes(nested.routes)


def test_every_route_of_the_app_reads_its_body_strictly(tmp_path: Path) -> None:
    routes = list(_api_routes(create_app(make_settings(tmp_path / "data")).router.routes))
    assert len(routes) >= 30
    loose = [r.path for r in routes if not isinstance(r, strict_json.StrictJsonRoute)]
    assert loose == []


# ----------------------------------------------------------------------------- media types


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"name": "r"}'),
        ("application/x-www-form-urlencoded", b"name=r"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="name"'),
        ("application/xml", b"<run><name>r</name></run>"),
        ("text/xml", b"<run/>"),
        ("application/octet-stream", b'{"name": "r"}'),
        ("application/json; charset=utf-16", b'{"name": "r"}'),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_body_of_another_media_type_is_415(
    client: httpx.Client, content_type: str, body: bytes
) -> None:
    response = client.post("/v1/runs", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["reason"] == "unsupported_media_type"


def test_a_body_without_a_content_type_or_with_a_content_coding_is_415(
    client: httpx.Client,
) -> None:
    bare = client.build_request("POST", "/v1/runs", content=b'{"name": "r"}')
    assert "content-type" not in bare.headers
    assert client.send(bare).status_code == 415
    gzip = _post(client, "/v1/runs", b'{"name": "r"}', **{"Content-Encoding": "gzip"})
    assert gzip.status_code == 415
    assert "gzip" in gzip.json()["detail"]


def test_a_command_without_a_body_of_its_own_still_refuses_another_media_type(
    client: httpx.Client, run_id: str
) -> None:
    started = client.post(f"/v1/runs/{run_id}/sessions").json()
    session, secret = started["id"], {"Lease-Secret": started["lease_secret"]}
    try:
        plain = client.post(
            f"/v1/sessions/{session}/stop",
            content=b"stop",
            headers={"Content-Type": "text/plain", **secret},
        )
        assert plain.status_code == 415
    finally:
        assert client.delete(f"/v1/sessions/{session}", headers=secret).is_success


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", 'application/json;charset="UTF-8"', "application/run+json"],
)
def test_json_media_types_with_utf8_are_read(client: httpx.Client, content_type: str) -> None:
    response = client.post(
        "/v1/runs", content=b'{"name": "typed"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 201, response.text


def test_a_post_without_a_body_stays_fine_whatever_its_content_type(
    client: httpx.Client, run_id: str
) -> None:
    bare = client.post(f"/v1/runs/{run_id}/sessions")
    assert bare.status_code == 201, bare.text
    secret = {"Lease-Secret": bare.json()["lease_secret"]}
    assert client.delete(f"/v1/sessions/{bare.json()['id']}", headers=secret).is_success
    typed = client.post(
        f"/v1/runs/{run_id}/sessions", content=b"", headers={"Content-Type": "text/plain"}
    )
    assert typed.status_code == 201, typed.text
    secret = {"Lease-Secret": typed.json()["lease_secret"]}
    assert client.delete(f"/v1/sessions/{typed.json()['id']}", headers=secret).is_success


def test_the_same_document_spaced_differently_is_still_the_same_idempotent_request(
    client: httpx.Client,
) -> None:
    key = {"Idempotency-Key": "spacing-1"}
    first = _post(client, "/v1/runs", b'{"name":"same","description":"d"}', **key)
    again = _post(client, "/v1/runs", b'{ "description" : "d",\n "name" : "same" }', **key)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def _roi_record() -> dict[str, Any]:
    return roi_record("strict-1")
