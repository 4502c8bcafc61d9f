"""`Semphony` and `AsyncSemphony`: the clients, and the resources that hang off them.

They match method for method and differ only where they wait. Both take `base_url` and `token`
from their arguments or from `SEMPHONY_BASE_URL` / `SEMPHONY_TOKEN`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self

from semphony_api.api.rois import get_roi, list_rois
from semphony_api.api.runs import create_run, get_run, list_runs
from semphony_api.api.simulator import (
    sim_clear_faults,
    sim_inject_fault,
    sim_reload,
    sim_set_detector,
    sim_truth,
)
from semphony_api.api.system import get_device
from semphony_api.models.device_info import DeviceInfo
from semphony_api.models.health import Health
from semphony_api.models.instrument_state import InstrumentState as StateDoc
from semphony_api.models.roi_record import RoiRecord as RoiRecordDoc
from semphony_api.models.roi_record_list import RoiRecordList
from semphony_api.models.run import Run as RunDoc
from semphony_api.models.run_create import RunCreate
from semphony_api.models.run_list import RunList
from semphony_api.models.sim_detector import SimDetector
from semphony_api.models.sim_fault import SimFault
from semphony_api.models.sim_fault_list import SimFaultList
from semphony_api.models.sim_reload import SimReload
from semphony_api.models.sim_truth import SimTruth
from semphony_api.types import UNSET

from semphony._async_session import AsyncRun
from semphony._base_client import ClientOptions, resolve_options
from semphony._capabilities._base import parse_state
from semphony._exceptions import SemphonyError
from semphony._local import LocalServer
from semphony._state import InstrumentState
from semphony._transport import AsyncTransport, SyncTransport, TransportT
from semphony.session import Run

if TYPE_CHECKING:
    from semphony.roi._records import RoiRecord

__all__ = ["AsyncRun", "AsyncSemphony", "Semphony", "ServerHealth"]


@dataclass(frozen=True)
class ServerHealth:
    """What `GET /v1/health` says: liveness, API and server versions, and the device driver."""

    status: str
    api_version: str
    server_version: str
    driver: str

    @classmethod
    def _from(cls, doc: Health) -> ServerHealth:
        return cls(doc.status, doc.api_version, doc.server_version, doc.driver)


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not run_id:
        raise ValueError(f"run_id must be a non-empty string, got {run_id!r}")


def _run_body(name: str, description: str | None) -> RunCreate:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"runs.create: name must be a non-empty string, got {name!r}")
    return RunCreate(name=name, description=UNSET if description is None else description)


def _check_roi_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"rois.retrieve: name must be a non-empty string, got {name!r}")


def _require_sim(health: Health) -> None:
    if health.driver != "sim":
        raise SemphonyError(
            f"client.simulator needs the simulated microscope, but this control server runs the "
            f"{health.driver!r} driver; simulator controls exist only with the 'sim' driver"
        )


def _fault_body(fault: str, params: dict[str, Any]) -> SimFault:
    known = {"device_code", "device_message", "after_lines", "factor", "count"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"simulator.inject({fault!r}): unknown parameter(s) {unknown}; known: {sorted(known)}"
        )
    try:
        return SimFault.from_dict({"fault": fault, **params})
    except TypeError as exc:  # the generated Literal check of the fault name
        raise ValueError(f"simulator.inject: {exc}") from exc


def _detector_body(gain: float | None, offset: float | None, gamma: float | None) -> SimDetector:
    values = {"gain": gain, "offset": offset, "gamma": gamma}
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        raise ValueError("simulator.set_detector needs at least one of gain, offset, gamma")
    return SimDetector.from_dict(given)


def _reload_body(x: float | None, y: float | None, rotation: float | None) -> SimReload:
    values = {"shift_x_um": x, "shift_y_um": y, "rotation_deg": rotation}
    return SimReload.from_dict({k: v for k, v in values.items() if v is not None})


def _truth_query(x_mm: float | None, y_mm: float | None) -> dict[str, Any]:
    return {"x_mm": UNSET if x_mm is None else x_mm, "y_mm": UNSET if y_mm is None else y_mm}


class _Resource(Generic[TransportT]):
    """Something that hangs off a client and calls through its transport."""

    def __init__(self, transport: TransportT) -> None:
        self._transport = transport


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
        _transport: TransportT | None = None,
        _local: LocalServer | None = None,
    ) -> None:
        if _transport is None:
            options = resolve_options(
                base_url=base_url, token=token, timeout_s=timeout, max_retries=max_retries
            )
            _transport = self._open_transport(options)
            self._owns_transport = True
        else:
            self._owns_transport = False
        self._transport: TransportT = _transport
        self._local = _local
        self._mount(_transport)

    @classmethod
    def _open_transport(cls, options: ClientOptions) -> TransportT:
        """A new transport (with its own connection pool) of this client's kind."""
        raise NotImplementedError

    def _mount(self, transport: TransportT) -> None:
        """Hang the resources (`runs`, `rois`, `simulator`) off this client."""
        raise NotImplementedError

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

        `realtime` > 0 makes the simulator sleep that many real seconds per instrument second
        (demos); by default it never sleeps and costs only virtual time. Starting the child
        process blocks briefly, also for `AsyncSemphony` (it is not awaited)."""
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
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout_s"] = timeout
        if max_retries is not None:
            changes["max_retries"] = max_retries
        if poll_wait_s is not None:
            changes["poll_wait_s"] = poll_wait_s
        transport = self._transport.with_options(self._transport.options.replace(**changes))
        return type(self)(_transport=transport)


# ---------------------------------------------------------------------------------------------
# sync


class Runs(_Resource[SyncTransport]):
    """`client.runs`: create, list and retrieve runs."""

    def create(self, *, name: str, description: str | None = None) -> Run:
        """Create a run named `name`."""
        body = _run_body(name, description)
        return Run(
            self._transport, self._transport.call(create_run.sync_detailed, RunDoc, body=body)
        )

    def list(self) -> list[Run]:
        """Every run on the server, oldest first as the server orders them."""
        page = self._transport.call(list_runs.sync_detailed, RunList)
        return [Run(self._transport, doc) for doc in page.items]

    def retrieve(self, run_id: str) -> Run:
        """The run `run_id` (404 `NotFoundError` if there is none)."""
        _check_run_id(run_id)
        return Run(
            self._transport, self._transport.call(get_run.sync_detailed, RunDoc, run_id=run_id)
        )


class Rois(_Resource[SyncTransport]):
    """`client.rois`: the saved ROI records (`session.imaging.save_roi` saves them)."""

    # semphony.roi (numpy, scipy, scikit-image) is imported on first use, not with the client.

    def list(self, specimen_id: str | None = None) -> list[RoiRecord]:
        """Every saved ROI, or only those saved with `specimen_id`."""
        from semphony.roi._records import list_records

        return list_records(self._transport, specimen_id)

    def retrieve(self, name: str) -> RoiRecord:
        """The saved ROI `name` (404 `NotFoundError` if there is none)."""
        _check_roi_name(name)
        from semphony.roi._records import fetch_record

        return fetch_record(self._transport, name)


class Simulator(_Resource[SyncTransport]):
    """`client.simulator`: the simulated SEM's controls (only with the `sim` driver)."""

    def reload(
        self,
        *,
        shift_x_um: float | None = None,
        shift_y_um: float | None = None,
        rotation_deg: float | None = None,
    ) -> dict[str, Any]:
        """Remount the specimen, shifted (µm) and rotated (degrees); unset values are drawn from
        the seed. The new ground truth."""
        _require_sim(self._transport.ensure_compatible())
        body = _reload_body(shift_x_um, shift_y_um, rotation_deg)
        return self._transport.call(sim_reload.sync_detailed, SimTruth, body=body).to_dict()

    def truth(self, *, x_mm: float | None = None, y_mm: float | None = None) -> dict[str, Any]:
        """The specimen's placement relative to its first load; with `x_mm`, `y_mm`, where the
        point that lay there at first load lies now."""
        _require_sim(self._transport.ensure_compatible())
        query = _truth_query(x_mm, y_mm)
        return self._transport.call(sim_truth.sync_detailed, SimTruth, **query).to_dict()

    def inject(self, fault: str, **params: Any) -> dict[str, Any]:
        """Inject a fault (`scan_error`, `vacuum_loss`, `drop_move`, `slow`); the active faults."""
        body = _fault_body(fault, params)
        _require_sim(self._transport.ensure_compatible())
        return self._transport.call(
            sim_inject_fault.sync_detailed, SimFaultList, body=body
        ).to_dict()

    def clear_faults(self) -> dict[str, Any]:
        """Remove every injected fault; the (empty) list of active faults."""
        _require_sim(self._transport.ensure_compatible())
        return self._transport.call(sim_clear_faults.sync_detailed, SimFaultList).to_dict()

    def set_detector(
        self, *, gain: float | None = None, offset: float | None = None, gamma: float | None = None
    ) -> InstrumentState:
        """Change the simulated detector's gain, offset or gamma; the state after."""
        body = _detector_body(gain, offset, gamma)
        _require_sim(self._transport.ensure_compatible())
        doc = self._transport.call(sim_set_detector.sync_detailed, StateDoc, body=body)
        return parse_state(doc.to_dict())


