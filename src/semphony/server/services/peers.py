"""Another instrument's image files: each server keeps its own artifacts in its data dir.

When a request names an image another instrument's server recorded (the reference images of an
ROI saved there), this server reads it from the shared artifact folder when one is configured
(``--shared-artifacts``: every instrument's data dir reachable as ``FOLDER/INSTRUMENT``), else
downloads it from the owning server at the URL recorded with its instrument claim
(``serve --public-url``), presenting ``--peer-token``. Either way the bytes are checked against the
digest the owner recorded before they are served: nothing unverified is passed on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx

from semphony.server.errors import ProblemError
from semphony.server.settings import ServerSettings
from semphony.server.store import ArtifactRecord, Store

__all__ = ["PEER_TIMEOUT_S", "peer_artifact"]

PEER_TIMEOUT_S = 30.0
_CHUNK = 1 << 20


def _unreachable(record: ArtifactRecord, why: str) -> ProblemError:
    return ProblemError(
        502,
        f"image {record.image_id} belongs to instrument {record.instrument!r}, whose files are "
        f"kept by its own server: {why}",
        reason="instrument.unreachable",
    )


def peer_artifact(
    settings: ServerSettings, store: Store, record: ArtifactRecord
) -> tuple[Iterator[bytes], int]:
    """The chunks and size of another instrument's verified image file."""
    if settings.shared_artifacts is not None:
        data = _from_folder(settings.shared_artifacts / record.instrument, record)
    else:
        data = _from_peer(settings, store, record)
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise _unreachable(record, "the file found does not match the recorded digest")
    return iter([data[i : i + _CHUNK] for i in range(0, len(data), _CHUNK)] or [b""]), len(data)


def _from_folder(folder: Path, record: ArtifactRecord) -> bytes:
    path = (folder / record.path).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise _unreachable(record, "its recorded path leaves the shared artifact folder")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreachable(
            record, f"cannot read {path} in the shared artifact folder ({exc.strerror})"
        ) from exc


def _from_peer(settings: ServerSettings, store: Store, record: ArtifactRecord) -> bytes:
    claim = store.instruments.get(record.instrument)
    url = claim.public_url if claim is not None else None
    if not url:
        raise _unreachable(
            record,
            "it recorded no public URL (start it with --public-url) and this server has no "
            "--shared-artifacts folder",
        )
    headers = {}
    if settings.peer_token is not None:
        headers["Authorization"] = f"Bearer {settings.peer_token.get_secret_value()}"
    target = f"{url.rstrip('/')}/v1/artifacts/{record.image_id}"
    try:
        response = httpx.get(target, headers=headers, timeout=PEER_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise _unreachable(record, f"cannot reach it at {url} ({exc})") from exc
    if response.status_code in (401, 403):
        raise _unreachable(
            record,
            f"it refused this server's request ({response.status_code}); give --peer-token a "
            "token it accepts",
        )
    if response.status_code != 200:
        raise _unreachable(record, f"it answered {response.status_code} at {url}")
    return response.content
