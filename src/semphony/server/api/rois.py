"""Saved ROI records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from semphony.server.api._capacity import blocking
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import InstrumentQuery, RoiName
from semphony.server.deps import ActorDep, PrincipalDep, ServicesDep
from semphony.server.schemas import RoiRecordCreate

router = APIRouter(tags=["rois"], route_class=StrictJsonRoute)


@router.post("/v1/rois", operation_id="save_roi", status_code=201)
async def save_roi(
    request: Request,
    services: ServicesDep,
    actor: ActorDep,
    body: RoiRecordCreate,
    response: Response,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Save an ROI record: 201 when new, 200 when it replaced one (`overwrite=true`)."""
    record, created = await blocking(request, services.rois.save, actor, body, overwrite)
    response.status_code = 201 if created else 200
    return record


@router.get("/v1/rois", operation_id="list_rois")
async def list_rois(
    request: Request,
    services: ServicesDep,
    _: PrincipalDep,
    specimen_id: Annotated[str | None, Query(max_length=200)] = None,
    instrument: InstrumentQuery = None,
) -> dict[str, Any]:
    """List ROI records by instrument and name (every instrument's, or one's)."""
    return {"items": await blocking(request, services.rois.list, specimen_id, instrument)}


@router.get("/v1/rois/{name}", operation_id="get_roi")
async def get_roi(
    request: Request,
    services: ServicesDep,
    _: PrincipalDep,
    name: RoiName,
    instrument: InstrumentQuery = None,
) -> dict[str, Any]:
    """Get an ROI record: this instrument's, or `instrument`'s."""
    return await blocking(request, services.rois.get, name, instrument)
