"""Image artifacts: TIFF files under ``data_dir/artifacts``, written atomically, hashed, served.

Each image is an ImageJ-flavoured TIFF written by tifffile:

- the physical pixel size is in the X/YResolution tags (pixels per µm) with the ImageJ ``unit=um``,
  so Fiji and napari show the right scale;
- the acquisition settings and instrument state are JSON in the ImageJ ``Info`` metadata (tifffile
  drops ``description`` in ImageJ mode, ``Info`` survives), readable back with ``read_metadata``.

``write`` never leaves a partial file under an artifact's name: it writes a temporary file in the
same directory, fsyncs it, renames it into place and fsyncs the directory. Image ids must match
``^[a-z0-9_-]{1,64}$``, so no id can name a path outside the artifact directory.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import tifffile

from semphony.server.errors import (
    ArtifactError,
    ArtifactExistsError,
    ArtifactNotFoundError,
    InvalidArtifactIdError,
)
from semphony.server.storage_faults import from_os

__all__ = [
    "ARTIFACT_DIRNAME",
    "IMAGE_ID_PATTERN",
    "TIFF_MIME",
    "ArtifactError",
    "ArtifactExistsError",
    "ArtifactInfo",
    "ArtifactMetadata",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "InvalidArtifactIdError",
    "read_metadata",
    "repr_digest",
]

ARTIFACT_DIRNAME = "artifacts"
ORPHANS_DIRNAME = "orphans"
TIFF_MIME = "image/tiff"
IMAGE_ID_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}$")
_SUFFIX = ".tiff"
_TMP_PREFIX = ".tmp-"
_INFO_FORMAT = "semphony.artifact/1"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ArtifactInfo:
    """What ``write`` produced: where (relative to the data dir), how big, and its sha256."""

    image_id: str
    path: str
    sha256: str
    size_bytes: int
    mime: str
    width: int
    height: int
    dtype: str
    pixel_size_um: float


@dataclass(frozen=True)
class ArtifactMetadata:
    """What a TIFF artifact says about itself."""

    image_id: str | None
    width: int
    height: int
    dtype: str
    pixel_size_um: float | None
    unit: str | None
    settings: dict[str, Any]


def repr_digest(sha256_hex: str) -> str:
    """The RFC 9530 ``Repr-Digest`` value for a sha256, e.g. ``sha-256=:47DEQp…=:``."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", sha256_hex):
        raise ValueError(f"sha256_hex: expected 64 hex digits, got {sha256_hex!r}")
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode('ascii')}:"


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class ArtifactStore:
    """TIFF image files under ``data_dir/artifacts``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.directory = self.data_dir / ARTIFACT_DIRNAME
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fault = from_os(exc, self.data_dir, "")
            raise (fault or ArtifactError(f"cannot make {self.directory}: {exc}")) from exc
        self._root = self.directory.resolve()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ArtifactStore({str(self.data_dir)!r})"

    def path_for(self, image_id: str) -> Path:
        """The absolute file path of ``image_id``; refuses ids that could leave the directory."""
        if not isinstance(image_id, str) or not IMAGE_ID_PATTERN.fullmatch(image_id):
            raise InvalidArtifactIdError(
                f"image_id: {image_id!r} must match {IMAGE_ID_PATTERN.pattern} "
                "(lower-case letters, digits, '_' and '-', at most 64)"
            )
        path = (self._root / f"{image_id}{_SUFFIX}").resolve()
        # Belt and braces: the pattern already excludes separators and dots, but a symlinked
        # artifact could still point elsewhere.
        if path.parent != self._root:
            raise InvalidArtifactIdError(f"image_id: {image_id!r} resolves outside {self._root}")
        return path

    def relative_path(self, image_id: str) -> str:
        """The path of ``image_id`` relative to the data dir, as recorded in the store."""
        self.path_for(image_id)
        return f"{ARTIFACT_DIRNAME}/{image_id}{_SUFFIX}"

    def exists(self, image_id: str) -> bool:
        """True when the artifact file exists."""
        return self.path_for(image_id).is_file()

    def write(
        self,
        image_id: str,
        pixels: npt.NDArray[np.generic],
        *,
        pixel_size_um: float,
        settings: Mapping[str, Any],
    ) -> ArtifactInfo:
        """Write a 2-D uint8/uint16 image atomically and return its size and sha256.

        ``settings`` (JSON-serialisable) is stored in the file's ImageJ ``Info`` metadata.
        """
        final = self.path_for(image_id)
        if not isinstance(pixels, np.ndarray) or pixels.ndim != 2:
            raise ValueError("pixels: must be a 2-D numpy array (rows, columns)")
        if pixels.dtype not in (np.dtype(np.uint8), np.dtype(np.uint16)):
            raise ValueError(f"pixels: dtype must be uint8 or uint16, got {pixels.dtype}")
        if pixels.size == 0:
            raise ValueError("pixels: the image is empty")
        if not (math.isfinite(pixel_size_um) and pixel_size_um > 0):
            raise ValueError(f"pixel_size_um: must be a finite number > 0, got {pixel_size_um}")
        try:
            info_text = json.dumps(
                {
                    "format": _INFO_FORMAT,
                    "image_id": image_id,
                    "pixel_size_um": pixel_size_um,
                    "settings": dict(settings),
                },
                allow_nan=False,
                sort_keys=True,
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"settings: not JSON-serialisable ({exc})") from exc
        height, width = (int(n) for n in pixels.shape)
        per_um = 1.0 / pixel_size_um
        tmp = self.directory / f"{_TMP_PREFIX}{image_id}-{secrets.token_hex(6)}{_SUFFIX}"
        with self._lock:
            if final.exists():
                raise ArtifactExistsError(f"image_id: {image_id!r} is already written")
            try:
                # Encoded in memory so the digest is of the very bytes written (no second pass).
                buffer = io.BytesIO()
                tifffile.imwrite(
                    buffer,
                    np.ascontiguousarray(pixels),
                    imagej=True,
                    resolution=(per_um, per_um),
                    metadata={"unit": "um", "axes": "YX", "Info": info_text},
                )
                encoded = buffer.getbuffer()
                sha, size = hashlib.sha256(encoded).hexdigest(), encoded.nbytes
                with tmp.open("xb") as fh:
                    fh.write(encoded)
                    fh.flush()
                    os.fsync(fh.fileno())
                del encoded
                os.replace(tmp, final)
                _fsync_dir(self.directory)
            except BaseException as exc:
                # Never a half-written file: the temporary goes, and so does a renamed file whose
                # directory entry could not be made durable.
                tmp.unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    final.unlink(missing_ok=True)
                    fault = from_os(exc, self.directory, f"the image {image_id}")
                    if fault is not None:
                        raise fault from exc
                raise
        return ArtifactInfo(
            image_id=image_id,
            path=self.relative_path(image_id),
            sha256=sha,
            size_bytes=size,
            mime=TIFF_MIME,
            width=width,
            height=height,
            dtype=str(pixels.dtype),
            pixel_size_um=pixel_size_um,
        )

    def _existing(self, image_id: str) -> Path:
        path = self.path_for(image_id)
        if not path.is_file():
            raise ArtifactNotFoundError(f"image_id: no artifact {image_id!r}")
        return path

    def size_bytes(self, image_id: str) -> int:
        """The artifact's size on disk."""
        return self._existing(image_id).stat().st_size

    def open_stream(self, image_id: str, chunk: int = _CHUNK) -> Iterator[bytes]:
        """The artifact's bytes in chunks; the file opens now and closes when the iterator ends."""
        if chunk < 1:
            raise ValueError(f"chunk: must be >= 1, got {chunk}")
        # Open eagerly so a missing file fails here, not in the middle of a response.
        fh = self._existing(image_id).open("rb")
        return _chunks(fh, chunk)

    def sha256(self, image_id: str) -> str:
        """The artifact's sha256, computed from its bytes now."""
        return _sha256_file(self._existing(image_id))[0]

    def verify(self, image_id: str, expected_sha256: str) -> bool:
        """True when the file's bytes hash to ``expected_sha256`` (False too when it is gone)."""
        try:
            actual = self.sha256(image_id)
        except ArtifactNotFoundError:
            return False
        return actual == expected_sha256.lower()

    def read_pixels(self, image_id: str) -> npt.NDArray[np.generic]:
        """The artifact's pixels."""
        return cast(npt.NDArray[np.generic], tifffile.imread(self._existing(image_id)))

    def read_metadata_of(self, image_id: str) -> ArtifactMetadata:
        """``read_metadata`` of a stored artifact."""
        return read_metadata(self._existing(image_id))

    def image_ids(self) -> list[str]:
        """The ids of the complete artifact files on disk."""
        return sorted(
            p.name[: -len(_SUFFIX)]
            for p in self.directory.glob(f"*{_SUFFIX}")
            if not p.name.startswith(_TMP_PREFIX)
            and IMAGE_ID_PATTERN.match(p.name[: -len(_SUFFIX)])
        )

    def set_aside(self, image_id: str) -> Path:
        """Move an artifact no record knows into ``data_dir/orphans`` (kept, out of the way)."""
        orphans = self.data_dir / ORPHANS_DIRNAME
        orphans.mkdir(exist_ok=True)
        target = orphans / f"{image_id}{_SUFFIX}"
        os.replace(self._existing(image_id), target)
        return target

    def remove(self, image_id: str) -> None:
        """Delete an artifact whose record could not be written (nothing refers to it)."""
        self.path_for(image_id).unlink(missing_ok=True)

    def remove_temporary_files(self) -> int:
        """At start-up: delete temp files a killed writer left behind; returns how many."""
        removed = 0
        for path in self.directory.glob(f"{_TMP_PREFIX}*"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed


def _chunks(fh: Any, chunk: int) -> Iterator[bytes]:
    with fh:
        while data := fh.read(chunk):
            yield data


def read_metadata(path: Path) -> ArtifactMetadata:
    """Read pixel size (from the resolution tags) and settings JSON (from ImageJ ``Info``) back."""
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            ij = tif.imagej_metadata or {}
            shape = page.shape
            dtype = str(page.dtype)
            x_res = page.tags.get("XResolution")
    except (OSError, tifffile.TiffFileError) as exc:
        raise ArtifactError(f"{path}: not a readable TIFF ({exc})") from exc
    pixel_size_um: float | None = None
    if x_res is not None:
        num, den = x_res.value
        # The resolution tags hold pixels per unit; the pixel size is its inverse.
        if num > 0 and den > 0:
            pixel_size_um = den / num
    unit = ij.get("unit")
    settings: dict[str, Any] = {}
    image_id: str | None = None
    info = ij.get("Info")
    if isinstance(info, str):
        try:
            parsed = json.loads(info)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("format") == _INFO_FORMAT:
            settings = cast(dict[str, Any], parsed.get("settings", {}))
            raw_id = parsed.get("image_id")
            image_id = raw_id if isinstance(raw_id, str) else None
    return ArtifactMetadata(
        image_id=image_id,
        width=int(shape[-1]),
        height=int(shape[-2]),
        dtype=dtype,
        pixel_size_um=pixel_size_um,
        unit=unit if isinstance(unit, str) else None,
        settings=settings,
    )
