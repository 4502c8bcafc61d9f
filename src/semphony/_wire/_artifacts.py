"""Artifact downloads: streamed into a temporary file beside the target, hashed while written,
checked against `Repr-Digest` and the recorded sha256, and renamed into place."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from semphony._exceptions import APIConnectionError, InvalidResponseError
from semphony._wire._failures import AttemptFailedError

__all__ = [
    "ARTIFACT_HEADERS",
    "CHUNK_BYTES",
    "Downloaded",
    "artifact_file",
    "artifact_path",
    "link_local",
]

ARTIFACT_HEADERS = {"Accept": "image/tiff, application/octet-stream, application/problem+json"}
CHUNK_BYTES = 1 << 20


def artifact_path(image_id: str) -> str:
    """The artifact's URL path."""
    return f"/v1/artifacts/{quote(image_id, safe='')}"


@dataclass(frozen=True)
class Downloaded:
    """An artifact written to disk: where, how many bytes, and its verified sha256 (hex)."""

    path: Path
    size_bytes: int
    sha256: str


def _digests(header: str | None) -> dict[str, bytes]:
    """RFC 9530 `Repr-Digest` members as {algorithm: digest bytes}; unreadable members skipped."""
    out: dict[str, bytes] = {}
    for member in (header or "").split(","):
        name, sep, value = member.strip().partition("=")
        value = value.strip()
        if sep and value.startswith(":") and value.endswith(":") and len(value) >= 2:
            try:
                out[name.strip().lower()] = base64.b64decode(value[1:-1], validate=True)
            except ValueError:
                continue
    return out


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _ArtifactFile:
    """A download in progress: a temporary file beside the target, hashed as it is written."""

    def __init__(self, target: Path, response: httpx.Response) -> None:
        self.target = target
        self.response = response
        if not self.target.parent.is_dir():
            raise FileNotFoundError(
                2, f"the folder {self.target.parent} does not exist", str(self.target.parent)
            )
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        self.temp = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.hash.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def abort(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)

    def commit(self, expected_sha256: str | None) -> Downloaded:
        """Verify length and digest and rename into place, or raise.

        The rename makes the file appear whole or not at all. It is not fsynced: the server keeps
        the durable copy with its sha256, so a local copy lost to a crash is downloaded again, and
        a flush to disk would cost more than the download itself on slow disks.
        """
        self.file.close()
        try:
            self._verify(expected_sha256)
        except AttemptFailedError:
            self.temp.unlink(missing_ok=True)
            raise
        # mkstemp creates 0600; a downloaded image gets the mode the user's umask asks for.
        os.chmod(self.temp, 0o666 & ~_umask())
        os.replace(self.temp, self.target)
        return Downloaded(path=self.target, size_bytes=self.size, sha256=self.hash.hexdigest())

    def _verify(self, expected_sha256: str | None) -> None:
        method, url = self.response.request.method, str(self.response.request.url)
        length = self.response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) != self.size:
            raise AttemptFailedError(
                APIConnectionError(
                    method=method,
                    url=url,
                    cause=f"the artifact ended after {self.size} of {length} bytes",
                ),
                retryable=True,
                retry_after=None,
            )
        got = self.hash.digest()
        announced = _digests(self.response.headers.get("repr-digest")).get("sha-256")
        wanted = [("Repr-Digest", announced)] if announced is not None else []
        if expected_sha256:
            wanted.append(("the acquisition's recorded sha256", bytes.fromhex(expected_sha256)))
        if not wanted:
            raise AttemptFailedError(
                InvalidResponseError(
                    f"{method} {self.response.request.url.path} sent no Repr-Digest: sha-256 "
                    "header, so the artifact cannot be verified",
                    status_code=self.response.status_code,
                    method=method,
                    url=url,
                ),
                retryable=False,
                retry_after=None,
            )
        for source, digest in wanted:
            if digest != got:
                raise AttemptFailedError(
                    InvalidResponseError(
                        f"the artifact from {self.response.request.url.path} does not match "
                        f"{source} (sha256 {got.hex()} != {digest.hex()}); nothing was written",
                        status_code=self.response.status_code,
                        method=method,
                        url=url,
                    ),
                    retryable=True,
                    retry_after=None,
                )


@contextmanager
def artifact_file(target: Path, response: httpx.Response) -> Iterator[_ArtifactFile]:
    """A download's temporary file, removed again if the stream breaks off while it is written."""
    sink = _ArtifactFile(target, response)
    try:
        yield sink
    except BaseException:
        sink.abort()
        raise


def link_local(
    folder: Path, image_id: str, target: Path, expected_sha256: str | None
) -> Downloaded | None:
    """The stored image `image_id` of a server on this machine, hard-linked to `target`, or None
    when it cannot be (not there, on another file system, or not matching its recorded digest).

    The link is made read-only, so that editing the file in place cannot change the server's
    stored image (which its recorded sha256 vouches for); the rest of the mode follows the umask.
    """
    source = folder / f"{image_id}.tiff"
    if not source.is_file():
        return None
    digest = hashlib.sha256()
    with open(source, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
        return None
    temp = target.with_name(f".{target.name}.{os.getpid()}.link")
    try:
        os.link(source, temp)
    except OSError:
        return None
    os.chmod(temp, 0o444 & ~_umask())
    os.replace(temp, target)
    return Downloaded(path=target, size_bytes=source.stat().st_size, sha256=digest.hexdigest())
