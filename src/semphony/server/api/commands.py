"""Commands on a session: chamber, beam, stage, optics, acquisitions."""

from __future__ import annotations

from fastapi import APIRouter

from semphony.server.api._params import SessionId
from semphony.server.deps import ActorDep, ServiceDep
from semphony.server.schemas import (
    AcquisitionConfig,
    BeamRequest,
    InstrumentState,
    Operation,
    OpticsSettings,
    StageMove,
)

router = APIRouter()


@router.post(
    "/v1/sessions/{session_id}/chamber/pump",
    operation_id="pump_chamber",
    status_code=202,
    tags=["chamber"],
)
def pump_chamber(service: ServiceDep, actor: ActorDep, session_id: SessionId) -> Operation:
    """Pump the chamber (operation)."""
    return service.pump(actor, session_id)


@router.post(
    "/v1/sessions/{session_id}/chamber/vent",
    operation_id="vent_chamber",
    status_code=202,
    tags=["chamber"],
)
def vent_chamber(service: ServiceDep, actor: ActorDep, session_id: SessionId) -> Operation:
    """Vent the chamber (operation); refused while the beam is on."""
    return service.vent(actor, session_id)


@router.post("/v1/sessions/{session_id}/beam", operation_id="set_beam", tags=["beam"])
def set_beam(
    service: ServiceDep, actor: ActorDep, session_id: SessionId, body: BeamRequest
) -> InstrumentState:
    """Switch the beam on (needs vacuum) or off (always allowed)."""
    return service.set_beam(actor, session_id, body)


@router.post("/v1/sessions/{session_id}/stop", operation_id="stop_session", tags=["stage"])
def stop_session(service: ServiceDep, actor: ActorDep, session_id: SessionId) -> InstrumentState:
    """Stop the scan and the stage now; the beam stays as it is."""
    return service.stop(actor, session_id)


@router.post(
    "/v1/sessions/{session_id}/stage/move",
    operation_id="move_stage",
    status_code=202,
    tags=["stage"],
)
def move_stage(
    service: ServiceDep, actor: ActorDep, session_id: SessionId, body: StageMove
) -> Operation:
    """Move the stage (operation); refused outside travel or clearance."""
    return service.move_stage(actor, session_id, body)


@router.post("/v1/sessions/{session_id}/optics", operation_id="set_optics", tags=["optics"])
def set_optics(
    service: ServiceDep, actor: ActorDep, session_id: SessionId, body: OpticsSettings
) -> InstrumentState:
    """Change optics settings."""
    return service.set_optics(actor, session_id, body)


@router.post(
    "/v1/sessions/{session_id}/acquisitions",
    operation_id="start_acquisition",
    status_code=202,
    tags=["acquisitions"],
)
def start_acquisition(
    service: ServiceDep, actor: ActorDep, session_id: SessionId, body: AcquisitionConfig
) -> Operation:
    """Acquire an image (operation)."""
    return service.start_acquisition(actor, session_id, body)
