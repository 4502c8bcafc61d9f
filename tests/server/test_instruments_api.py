"""Two instruments' servers on one PostgreSQL database: one catalogue of runs, ROI records and
audit, each record naming its instrument; an ROI saved on one is found on the other by its
qualified name, its reference images fetched from the owning server or a shared folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from semphony._capabilities._steps import qualified_name
from semphony.client import Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.roi._find import find_roi
from semphony.roi._save import save_roi
from tests.server.conftest import OPERATOR_TOKEN, Served
from tests.server.pg import free_port

SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": 1500.0}


@pytest.fixture
def fleet(
    serve: Callable[..., Served], pg_url: str, tmp_path: Path
) -> tuple[Served, Served, Served]:
    """sem1 (its data dir inside a shared folder, its public URL recorded), sem2 (fetching other
    instruments' images through their servers) and sem3 (reading them in the shared folder)."""
    shared = tmp_path / "shared"
    port = free_port()
    sem1 = serve(
        data_dir=shared / "sem1",
        database_url=pg_url,
        instrument="sem1",
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    sem2 = serve(
        data_dir=tmp_path / "sem2",
        database_url=pg_url,
        instrument="sem2",
        peer_token=OPERATOR_TOKEN,
    )
    sem3 = serve(
        data_dir=tmp_path / "sem3", database_url=pg_url, instrument="sem3", shared_artifacts=shared
    )
    return sem1, sem2, sem3


def _client(served: Served) -> Semphony:
    return Semphony(base_url=served.base_url, token=OPERATOR_TOKEN)


def test_an_roi_saved_on_one_instrument_is_found_on_another_by_its_qualified_name(
    fleet: tuple[Served, Served, Served],
) -> None:
    sem1, sem2, sem3 = fleet
    with _client(sem1) as one, _client(sem2) as two:
        run = one.runs.create(name="saved-on-sem1")
        with run.session().start() as session:
            session.chamber.pump()
            session.beam.on()
            session.stage.move_to(x=0.2, y=0.1)
            record = save_roi(
                session, RoiSpec(name="grain", **SPEC), AcquisitionConfig(resolution=(256, 256))
            )
        assert record.instrument == "sem1"
        # The same name on sem2 is another record; sem1's is reached by its qualified name.
        assert two.rois.find("grain") is None
        theirs = two.rois.retrieve("sem1/grain")
        assert (theirs.name, theirs.instrument, theirs.levels) == ("grain", "sem1", record.levels)
        assert [(r.instrument, r.name) for r in two.rois.list()] == [("sem1", "grain")]
        assert two.rois.list(instrument="sem2") == []
        # Its reference images come from sem1's server (sem2) or the shared folder (sem3),
        # byte for byte as recorded.
        image_id = record.levels[0].image_id
        with sem1.client() as http:
            original = http.get(f"/v1/artifacts/{image_id}")
        assert original.status_code == 200
        for other in (sem2, sem3):
            with other.client() as http:
                fetched = http.get(f"/v1/artifacts/{image_id}")
            assert fetched.status_code == 200, fetched.text
            assert fetched.content == original.content
            assert fetched.headers["repr-digest"] == original.headers["repr-digest"]
        # Same simulated specimen on sem2 (same seed): the ROI is found there.
        with two.runs.create(name="found-on-sem2").session().start() as session:
            session.chamber.pump()
            session.beam.on()
            result = find_roi(session, "sem1/grain")
        assert result.found, result.metrics["reason"]


def test_runs_and_audit_are_listed_across_instruments_and_filtered_by_one(
    fleet: tuple[Served, Served, Served],
) -> None:
    sem1, sem2, _ = fleet
    with sem1.client() as one, sem2.client() as two:
        r1 = one.post("/v1/runs", json={"name": "a"}).json()
        r2 = two.post("/v1/runs", json={"name": "b"}).json()
        assert (r1["instrument"], r2["instrument"]) == ("sem1", "sem2")
        listed = {(r["id"], r["instrument"]) for r in one.get("/v1/runs").json()["items"]}
        assert {(r1["id"], "sem1"), (r2["id"], "sem2")} <= listed
        only = two.get("/v1/runs", params={"instrument": "sem1"}).json()["items"]
        assert [r["id"] for r in only] == [r1["id"]]
        audit = two.get("/v1/audit", params={"instrument": "sem1"}).json()["items"]
        assert audit
        assert {e["instrument"] for e in audit} == {"sem1"}
        everyone = {e["instrument"] for e in two.get("/v1/audit").json()["items"]}
        assert {"sem1", "sem2"} <= everyone
        bad = two.get("/v1/runs", params={"instrument": "a/b"})
        assert bad.status_code == 422
        assert "instrument" in bad.text
        # Sessions are each instrument's own: sem2 cannot start one on sem1's run.
        assert two.post(f"/v1/runs/{r1['id']}/sessions", json={}).status_code == 404


def test_an_image_of_an_instrument_without_a_public_url_is_a_clear_502(
    serve: Callable[..., Served], pg_url: str, tmp_path: Path
) -> None:
    sem1 = serve(data_dir=tmp_path / "a", database_url=pg_url, instrument="sem1")
    sem2 = serve(data_dir=tmp_path / "b", database_url=pg_url, instrument="sem2")
    with sem1.client() as one, sem2.client() as two:
        run = one.post("/v1/runs", json={"name": "r"}).json()
        session = one.post(f"/v1/runs/{run['id']}/sessions", json={}).json()
        headers = {"Lease-Secret": session["lease_secret"]}
        base = f"/v1/sessions/{session['id']}"
        op = one.post(f"{base}/chamber/pump", headers=headers).json()
        one.get(f"/v1/operations/{op['id']}", params={"wait_s": 30})
        one.post(f"{base}/beam", json={"on": True}, headers=headers)
        op = one.post(f"{base}/acquisitions", json={}, headers=headers).json()
        done = one.get(f"/v1/operations/{op['id']}", params={"wait_s": 30}).json()
        image_id = done["result"]["image_id"]
        answer = two.get(f"/v1/artifacts/{image_id}")
        assert answer.status_code == 502
        problem = answer.json()
        assert problem["reason"] == "instrument.unreachable"
        assert "--public-url" in problem["detail"]


def test_a_qualified_roi_name_is_instrument_slash_name() -> None:
    assert qualified_name("grain") == (None, "grain")
    assert qualified_name("sem2/grain-7") == ("sem2", "grain-7")
    for bad in ("/grain", "sem2/", "a/b/c"):
        with pytest.raises(ValueError, match="instrument-qualified"):
            qualified_name(bad)


def test_a_shared_file_that_does_not_match_its_digest_is_refused(
    fleet: tuple[Served, Served, Served], tmp_path: Path
) -> None:
    sem1, _, sem3 = fleet
    with sem1.client() as one, sem3.client() as three:
        run = one.post("/v1/runs", json={"name": "r"}).json()
        session = one.post(f"/v1/runs/{run['id']}/sessions", json={}).json()
        headers = {"Lease-Secret": session["lease_secret"]}
        base = f"/v1/sessions/{session['id']}"
        op = one.post(f"{base}/chamber/pump", headers=headers).json()
        one.get(f"/v1/operations/{op['id']}", params={"wait_s": 30})
        one.post(f"{base}/beam", json={"on": True}, headers=headers)
        op = one.post(f"{base}/acquisitions", json={}, headers=headers).json()
        done = one.get(f"/v1/operations/{op['id']}", params={"wait_s": 30}).json()
        image_id = done["result"]["image_id"]
        (path,) = (tmp_path / "shared" / "sem1").rglob(f"{image_id}*")
        data = path.read_bytes()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # one bit of rot
        answer = three.get(f"/v1/artifacts/{image_id}")
        assert answer.status_code == 502
        assert "does not match the recorded digest" in answer.json()["detail"]
