"""`Semphony` and `AsyncSemphony`: the clients, and the resources that hang off them.

They match method for method and differ only where they wait; each call is written once, as
steps or a prepared call. Both take `base_url` and `token` from their arguments or from
`SEMPHONY_BASE_URL` and `SEMPHONY_TOKEN` / `SEMPHONY_TOKEN_FILE` (see `_base_client`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Generic, Self, TypedDict, TypeVar, Unpack

from semphony._async_session import AsyncRun
from semphony._base_client import ClientOptions, resolve_options
from semphony._capabilities import (
    AsyncRoiRecords,
    AsyncSide,
    Pair,
    RoiRecords,
    SyncRunner,
    SyncSide,
)
from semphony._exceptions import SemphonyError
from semphony._local import LocalServer
from semphony._state import InstrumentState
from semphony._types import AuditEntry, DeviceInfo, Health, SimFault, SimTruth
from semphony._wire import AsyncTransport, Call, Steps, SyncTransport, TransportBase, calls, one
from semphony.session import Run

__all__ = ["AsyncRun", "AsyncSemphony", "DetectorSettings", "Placement", "Semphony", "ServerHealth"]

TransportT = TypeVar("TransportT", bound=TransportBase)
RunnerT = TypeVar("RunnerT", SyncRunner, AsyncTransport)
T = TypeVar("T")

ServerHealth = Health
"""What `GET /v1/health` says: liveness, API and server versions, and the device driver."""


class Placement(TypedDict, total=False):
    """A remount of the simulated specimen: shifted (µm) and rotated (degrees, counter-clockwise
    seen from the beam), its surface at `height_um` above its first-load height; what is left out
    is drawn from the seed."""

    shift_x_um: float | None
    shift_y_um: float | None
    rotation_deg: float | None
    height_um: float | None


class DetectorSettings(TypedDict, total=False):
    """The simulated detector's signal chain: gain, offset and gamma."""

    gain: float | None
    offset: float | None
    gamma: float | None


def _given(values: Placement | DetectorSettings) -> dict[str, float]:
    return {k: v for k, v in values.items() if v is not None}  # type: ignore[misc]


_FAULT_PARAMS = frozenset({"device_code", "device_message", "after_lines", "factor", "count"})


def _run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not run_id:
        raise ValueError(f"run_id must be a non-empty string, got {run_id!r}")
    return run_id


def _run_call(name: str, description: str | None) -> Call[Any]:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"runs.create: name must be a non-empty string, got {name!r}")
    return calls.create_run(name, description)


def _sim(call: Call[T]) -> Steps[T]:
    """`call`, once the server is known to run the simulated microscope."""
    health: Health = yield calls.health()
    if health.driver != "sim":
        raise SemphonyError(
            f"client.simulator needs the simulated microscope, but this control server runs the "
            f"{health.driver!r} driver; simulator controls exist only with the 'sim' driver"
        )
    answer: T = yield call
    return answer


def _fault_call(fault: str, params: dict[str, Any]) -> Call[list[SimFault]]:
    unknown = sorted(set(params) - _FAULT_PARAMS)
    if unknown:
        raise ValueError(
            f"simulator.inject({fault!r}): unknown parameter(s) {unknown}; "
            f"known: {sorted(_FAULT_PARAMS)}"
        )
    return calls.sim_inject_fault(fault, params)


def _detector_call(values: dict[str, float]) -> Call[InstrumentState]:
    if not values:
        raise ValueError("simulator.set_detector needs at least one of gain, offset, gamma")
    return calls.sim_set_detector(values)


class _Resource(Generic[RunnerT]):
    """Something that hangs off a client and calls through its transport."""

    def __init__(self, runner: RunnerT) -> None:
        self._runner: RunnerT = runner


