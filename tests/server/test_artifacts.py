"""ArtifactStore: TIFFs with scale and settings, atomic writes, ids that cannot escape, digests."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st

from semphony.server.artifacts import (
    ARTIFACT_DIRNAME,
    ArtifactExistsError,
    ArtifactNotFoundError,
    ArtifactStore,
    InvalidArtifactIdError,
    read_metadata,
    repr_digest,
)
from semphony.server.errors import StorageError, StorageFullError

SETTINGS: dict[str, Any] = {
    "applied": {"fov_um": 100.0, "dwell_time_us": 1.0, "resolution": [64, 32], "mode": "SE"},
    "ignored_fields": ["detector_mode"],
    "stage": {"x_mm": 0.1, "y_mm": -0.2, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0},
}


def _image(dtype: type[np.unsignedinteger[Any]], height: int = 32, width: int = 64) -> Any:
    rng = np.random.default_rng(7)
    top = np.iinfo(dtype).max
    return rng.integers(0, top, size=(height, width), dtype=dtype, endpoint=True)


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_pixel_size_and_settings_read_back_with_tifffile(
    artifacts: ArtifactStore, dtype: type[np.unsignedinteger[Any]]
) -> None:
    pixels = _image(dtype)
    info = artifacts.write("img_1", pixels, pixel_size_um=100.0 / 64, settings=SETTINGS)
    path = artifacts.path_for("img_1")
    assert info.path == f"{ARTIFACT_DIRNAME}/img_1.tiff"
    assert (artifacts.data_dir / info.path).resolve() == path
    with tifffile.TiffFile(path) as tif:
        assert tif.is_imagej
        page = tif.pages.first
        num, den = page.tags["XResolution"].value
        y_num, y_den = page.tags["YResolution"].value
        ij = tif.imagej_metadata
        np.testing.assert_array_equal(tif.asarray(), pixels)
    assert ij is not None
    # Resolution tags hold pixels per µm, with ImageJ's unit naming µm.
    assert den / num == pytest.approx(100.0 / 64, rel=1e-9)
    assert y_den / y_num == pytest.approx(100.0 / 64, rel=1e-9)
    assert ij["unit"] == "um"
    info_json = json.loads(ij["Info"])
    assert info_json["settings"] == SETTINGS
    assert info_json["image_id"] == "img_1"

    meta = read_metadata(path)
    assert meta.pixel_size_um == pytest.approx(100.0 / 64, rel=1e-9)
    assert meta.unit == "um"
    assert meta.settings == SETTINGS
    assert (meta.width, meta.height) == (64, 32)
    assert meta.dtype == np.dtype(dtype).name
    assert (info.width, info.height) == (64, 32)


@settings(max_examples=25, deadline=None)
@given(pixel_size_um=st.floats(min_value=1e-4, max_value=1e3))
def test_any_pixel_size_round_trips_through_the_resolution_tags(
    tmp_path_factory: pytest.TempPathFactory, pixel_size_um: float
) -> None:
    store = ArtifactStore(tmp_path_factory.mktemp("px"))
    store.write("img", np.zeros((3, 5), np.uint8), pixel_size_um=pixel_size_um, settings={})
    meta = store.read_metadata_of("img")
    assert meta.pixel_size_um == pytest.approx(pixel_size_um, rel=1e-6)


def test_the_recorded_sha256_and_size_match_the_bytes_on_disk(artifacts: ArtifactStore) -> None:
    info = artifacts.write("img_2", _image(np.uint16), pixel_size_um=0.5, settings=SETTINGS)
    raw = artifacts.path_for("img_2").read_bytes()
    assert info.sha256 == hashlib.sha256(raw).hexdigest()
    assert info.size_bytes == len(raw) == artifacts.size_bytes("img_2")
    assert info.mime == "image/tiff"
    assert artifacts.verify("img_2", info.sha256)
    assert artifacts.verify("img_2", info.sha256.upper())


def test_verify_fails_when_the_bytes_change_or_the_file_is_gone(artifacts: ArtifactStore) -> None:
    info = artifacts.write("img_3", _image(np.uint8), pixel_size_um=0.5, settings={})
    path = artifacts.path_for("img_3")
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert not artifacts.verify("img_3", info.sha256)
    path.unlink()
    assert not artifacts.verify("img_3", info.sha256)


def test_open_stream_yields_the_file_bytes_in_chunks(artifacts: ArtifactStore) -> None:
    artifacts.write("img_4", _image(np.uint16), pixel_size_um=0.5, settings=SETTINGS)
    chunks = list(artifacts.open_stream("img_4", chunk=1000))
    assert b"".join(chunks) == artifacts.path_for("img_4").read_bytes()
    assert all(len(c) == 1000 for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= 1000


def test_a_missing_artifact_is_not_found(artifacts: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFoundError):
        artifacts.open_stream("img_none")
    assert not artifacts.exists("img_none")


def test_an_artifact_is_never_replaced(artifacts: ArtifactStore) -> None:
    artifacts.write("img_5", _image(np.uint8), pixel_size_um=0.5, settings={})
    before = artifacts.path_for("img_5").read_bytes()
    with pytest.raises(ArtifactExistsError):
        artifacts.write("img_5", _image(np.uint16), pixel_size_um=0.5, settings={})
    assert artifacts.path_for("img_5").read_bytes() == before


def test_a_write_that_fails_midway_leaves_no_file_behind(
    artifacts: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_write(fh: Any, data: Any, **kwargs: Any) -> None:
        fh.write(b"II*\x00" + b"\x00" * 4096)  # the start of a TIFF, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tifffile, "imwrite", half_write)
    with pytest.raises(StorageFullError, match="is full") as err:
        artifacts.write("img_6", _image(np.uint8), pixel_size_um=0.5, settings={})
    assert (err.value.status, err.value.reason) == (507, "storage.full")
    assert not artifacts.exists("img_6")
    assert os.listdir(artifacts.directory) == []


def test_a_failing_fsync_leaves_no_file_behind(
    artifacts: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(StorageError, match="Input/output") as err:
        artifacts.write("img_7", _image(np.uint8), pixel_size_um=0.5, settings={})
    assert (err.value.status, err.value.reason) == (503, "storage.error")
    monkeypatch.undo()
    assert os.listdir(artifacts.directory) == []


def test_temporary_files_left_by_a_killed_writer_are_removed_at_start_up(
    artifacts: ArtifactStore,
) -> None:
    artifacts.write("img_8", _image(np.uint8), pixel_size_um=0.5, settings={})
    (artifacts.directory / ".tmp-img_9-abc.tiff").write_bytes(b"II*\x00partial")
    assert artifacts.remove_temporary_files() == 1
    assert os.listdir(artifacts.directory) == ["img_8.tiff"]


@pytest.mark.parametrize(
    "image_id",
    [
        "../secret",
        "../../etc/passwd",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "..",
        ".",
        "",
        "img.tiff",
        "IMG",
        "a\x00b",
        "x" * 65,
        "img 1",
        "%2e%2e",
    ],
)
def test_artifact_ids_that_could_escape_or_are_malformed_are_refused(
    artifacts: ArtifactStore, image_id: str
) -> None:
    with pytest.raises(InvalidArtifactIdError, match="image_id") as info:
        artifacts.path_for(image_id)
    assert info.value.reason == "artifact.invalid_id"
    with pytest.raises(InvalidArtifactIdError):
        artifacts.write(image_id, _image(np.uint8), pixel_size_um=1.0, settings={})
    with pytest.raises(InvalidArtifactIdError):
        artifacts.open_stream(image_id)
    assert os.listdir(artifacts.directory) == []


def test_an_artifact_symlinked_outside_the_directory_is_refused(
    artifacts: ArtifactStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.tiff"
    outside.write_bytes(b"not yours")
    (artifacts.directory / "evil.tiff").symlink_to(outside)
    with pytest.raises(InvalidArtifactIdError, match="outside"):
        artifacts.open_stream("evil")


@pytest.mark.parametrize(
    ("pixels", "pixel_size_um", "match"),
    [
        (np.zeros((2, 2, 2), np.uint8), 1.0, "2-D"),
        (np.zeros((2, 2), np.float32), 1.0, "uint8 or uint16"),
        (np.zeros((0, 2), np.uint8), 1.0, "empty"),
        (np.zeros((2, 2), np.uint8), 0.0, "pixel_size_um"),
        (np.zeros((2, 2), np.uint8), float("nan"), "pixel_size_um"),
    ],
)
def test_images_that_are_not_2d_integer_frames_with_a_real_pixel_size_are_refused(
    artifacts: ArtifactStore, pixels: npt.NDArray[Any], pixel_size_um: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        artifacts.write("img_bad", pixels, pixel_size_um=pixel_size_um, settings={})
    assert os.listdir(artifacts.directory) == []


def test_settings_that_are_not_json_are_refused(artifacts: ArtifactStore) -> None:
    with pytest.raises(ValueError, match="settings"):
        artifacts.write(
            "img_bad", np.zeros((2, 2), np.uint8), pixel_size_um=1.0, settings={"x": object()}
        )
    assert os.listdir(artifacts.directory) == []


def test_pixels_read_back_equal_what_was_written(artifacts: ArtifactStore) -> None:
    pixels = _image(np.uint16, height=17, width=5)
    artifacts.write("img_10", pixels, pixel_size_um=2.0, settings={})
    np.testing.assert_array_equal(artifacts.read_pixels("img_10"), pixels)


def test_repr_digest_matches_the_rfc_9530_example_for_an_empty_body() -> None:
    empty = hashlib.sha256(b"").hexdigest()
    assert repr_digest(empty) == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


@given(data=st.binary(max_size=256))
def test_repr_digest_carries_the_base64_of_the_raw_digest(data: bytes) -> None:
    value = repr_digest(hashlib.sha256(data).hexdigest())
    assert value.startswith("sha-256=:")
    assert value.endswith(":")
    assert base64.b64decode(value[len("sha-256=:") : -1]) == hashlib.sha256(data).digest()


def test_repr_digest_refuses_what_is_not_a_sha256() -> None:
    with pytest.raises(ValueError, match="64 hex"):
        repr_digest("abc")
