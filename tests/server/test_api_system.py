"""The HTTP surface in general: health, device, state, authentication and problem documents."""

from __future__ import annotations

import httpx

from tests.server.conftest import Served

PROBLEM_JSON = "application/problem+json"


def _is_problem(
    response: httpx.Response, status: int, reason: str | None = None
) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    if reason is not None:
        assert body["reason"] == reason
    return body


def test_health_answers_without_a_token(anonymous: httpx.Client) -> None:
    response = anonymous.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["api_version"] == "2.0"
    assert body["driver"] == "sim"


def test_reading_state_without_a_token_is_401_with_a_challenge(anonymous: httpx.Client) -> None:
    response = anonymous.get("/v1/state")
    _is_problem(response, 401, "auth.missing")
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_a_wrong_token_is_401_and_is_not_echoed(served: Served) -> None:
    with served.client("not-the-token") as wrong:
        response = wrong.get("/v1/device")
    _is_problem(response, 401, "auth.invalid")
    assert "not-the-token" not in response.text


def test_a_viewer_reads_the_state_and_device(viewer: httpx.Client) -> None:
    state = viewer.get("/v1/state")
    assert state.status_code == 200
    assert state.json()["vacuum"] == "vented"
    assert state.json()["lease"] is None
    device = viewer.get("/v1/device").json()
    assert device["driver"] == "sim"
    assert {"index": 3, "dwell_time_us": 1.0} in device["scan_speeds"]
    assert device["conventions"]["image_y_axis"] == "-y"
    assert device["limits"]["stage"]["x_mm"] == {"min": -50.0, "max": 50.0}


def test_a_viewer_controlling_is_forbidden(viewer: httpx.Client) -> None:
    _is_problem(viewer.post("/v1/runs", json={"name": "no"}), 403, "auth.forbidden")
    _is_problem(viewer.post("/v1/sim/reload"), 403, "auth.forbidden")


def test_an_unknown_path_is_a_404_problem(client: httpx.Client) -> None:
    _is_problem(client.get("/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_a_405_problem(client: httpx.Client) -> None:
    _is_problem(client.put("/v1/health"), 405)


def test_an_invalid_body_names_each_field_and_rule(client: httpx.Client) -> None:
    response = client.post("/v1/runs", json={"name": "", "colour": "red"})
    body = _is_problem(response, 422, "validation.body")
    errors = body["errors"]
    assert isinstance(errors, list)
    fields = {e["field"]: e["rule"] for e in errors}
    assert fields["body.name"] == "string_too_short"
    assert fields["body.colour"] == "extra_forbidden"


def test_an_invalid_query_is_a_422_naming_the_parameter(client: httpx.Client) -> None:
    response = client.get("/v1/operations/op_x", params={"wait_s": 61})
    body = _is_problem(response, 422, "validation.query")
    assert body["errors"][0]["field"] == "query.wait_s"  # type: ignore[index]


def test_a_body_that_is_not_json_is_a_400_problem(client: httpx.Client) -> None:
    response = client.post(
        "/v1/runs", content=b"{nope", headers={"content-type": "application/json"}
    )
    _is_problem(response, 400)


def test_a_body_over_the_limit_is_413(serve: object) -> None:
    served = serve(max_body_bytes=1000)  # type: ignore[operator]
    with served.client() as client:
        response = client.post("/v1/runs", json={"name": "x" * 2000})
        _is_problem(response, 413, "request.too_large")
        assert client.get("/v1/runs").json()["items"] == []


def test_a_405_allows_every_method_of_the_path(client: httpx.Client) -> None:
    response = client.put("/v1/operations/op_x")
    _is_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "DELETE"}


def test_a_request_body_is_not_coerced(client: httpx.Client) -> None:
    response = client.post("/v1/runs", json={"name": 5})
    _is_problem(response, 422, "validation.body")
