"""Bring the served simulator to a state where it can scan, through the API as a person would.

A scan needs the chamber pumped and the beam on, and both need the control lease. `tests/fuzz/
run.py` does this once before schemathesis starts; the hooks do it again before the stateful
phase's scans, because the earlier phases switch the beam off and vent (as they should).
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "end_session",
    "fit_autofocus",
    "fit_scan",
    "make_ready",
    "prepare",
    "settle",
    "start_session",
]

# The largest frame a fitted scan keeps: a scenario should reach its artifact, not spend the time
# box rendering a frame the device allows (16384² pixels at most on the simulator).
_MAX_PIXELS = 512 * 512


def _headers(secret: str) -> dict[str, str]:
    return {"Lease-Secret": secret}


def settle(client: httpx.Client, secrets: dict[str, str], wait_s: float = 30) -> None:
    """Wait (up to `wait_s`) for the running operation, if any, to end; cancel it, with the lease
    secret of its session from `secrets`, if it is still running then."""
    operation_id = client.get("/v1/state").json().get("active_operation_id")
    if not isinstance(operation_id, str):
        return
    done = client.get(f"/v1/operations/{operation_id}", params={"wait_s": wait_s}).json()
    if done.get("status") in ("pending", "running"):
        secret = secrets.get(str(done.get("session_id")))
        client.delete(f"/v1/operations/{operation_id}", headers=_headers(secret) if secret else {})


def make_ready(client: httpx.Client, session_id: str, secret: str) -> None:
    """Pump (waiting for it) unless pumped, then switch the beam on unless on, with the lease of
    `session_id`; does nothing when that session does not hold the lease or an operation runs
    (the call that follows then meets that state, which is its own test)."""
    state = client.get("/v1/state").json()
    lease = state.get("lease") or {}
    if lease.get("session_id") != session_id or state.get("active_operation_id") is not None:
        return
    if state.get("vacuum") != "pumped":
        pump = client.post(f"/v1/sessions/{session_id}/chamber/pump", headers=_headers(secret))
        if pump.status_code != 202:
            return
        done = client.get(f"/v1/operations/{pump.json()['id']}", params={"wait_s": 30})
        if done.json().get("status") != "succeeded":
            return
    if not state.get("beam_on"):
        client.post(f"/v1/sessions/{session_id}/beam", json={"on": True}, headers=_headers(secret))


def _inside(value: Any, bounds: dict[str, float]) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and bounds["min"] <= value <= bounds["max"]


def fit_scan(body: dict[str, Any], device: dict[str, Any]) -> None:
    """Drop the members of an acquisition body that `device` (`GET /v1/device`) cannot take, so
    that the instrument's current settings stand in for them and the scan can succeed."""
    limits = device["limits"]
    for name in ("fov_um", "working_distance_mm", "dwell_time_us"):
        if body.get(name) is not None and not _inside(body[name], limits[name]):
            del body[name]
    size = body.get("resolution")
    if size is not None and not (
        isinstance(size, list)
        and len(size) == 2
        and _inside(size[0], limits["resolution"]["width"])
        and _inside(size[1], limits["resolution"]["height"])
        and size[0] * size[1] <= _MAX_PIXELS
    ):
        del body["resolution"]
    index = body.get("scan_speed_index")
    if index is not None and not (
        isinstance(index, int) and 0 <= index < len(device["scan_speeds"])
    ):
        del body["scan_speed_index"]
    if body.get("bit_depth") is not None and body["bit_depth"] not in limits["bit_depths"]:
        del body["bit_depth"]
    # The detector members must each name one of the device's detectors, all the same one.
    detectors = device["detectors"]

    def named(member: str, value: Any) -> set[int]:
        if member == "detector_channel":
            return {d["channel"] for d in detectors if d["channel"] == value}
        return {d["channel"] for d in detectors if str(d["mode"]).upper() == str(value).upper()}

    given = [m for m in ("mode", "detector_mode", "detector_channel") if body.get(m) is not None]
    channels = [named(m, body[m]) for m in given]
    if given and (any(len(c) != 1 for c in channels) or len(set().union(*channels)) != 1):
        for member in given:
            del body[member]


def fit_autofocus(body: dict[str, Any], device: dict[str, Any]) -> None:
    """Bring an autofocus body's required `fov_um` within the device's range (the nearest bound)."""
    bounds = device["limits"]["fov_um"]
    fov = body.get("fov_um")
    if isinstance(fov, int | float) and not isinstance(fov, bool) and not _inside(fov, bounds):
        body["fov_um"] = min(max(fov, bounds["min"]), bounds["max"])


def end_session(client: httpx.Client, session_id: str, secret: str) -> None:
    """End a session (and so free the lease); an ended or unknown one is left as it is."""
    client.delete(f"/v1/sessions/{session_id}", headers=_headers(secret))


def start_session(client: httpx.Client, name: str, lease_s: float) -> tuple[str, str]:
    """Start a session (in a run of its own, named `name`): its id and lease secret."""
    run = client.post("/v1/runs", json={"name": name})
    run.raise_for_status()
    session = client.post(f"/v1/runs/{run.json()['id']}/sessions", json={"lease_s": lease_s})
    session.raise_for_status()
    return str(session.json()["id"]), str(session.json()["lease_secret"])


def prepare(client: httpx.Client) -> str:
    """Pump and switch the beam on in a session of its own, acquire one small image, then end
    the session: the server starts the run ready to scan, with the lease free. Returns the
    image's id (the hooks hand it to `download_artifact` cases, so they reach a real artifact)."""
    session_id, secret = start_session(client, "fuzz-prepare", 60)
    make_ready(client, session_id, secret)
    scan = client.post(
        f"/v1/sessions/{session_id}/acquisitions",
        json={"resolution": [64, 64], "dwell_time_us": 1.0},
        headers=_headers(secret),
    )
    scan.raise_for_status()
    done = client.get(f"/v1/operations/{scan.json()['id']}", params={"wait_s": 30}).json()
    image_id = (done.get("result") or {}).get("image_id")
    if done.get("status") != "succeeded" or not isinstance(image_id, str):
        raise SystemExit(f"could not acquire the fuzz run's image: {done}")
    ended = client.delete(f"/v1/sessions/{session_id}", headers=_headers(secret))
    ended.raise_for_status()
    state = client.get("/v1/state").json()
    if (state["vacuum"], state["beam_on"], state["lease"]) != ("pumped", True, None):
        raise SystemExit(f"could not make the instrument ready: {state}")
    return image_id