class _BaseClient(Generic[TransportT]):
    """What `Semphony` and `AsyncSemphony` share and that does no I/O: options, the embedded
    server, `local()` and `with_options()`."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        local_artifacts: str | os.PathLike[str] | None = None,
        _transport: TransportT | None = None,
        _local: LocalServer | None = None,
    ) -> None:
        """`local_artifacts`: the server's image folder (`<data dir>/artifacts`) when the server
        runs on this machine: images are then hard-linked from it (digest-checked; over HTTP
        when a file is missing, on another file system or does not match)."""
        if _transport is None:
            options = resolve_options(
                base_url=base_url,
                token=token,
                timeout_s=timeout,
                max_retries=max_retries,
                local_artifacts=None if local_artifacts is None else Path(local_artifacts),
            )
            _transport = self._open_transport(options)
            self._owns_transport = True
        else:
            self._owns_transport = False
        self._transport: TransportT = _transport
        self._local = _local

    _transport_class: type[TransportT]

    @classmethod
    def _open_transport(cls, options: ClientOptions) -> TransportT:
        """A new transport (with its own connection pool) of this client's kind."""
        return cls._transport_class(options)

    @property
    def _runner(self) -> TransportT:
        return self._transport

    @classmethod
    def local(
        cls,
        seed: int | None = None,
        specimen_kind: str | None = None,
        specimen: str | os.PathLike[str] | None = None,
        specimen_pixel_um: float | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        realtime: float | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Self:
        """Start the simulated control server on a free loopback port; closing the client
        (`close()`, or `aclose()` of `AsyncSemphony`) stops it.

        The server is a child process that dies with this one, also when this one is killed,
        and removes its temporary data folder (unless `data_dir` was given). `realtime` > 0 makes
        the simulator sleep that many real seconds per instrument second (demos); by default it
        never sleeps and costs only virtual time. Starting the child process blocks briefly, also
        for `AsyncSemphony` (it is not awaited)."""
        server = LocalServer.start(
            seed=seed,
            specimen_kind=specimen_kind,
            specimen=specimen,
            specimen_pixel_um=specimen_pixel_um,
            data_dir=data_dir,
            realtime=realtime,
        )
        try:
            options = resolve_options(
                base_url=server.base_url,
                token=server.token,
                timeout_s=timeout,
                max_retries=max_retries,
                local_artifacts=server.artifacts_dir,
            )
            client = cls(_transport=cls._open_transport(options), _local=server)
        except BaseException:
            server.stop()
            raise
        client._owns_transport = True
        return client

    @property
    def options(self) -> ClientOptions:
        """The options in force (the token is kept out of its repr)."""
        return self._transport.options

    @property
    def base_url(self) -> str:
        return self._transport.options.base_url

    @property
    def local_server(self) -> LocalServer | None:
        """The embedded server `local()` started, if any."""
        return self._local

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        poll_wait_s: float | None = None,
    ) -> Self:
        """A client with other options on the same connections (closing it closes nothing)."""
        given = {"timeout_s": timeout, "max_retries": max_retries, "poll_wait_s": poll_wait_s}
        changes = {k: v for k, v in given.items() if v is not None}
        transport = self._transport.with_options(self._transport.options.replace(**changes))
        return type(self)(_transport=transport)


# ---------------------------------------------------------------------------------------------
# sync


class AuditFilters(TypedDict, total=False):
    """Which audit entries `client.audit()` lists."""

    after_id: int
    run_id: str
    session_id: str
    user: str
    action: str
    outcome: str
    outside_runs: bool
    instrument: str
    limit: int


class Runs(_Resource[SyncRunner]):
    """`client.runs`: create, list and retrieve runs."""

    def create(self, *, name: str, description: str | None = None) -> Run:
        """Create a run named `name`."""
        return Run(self._runner, self._runner.run(one(_run_call(name, description))))

    def list(self, *, instrument: str | None = None) -> list[Run]:
        """Every run on the server's database (every instrument's, or `instrument`'s), newest
        first as the server orders them."""
        infos = self._runner.run(one(calls.list_runs(instrument)))
        return [Run(self._runner, info) for info in infos]

    def retrieve(self, run_id: str) -> Run:
        """The run `run_id` (404 `NotFoundError` if there is none)."""
        return Run(self._runner, self._runner.run(one(calls.get_run(_run_id(run_id)))))


class Simulator(_Resource[SyncRunner]):
    """`client.simulator`: the simulated SEM's controls (only with the `sim` driver)."""

    def reload(self, **placement: Unpack[Placement]) -> SimTruth:
        """Remount the specimen: `shift_x_um=`, `shift_y_um=` (µm), `rotation_deg=`,
        `height_um=` (the surface's height above its first load's; unset values are drawn from
        the seed). The new ground truth."""
        return self._runner.run(_sim(calls.sim_reload(_given(placement))))

    def truth(self, *, x_mm: float | None = None, y_mm: float | None = None) -> SimTruth:
        """The specimen's placement relative to its first load; with `x_mm`, `y_mm`, where the
        point that lay there at first load lies now (`point_now`)."""
        return self._runner.run(_sim(calls.sim_truth(x_mm, y_mm)))

    def inject(self, fault: str, **params: Any) -> list[SimFault]:
        """Inject a fault (`scan_error`, `vacuum_loss`, `drop_move`, `slow`); the active faults."""
        return self._runner.run(_sim(_fault_call(fault, params)))

    def clear_faults(self) -> list[SimFault]:
        """Remove every injected fault; the (empty) list of active faults."""
        return self._runner.run(_sim(calls.sim_clear_faults()))

    def set_detector(self, **detector: Unpack[DetectorSettings]) -> InstrumentState:
        """Change the simulated detector's `gain=`, `offset=` or `gamma=`; the state after."""
        return self._runner.run(_sim(_detector_call(_given(detector))))


