"""GET /v1/artifacts/{image_id}: the TIFF bytes, streamed from the download pool, with digest."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from semphony.server.api._capacity import Capacity, blocking, run_in
from semphony.server.api._json import StrictJsonRoute
from semphony.server.api._params import ImageId
from semphony.server.artifacts import repr_digest
from semphony.server.deps import PrincipalDep, ServicesDep

router = APIRouter(tags=["artifacts"], route_class=StrictJsonRoute)


async def _stream(capacity: Capacity, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    # Each read is a hop to the download pool: the event loop never touches the disk.
    try:
        while chunk := await run_in(capacity, "download", next, chunks, b""):
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


@router.get(
    "/v1/artifacts/{image_id}",
    operation_id="download_artifact",
    response_class=StreamingResponse,
    responses={200: {"content": {"image/tiff": {}}}},
)
async def download_artifact(
    request: Request, services: ServicesDep, _: PrincipalDep, image_id: ImageId
) -> StreamingResponse:
    """The image file as stored, with `Content-Length` and `Repr-Digest`."""
    artifact = await blocking(request, services.artifacts.open, image_id)
    return StreamingResponse(
        _stream(request.app.state.capacity, artifact.chunks),
        media_type=artifact.mime,
        headers={
            "Content-Length": str(artifact.size_bytes),
            "Repr-Digest": repr_digest(artifact.sha256),
        },
    )
