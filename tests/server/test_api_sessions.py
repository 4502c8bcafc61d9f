"""Sessions and the control lease: one holder at a time, heartbeats, release and expiry."""

from __future__ import annotations

from collections.abc import Callable

from tests.server.conftest import Api, Controlled, Served


def test_a_second_session_is_refused_naming_the_holder(api: Api) -> None:
    first = api.start_session(holder="alice")
    run = api.client.post("/v1/runs", json={"name": "other"}).json()
    response = api.client.post(f"/v1/runs/{run['id']}/sessions", json={"holder": "bob"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["reason"] == "lease.held"
    assert problem["lease_holder"] == "alice"
    lease = api.state()["lease"]
    assert lease["session_id"] == first.session_id
    assert lease["holder"] == "alice"


def test_a_session_for_an_unknown_run_is_404(api: Api) -> None:
    response = api.client.post("/v1/runs/run_nope/sessions")
    assert response.status_code == 404
    assert response.json()["reason"] == "not_found"


def test_heartbeat_extends_the_lease(api: Api) -> None:
    ctl = api.start_session(lease_s=60)
    before = api.client.get("/v1/state").json()["lease"]["expires_at"]
    response = api.client.post(f"/v1/sessions/{ctl.session_id}/heartbeat")
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["status"] == "active"
    assert session["lease_s"] == 60
    assert session["expires_at"] >= before


def test_ending_a_session_frees_the_lease_for_the_next(api: Api) -> None:
    first = api.start_session(holder="alice")
    ended = api.client.delete(f"/v1/sessions/{first.session_id}")
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] is not None
    assert api.state()["lease"] is None
    # Ending again answers the session as it is.
    assert api.client.delete(f"/v1/sessions/{first.session_id}").json()["status"] == "ended"
    second = api.start_session(holder="bob")
    assert api.state()["lease"]["session_id"] == second.session_id


def test_commands_on_an_ended_session_need_the_lease(api: Api) -> None:
    ctl = api.start_session()
    api.client.delete(f"/v1/sessions/{ctl.session_id}")
    response = api.client.post(ctl.path("chamber/pump"))
    assert response.status_code == 409
    assert response.json()["reason"] == "lease.required"
    heartbeat = api.client.post(f"/v1/sessions/{ctl.session_id}/heartbeat")
    assert heartbeat.status_code == 409
    assert heartbeat.json()["reason"] == "lease.required"


def test_commands_on_an_unknown_session_are_404(api: Api) -> None:
    response = api.client.post("/v1/sessions/ses_nope/beam", json={"on": False})
    assert response.status_code == 404


def test_an_expired_lease_safe_stops_a_running_scan(serve: Callable[..., Served]) -> None:
    served = serve(realtime=0.001)
    with served.client() as client:
        api = Api(client)
        ctl = api.start_session()
        api.pump(ctl)
        api.beam(ctl, True)
        # A lease of one second, and a scan slowed to take far longer than that.
        short = api.client.delete(f"/v1/sessions/{ctl.session_id}")
        assert short.status_code == 200
        run = api.client.post("/v1/runs", json={"name": "lease"}).json()
        session = api.client.post(f"/v1/runs/{run['id']}/sessions", json={"lease_s": 1}).json()
        client.headers["Lease-Secret"] = session["lease_secret"]
        ctl = Controlled(run["id"], session["id"])
        assert (
            client.post("/v1/sim/faults", json={"fault": "slow", "factor": 1000}).status_code == 200
        )
        accepted = client.post(
            ctl.path("acquisitions"), json={"resolution": [512, 512], "dwell_time_us": 32}
        )
        assert accepted.status_code == 202, accepted.text
        op = api.wait(accepted.json())
        assert op["status"] == "cancelled", op
        assert op["progress"]["done"] < op["progress"]["total"]
        state = api.state()
        assert state["lease"] is None
        assert state["active_operation_id"] is None
        actions = [e["action"] for e in api.audit(ctl.run_id)]
        assert "lease.expired" in actions
        refused = client.post(ctl.path("beam"), json={"on": True})
        assert refused.status_code == 409
        assert refused.json()["reason"] == "lease.expired"
        # The stop button is never locked out: beam off still goes through, as an override.
        assert client.post(ctl.path("beam"), json={"on": False}).status_code == 200