class AsyncRuns(_Resource[AsyncTransport]):
    """`client.runs` of `AsyncSemphony`."""

    async def create(self, *, name: str, description: str | None = None) -> AsyncRun:
        """Create a run named `name`."""
        return AsyncRun(self._runner, await self._runner.send(_run_call(name, description)))

    async def list(self, *, instrument: str | None = None) -> list[AsyncRun]:
        """Every run on the server's database (every instrument's, or `instrument`'s)."""
        infos = await self._runner.send(calls.list_runs(instrument))
        return [AsyncRun(self._runner, info) for info in infos]

    async def retrieve(self, run_id: str) -> AsyncRun:
        """The run `run_id`."""
        info = await self._runner.send(calls.get_run(_run_id(run_id)))
        return AsyncRun(self._runner, info)


class AsyncSimulator(_Resource[AsyncTransport]):
    """`client.simulator` of `AsyncSemphony`."""

    async def reload(self, **placement: Unpack[Placement]) -> SimTruth:
        """Remount the specimen; the new ground truth."""
        return await self._runner.run(_sim(calls.sim_reload(_given(placement))))

    async def truth(self, *, x_mm: float | None = None, y_mm: float | None = None) -> SimTruth:
        """The specimen's placement relative to its first load."""
        return await self._runner.run(_sim(calls.sim_truth(x_mm, y_mm)))

    async def inject(self, fault: str, **params: Any) -> list[SimFault]:
        """Inject a fault; the active faults."""
        return await self._runner.run(_sim(_fault_call(fault, params)))

    async def clear_faults(self) -> list[SimFault]:
        """Remove every injected fault."""
        return await self._runner.run(_sim(calls.sim_clear_faults()))

    async def set_detector(self, **detector: Unpack[DetectorSettings]) -> InstrumentState:
        """Change the simulated detector's gain, offset or gamma; the state after."""
        return await self._runner.run(_sim(_detector_call(_given(detector))))


# ---------------------------------------------------------------------------------------------
# the clients


class _Resources:
    """The resources of a client, each declared once for the sync and the async side."""

    runs = Pair(Runs, AsyncRuns, per_session=False)
    rois = Pair(RoiRecords, AsyncRoiRecords, per_session=False)
    simulator = Pair(Simulator, AsyncSimulator, per_session=False)


class Semphony(_BaseClient[SyncTransport], _Resources, SyncSide):
    """The synchronous semphony client."""

    _transport_class = SyncTransport

    def health(self) -> Health:
        """Liveness, API version, server version and driver (checks the API version too)."""
        return self._transport.ensure_compatible(fresh=True)

    def device(self) -> DeviceInfo:
        """The device: driver, model, capabilities, limits, speed table, axis conventions."""
        return self._transport.send(calls.device())

    def state(self) -> InstrumentState:
        """The instrument's state now (a read; no session needed)."""
        return self._transport.send(calls.state())

    def audit(self, **filters: Unpack[AuditFilters]) -> list[AuditEntry]:
        """The whole audit log, oldest first (operators only): every request that tried to change
        something, refused ones included, filtered by `run_id=`, `session_id=`, `user=`,
        `action=`, `outcome=`, `outside_runs=`, `instrument=`; `after_id=` and `limit=` page
        through it."""
        return self._transport.send(calls.audit_log(filters))

    def close(self) -> None:
        """Close the connections and stop the embedded server, if this client started one."""
        if self._owns_transport:
            self._transport.close()
        if self._local is not None:
            self._local.stop()

    def __enter__(self) -> Semphony:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncSemphony(_BaseClient[AsyncTransport], _Resources, AsyncSide):
    """The asynchronous semphony client; matches `Semphony` method for method."""

    _transport_class = AsyncTransport

    async def health(self) -> Health:
        """Liveness, API version, server version and driver (checks the API version too)."""
        return await self._transport.ensure_compatible(fresh=True)

    async def device(self) -> DeviceInfo:
        """The device's description."""
        return await self._transport.send(calls.device())

    async def state(self) -> InstrumentState:
        """The instrument's state now (a read; no session needed)."""
        return await self._transport.send(calls.state())

    async def audit(self, **filters: Unpack[AuditFilters]) -> list[AuditEntry]:
        """The whole audit log, oldest first (operators only), filtered."""
        return await self._transport.send(calls.audit_log(filters))

    async def aclose(self) -> None:
        """Close the connections and stop the embedded server, if this client started one."""
        if self._owns_transport:
            await self._transport.aclose()
        if self._local is not None:
            self._local.stop()

    async def close(self) -> None:
        """Alias of `aclose()`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncSemphony:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
