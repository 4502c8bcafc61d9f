"""GET /v1/artifacts/{image_id}: the TIFF bytes, streamed, with their digest."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from semphony.server.api._params import ImageId
from semphony.server.artifacts import repr_digest
from semphony.server.deps import PrincipalDep, ServiceDep

router = APIRouter(tags=["artifacts"])


@router.get(
    "/v1/artifacts/{image_id}",
    operation_id="download_artifact",
    response_class=StreamingResponse,
    responses={200: {"content": {"image/tiff": {}}}},
)
def download_artifact(service: ServiceDep, _: PrincipalDep, image_id: ImageId) -> StreamingResponse:
    """The image file as stored, with `Content-Length` and `Repr-Digest`."""
    artifact = service.artifact(image_id)
    return StreamingResponse(
        artifact.chunks,
        media_type=artifact.mime,
        headers={
            "Content-Length": str(artifact.size_bytes),
            "Repr-Digest": repr_digest(artifact.sha256),
        },
    )
