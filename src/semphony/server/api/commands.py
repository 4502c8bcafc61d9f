"""Commands on a session: chamber, beam, stop, stage, optics, detector, acquisitions."""

from __future__ import annotations

from fastapi import APIRouter, Request

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import SessionId
from semphony.server.deps import ActorDep, ServicesDep
from semphony.server.schemas import (
    AcquisitionConfig,
    AutofocusRequest,
    BeamRequest,
    DetectorRequest,
    InstrumentState,
    Operation,
    OpticsSettings,
    StageMove,
)

router = APIRouter(route_class=StrictJsonRoute)


@router.post(
    "/v1/sessions/{session_id}/chamber/pump",
    operation_id="pump_chamber",
    status_code=202,
    tags=["chamber"],
)
async def pump_chamber(
    request: Request, services: ServicesDep, actor: ActorDep, session_id: SessionId
) -> Operation:
    """Pump the chamber (operation)."""
    return await blocking(request, services.commands.pump, actor, session_id)


@router.post(
    "/v1/sessions/{session_id}/chamber/vent",
    operation_id="vent_chamber",
    status_code=202,
    tags=["chamber"],
)
async def vent_chamber(
    request: Request, services: ServicesDep, actor: ActorDep, session_id: SessionId
) -> Operation:
    """Vent the chamber (operation); refused while the beam is on."""
    return await blocking(request, services.commands.vent, actor, session_id)


@router.post("/v1/sessions/{session_id}/beam", operation_id="set_beam", tags=["beam"])
async def set_beam(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: BeamRequest,
) -> InstrumentState:
    """Switch the beam on (needs vacuum) or off (always allowed, never waits)."""
    return await blocking(request, services.commands.set_beam, actor, session_id, body)


@router.post("/v1/sessions/{session_id}/stop", operation_id="stop_session", tags=["stage"])
async def stop_session(
    request: Request, services: ServicesDep, actor: ActorDep, session_id: SessionId
) -> InstrumentState:
    """Stop the scan and the stage now; the beam stays as it is."""
    return await blocking(request, services.commands.stop, actor, session_id)


@router.post(
    "/v1/sessions/{session_id}/stage/move",
    operation_id="move_stage",
    status_code=202,
    tags=["stage"],
)
async def move_stage(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: StageMove,
) -> Operation:
    """Move the stage (operation); refused outside travel or clearance."""
    return await blocking(request, services.commands.move_stage, actor, session_id, body)


@router.post("/v1/sessions/{session_id}/optics", operation_id="set_optics", tags=["optics"])
async def set_optics(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: OpticsSettings,
) -> InstrumentState:
    """Change optics settings."""
    return await blocking(request, services.commands.set_optics, actor, session_id, body)


@router.post("/v1/sessions/{session_id}/detector", operation_id="set_detector", tags=["detectors"])
async def set_detector(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: DetectorRequest,
) -> InstrumentState:
    """Select the detector, its bit depth, gain and offset."""
    params = body.model_dump(mode="json", exclude_unset=True)
    return await blocking(
        request, services.commands.set_detector, actor, session_id, "detector.set", params
    )


@router.post(
    "/v1/sessions/{session_id}/acquisitions",
    operation_id="start_acquisition",
    status_code=202,
    tags=["acquisitions"],
)
async def start_acquisition(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: AcquisitionConfig,
) -> Operation:
    """Acquire an image (operation)."""
    return await blocking(request, services.acquisitions.start, actor, session_id, body)


@router.post(
    "/v1/sessions/{session_id}/autofocus",
    operation_id="autofocus",
    status_code=202,
    tags=["optics"],
)
async def autofocus(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    session_id: SessionId,
    body: AutofocusRequest,
) -> Operation:
    """Focus on the surface under the beam (operation)."""
    return await blocking(request, services.commands.autofocus, actor, session_id, body)


@router.post(
    "/v1/sessions/{session_id}/detector/auto-signal",
    operation_id="auto_signal",
    status_code=202,
    tags=["detectors"],
)
async def auto_signal(
    request: Request, services: ServicesDep, actor: ActorDep, session_id: SessionId
) -> Operation:
    """Set the detector's contrast and brightness so the image fills the range (operation)."""
    return await blocking(request, services.commands.auto_signal, actor, session_id)
