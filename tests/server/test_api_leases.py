"""The lease is the holder's, and people have names (issue: "nobody else drives").

Each test here failed on the server before lease secrets and named users: any client with the
operator token could drive another's session once `/v1/state` showed its id, and the audit named a
role, not a person.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from pydantic import SecretStr

from semphony.server.users import User
from tests.server.conftest import OPERATOR_TOKEN, VIEWER_TOKEN, Api, Served

GRACE_TOKEN = "grace-operator-token-0123"


def _two_operators(serve: Callable[..., Served]) -> Served:
    return serve(users=(User("grace", "operator", SecretStr(GRACE_TOKEN)),))


def test_another_operator_cannot_drive_a_session_whose_id_the_state_shows(
    serve: Callable[..., Served],
) -> None:
    served = _two_operators(serve)
    with served.client() as ada, served.client(GRACE_TOKEN) as grace:
        api = Api(ada)
        ctl = api.start_session()
        api.pump(ctl)
        seen = grace.get("/v1/state").json()["lease"]
        assert seen["session_id"] == ctl.session_id
        assert "lease_secret" not in seen
        before = api.state()["stage"]
        for method, tail, body in (
            ("POST", "stage/move", {"x_mm": 1.0}),
            ("POST", "beam", {"on": True}),
            ("POST", "heartbeat", None),
            ("DELETE", "", None),
        ):
            path = ctl.path(tail).rstrip("/")
            response = grace.request(method, path, json=body)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["reason"] == "lease.not_holder"
        assert api.state()["stage"] == before
        assert api.state()["beam_on"] is False
        assert api.state()["lease"]["session_id"] == ctl.session_id


def test_the_lease_secret_is_answered_once_and_never_shown_again(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    with served.client() as client, served.client(VIEWER_TOKEN) as viewer:
        run = client.post("/v1/runs", json={"name": "r"}).json()
        started = client.post(f"/v1/runs/{run['id']}/sessions").json()
        secret = started["lease_secret"]
        assert len(secret) >= 24
        client.headers["Lease-Secret"] = secret
        beat = client.post(f"/v1/sessions/{started['id']}/heartbeat")
        assert beat.status_code == 200
        assert beat.json().get("lease_secret") is None
        texts = [
            client.get("/v1/state").text,
            viewer.get("/v1/state").text,
            client.get(f"/v1/runs/{run['id']}/audit").text,
            client.get("/v1/audit").text,
        ]
    assert all(secret not in text for text in texts)
    assert secret not in (served.data_dir / "semphony.db").read_bytes().decode("latin-1")


def test_any_operator_may_press_stop_and_beam_off_audited_as_an_override_naming_them(
    serve: Callable[..., Served],
) -> None:
    served = _two_operators(serve)
    with served.client() as ada, served.client(GRACE_TOKEN) as grace:
        api = Api(ada)
        ctl = api.start_session()
        api.pump(ctl)
        api.beam(ctl, True)
        assert grace.post(ctl.path("stop")).status_code == 200
        off = grace.post(ctl.path("beam"), json={"on": False})
        assert off.status_code == 200, off.text
        assert off.json()["beam_on"] is False
        entries = api.audit(ctl.run_id)
    overrides = [e for e in entries if e["params"].get("override")]
    assert [(e["action"], e["user"]) for e in overrides] == [
        ("session.stop", "grace"),
        ("beam.set", "grace"),
    ]
    assert {e["user"] for e in entries if not e["params"].get("override")} >= {"operator"}


def test_the_audit_names_the_user_not_the_name_the_client_chose(
    serve: Callable[..., Served],
) -> None:
    served = _two_operators(serve)
    with served.client(GRACE_TOKEN) as grace:
        run = grace.post("/v1/runs", json={"name": "r"}).json()
        started = grace.post(f"/v1/runs/{run['id']}/sessions", json={"holder": "ada"}).json()
        grace.headers["Lease-Secret"] = started["lease_secret"]
        grace.post(f"/v1/sessions/{started['id']}/heartbeat")
        entries = grace.get(f"/v1/runs/{run['id']}/audit").json()["items"]
    assert [(e["action"], e["user"], e["holder"]) for e in entries] == [
        ("session.start", "grace", "ada"),
        ("session.heartbeat", "grace", "ada"),
    ]


def test_the_lease_duration_a_session_asked_for_survives_a_restart(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    with served.client() as client:
        run = client.post("/v1/runs", json={"name": "r"}).json()
        started = client.post(f"/v1/runs/{run['id']}/sessions", json={"lease_s": 120}).json()
    served.stop()
    again = serve(data_dir=served.data_dir)
    with again.client() as client:
        client.headers["Lease-Secret"] = started["lease_secret"]
        beat = client.post(f"/v1/sessions/{started['id']}/heartbeat")
        assert beat.status_code == 200, beat.text
        assert beat.json()["lease_s"] == 120


def test_a_whole_token_file_line_as_the_token_gets_a_hint(anonymous: httpx.Client) -> None:
    response = anonymous.get(
        "/v1/state", headers={"Authorization": f"Bearer operator operator {OPERATOR_TOKEN}"}
    )
    assert response.status_code == 401
    assert "token-file line" in response.json()["detail"]