class Semphony(_BaseClient[SyncTransport]):
    """The synchronous semphony client."""

    runs: Runs
    rois: Rois
    simulator: Simulator

    @classmethod
    def _open_transport(cls, options: ClientOptions) -> SyncTransport:
        return SyncTransport(options)

    def _mount(self, transport: SyncTransport) -> None:
        self.runs = Runs(transport)
        self.rois = Rois(transport)
        self.simulator = Simulator(transport)

    def health(self) -> ServerHealth:
        """Liveness, API version, server version and driver (checks the API version too)."""
        return ServerHealth._from(self._transport.ensure_compatible(fresh=True))

    def device(self) -> dict[str, Any]:
        """The device: driver, model, capabilities, limits, speed table, axis conventions."""
        return self._transport.call(get_device.sync_detailed, DeviceInfo).to_dict()

    def close(self) -> None:
        """Close the connections and stop the embedded server, if this client started one."""
        if self._owns_transport:
            self._transport.close()
        if self._local is not None:
            self._local.stop()

    def __enter__(self) -> Semphony:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# async


class AsyncRuns(_Resource[AsyncTransport]):
    """`client.runs` of `AsyncSemphony`."""

    async def create(self, *, name: str, description: str | None = None) -> AsyncRun:
        """Create a run named `name`."""
        body = _run_body(name, description)
        doc = await self._transport.call(create_run.asyncio_detailed, RunDoc, body=body)
        return AsyncRun(self._transport, doc)

    async def list(self) -> list[AsyncRun]:
        """Every run on the server."""
        page = await self._transport.call(list_runs.asyncio_detailed, RunList)
        return [AsyncRun(self._transport, doc) for doc in page.items]

    async def retrieve(self, run_id: str) -> AsyncRun:
        """The run `run_id`."""
        _check_run_id(run_id)
        doc = await self._transport.call(get_run.asyncio_detailed, RunDoc, run_id=run_id)
        return AsyncRun(self._transport, doc)


