"""`client.rois`: list and retrieve the saved ROI records as typed `RoiRecord`s, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from semphony.client import AsyncSemphony, NotFoundError, Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.roi import RoiLevelRecord, RoiRecord
from tests._fixtures import local_client

CHEAP = AcquisitionConfig(resolution=(64, 64))


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    yield from local_client(seed=3)


@pytest.fixture(scope="module")
def saved(client: Semphony) -> dict[str, RoiRecord]:
    """Two one-level ROIs on two specimens, and one without a specimen."""
    run = client.runs.create(name="rois resource")
    records: dict[str, RoiRecord] = {}
    with run.session().start() as session:
        session.chamber.pump()
        session.beam.on()
        for name, specimen, x_mm in (
            ("on-w1", "w1", 0.1),
            ("on-w2", "w2", -0.1),
            ("loose", None, 0),
        ):
            session.stage.move_to(x=x_mm, y=0.05)
            records[name] = session.imaging.save_roi(
                RoiSpec(name=name, roi_fov_um=40.0), CHEAP, specimen_id=specimen, overwrite=True
            )
    return records


def test_rois_list_returns_every_saved_record_typed(
    client: Semphony, saved: dict[str, RoiRecord]
) -> None:
    listed = {record.name: record for record in client.rois.list()}
    assert set(saved) <= set(listed)
    for name, record in saved.items():
        assert listed[name] == record
    one = listed["on-w1"]
    assert isinstance(one, RoiRecord)
    assert isinstance(one.levels[0], RoiLevelRecord)
    assert one.levels[0].resolution == (64, 64)
    assert one.pose.x_mm == pytest.approx(0.1)
    assert one.specimen_id == "w1"
    assert one.created_at is not None


def test_rois_list_with_a_specimen_id_returns_only_that_specimens_records(
    client: Semphony, saved: dict[str, RoiRecord]
) -> None:
    assert [r.name for r in client.rois.list(specimen_id="w2")] == ["on-w2"]
    assert client.rois.list(specimen_id="no-such-wafer") == []


def test_rois_retrieve_returns_the_record_and_refuses_unknown_or_empty_names(
    client: Semphony, saved: dict[str, RoiRecord]
) -> None:
    assert client.rois.retrieve("loose") == saved["loose"]
    with pytest.raises(NotFoundError):
        client.rois.retrieve("not-saved")
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        client.rois.retrieve("")


def test_the_async_rois_resource_returns_the_same_records(
    client: Semphony, saved: dict[str, RoiRecord]
) -> None:
    async def scenario() -> tuple[list[RoiRecord], list[RoiRecord], RoiRecord]:
        async with AsyncSemphony(base_url=client.base_url, token=client.options.token) as c:
            everything = await c.rois.list()
            only_w1 = await c.rois.list(specimen_id="w1")
            one = await c.rois.retrieve("on-w2")
            with pytest.raises(NotFoundError):
                await c.rois.retrieve("not-saved")
            with pytest.raises(ValueError, match="name must be a non-empty string"):
                await c.rois.retrieve("")
            return everything, only_w1, one

    everything, only_w1, one = asyncio.run(scenario())
    assert everything == client.rois.list()
    assert only_w1 == [saved["on-w1"]]
    assert one == saved["on-w2"]
