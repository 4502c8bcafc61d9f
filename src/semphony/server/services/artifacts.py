"""Artifacts: an image file ready to stream, with its size and recorded digest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from semphony.server.errors import InvalidArtifactIdError, ProblemError
from semphony.server.services._context import ServiceContext
from semphony.server.services.peers import peer_artifact

__all__ = ["ArtifactFile", "ArtifactService"]

_CHUNK = 1 << 20  # 1 MiB: few hops to the download pool per file


@dataclass(frozen=True)
class ArtifactFile:
    """An artifact ready to stream: its chunks (the file is open), size, sha256 and type."""

    chunks: Iterator[bytes]
    size_bytes: int
    sha256: str
    mime: str


class ArtifactService:
    """Open stored image files for download."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def open(self, image_id: str) -> ArtifactFile:
        """The artifact's file, opened (another instrument's: fetched, see `peers`); 404 when
        there is no such artifact."""
        ctx = self._ctx
        record = ctx.store.artifacts.find(image_id)
        missing = ProblemError(404, f"no artifact with id {image_id!r}", reason="not_found")
        if record is None:
            raise missing
        if record.instrument != ctx.store.instrument:
            chunks, size = peer_artifact(ctx.settings, ctx.store, record)
            return ArtifactFile(
                chunks=chunks, size_bytes=size, sha256=record.sha256, mime=record.mime
            )
        try:
            size = ctx.artifacts.size_bytes(image_id)
            chunks = ctx.artifacts.open_stream(image_id, _CHUNK)
        except InvalidArtifactIdError as exc:
            raise missing from exc
        return ArtifactFile(chunks=chunks, size_bytes=size, sha256=record.sha256, mime=record.mime)