class AsyncRois(_Resource[AsyncTransport]):
    """`client.rois` of `AsyncSemphony`."""

    async def list(self, specimen_id: str | None = None) -> list[RoiRecord]:
        """Every saved ROI, or only those saved with `specimen_id`."""
        from semphony.roi._records import _parse

        page = await self._transport.call(
            list_rois.asyncio_detailed,
            RoiRecordList,
            specimen_id=UNSET if specimen_id is None else specimen_id,
        )
        return [_parse(doc) for doc in page.items]

    async def retrieve(self, name: str) -> RoiRecord:
        """The saved ROI `name` (404 `NotFoundError` if there is none)."""
        _check_roi_name(name)
        from semphony.roi._records import _parse

        return _parse(await self._transport.call(get_roi.asyncio_detailed, RoiRecordDoc, name=name))


class AsyncSimulator(_Resource[AsyncTransport]):
    """`client.simulator` of `AsyncSemphony`."""

    async def reload(
        self,
        *,
        shift_x_um: float | None = None,
        shift_y_um: float | None = None,
        rotation_deg: float | None = None,
    ) -> dict[str, Any]:
        """Remount the specimen; the new ground truth."""
        _require_sim(await self._transport.ensure_compatible())
        body = _reload_body(shift_x_um, shift_y_um, rotation_deg)
        doc = await self._transport.call(sim_reload.asyncio_detailed, SimTruth, body=body)
        return doc.to_dict()

    async def truth(
        self, *, x_mm: float | None = None, y_mm: float | None = None
    ) -> dict[str, Any]:
        """The specimen's placement relative to its first load."""
        _require_sim(await self._transport.ensure_compatible())
        query = _truth_query(x_mm, y_mm)
        return (await self._transport.call(sim_truth.asyncio_detailed, SimTruth, **query)).to_dict()

    async def inject(self, fault: str, **params: Any) -> dict[str, Any]:
        """Inject a fault; the active faults."""
        body = _fault_body(fault, params)
        _require_sim(await self._transport.ensure_compatible())
        doc = await self._transport.call(sim_inject_fault.asyncio_detailed, SimFaultList, body=body)
        return doc.to_dict()

    async def clear_faults(self) -> dict[str, Any]:
        """Remove every injected fault."""
        _require_sim(await self._transport.ensure_compatible())
        doc = await self._transport.call(sim_clear_faults.asyncio_detailed, SimFaultList)
        return doc.to_dict()

    async def set_detector(
        self, *, gain: float | None = None, offset: float | None = None, gamma: float | None = None
    ) -> InstrumentState:
        """Change the simulated detector's gain, offset or gamma; the state after."""
        body = _detector_body(gain, offset, gamma)
        _require_sim(await self._transport.ensure_compatible())
        doc = await self._transport.call(sim_set_detector.asyncio_detailed, StateDoc, body=body)
        return parse_state(doc.to_dict())


class AsyncSemphony(_BaseClient[AsyncTransport]):
    """The asynchronous semphony client; matches `Semphony` method for method."""

    runs: AsyncRuns
    rois: AsyncRois
    simulator: AsyncSimulator

    @classmethod
    def _open_transport(cls, options: ClientOptions) -> AsyncTransport:
        return AsyncTransport(options)

    def _mount(self, transport: AsyncTransport) -> None:
        self.runs = AsyncRuns(transport)
        self.rois = AsyncRois(transport)
        self.simulator = AsyncSimulator(transport)

    async def health(self) -> ServerHealth:
        """Liveness, API version, server version and driver (checks the API version too)."""
        return ServerHealth._from(await self._transport.ensure_compatible(fresh=True))

    async def device(self) -> dict[str, Any]:
        """The device's description."""
        return (await self._transport.call(get_device.asyncio_detailed, DeviceInfo)).to_dict()

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

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
