"""The control path cannot be starved: pending long-polls hold no threads and delay nothing.

Counted in events, not timed: the server's watch reports every long-poll pending while the cancel,
the health check and a state read are answered; and all of them wake with the one terminal event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from semphony.server.services import Services
from tests.server.conftest import OPERATOR_TOKEN, Api, Served

_POLLS = 200


def _services(served: Served) -> Services:
    app: Any = served.server.config.app
    services = app.state.services
    assert isinstance(services, Services)
    return services


async def _scenario(served: Served, op_id: str, session_path: str, secret: str) -> dict[str, Any]:
    services = _services(served)
    limits = httpx.Limits(max_connections=_POLLS + 16, max_keepalive_connections=_POLLS + 16)
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}", "Lease-Secret": secret}
    async with httpx.AsyncClient(
        base_url=served.base_url, headers=headers, limits=limits, timeout=60.0
    ) as client:
        polls = [
            asyncio.create_task(client.get(f"/v1/operations/{op_id}", params={"wait_s": 50}))
            for _ in range(_POLLS)
        ]
        while services.ctx.watch.waiting < _POLLS:
            await asyncio.sleep(0.01)
        health = await client.get("/v1/health")
        state = await client.get("/v1/state")
        heartbeat = await client.post(f"{session_path}/heartbeat")
        pending_at_cancel = services.ctx.watch.waiting
        cancel = await client.delete(f"/v1/operations/{op_id}")
        answers = await asyncio.gather(*polls)
    return {
        "health": health,
        "state": state,
        "heartbeat": heartbeat,
        "pending_at_cancel": pending_at_cancel,
        "cancel": cancel,
        "answers": answers,
        "notified": services.ctx.watch.notified,
    }


def test_two_hundred_pending_long_polls_do_not_delay_a_cancel(
    serve: Callable[..., Served],
) -> None:
    served = serve(realtime=0.001)
    with served.client() as client:
        api = Api(client)
        ctl = api.start_session(lease_s=600)
        api.pump(ctl)
        api.beam(ctl, True)
        assert client.post("/v1/sim/faults", json={"fault": "slow", "factor": 1000}).is_success
        accepted = client.post(
            ctl.path("acquisitions"), json={"resolution": [512, 512], "dwell_time_us": 32}
        )
        assert accepted.status_code == 202, accepted.text
        op_id = accepted.json()["id"]
        notified_before = _services(served).ctx.watch.notified
        secret = client.headers["Lease-Secret"]
        result = asyncio.run(_scenario(served, op_id, f"/v1/sessions/{ctl.session_id}", secret))
    # Every long-poll was still pending when the control calls were answered...
    assert result["health"].status_code == 200
    assert result["state"].json()["active_operation_id"] == op_id
    assert result["heartbeat"].status_code == 200
    assert result["pending_at_cancel"] == _POLLS
    # ...the cancel got through and ended the scan...
    assert result["cancel"].status_code == 200, result["cancel"].text
    assert result["cancel"].json()["status"] == "cancelled"
    # ...and one terminal event answered all of them.
    assert result["notified"] == notified_before + 1
    statuses = {r.json()["status"] for r in result["answers"]}
    assert statuses == {"cancelled"}
    assert all(r.status_code == 200 for r in result["answers"])
