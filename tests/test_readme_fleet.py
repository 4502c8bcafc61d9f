"""The README's fleet example, run as written against two embedded simulated servers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tifffile

from semphony.client import Semphony

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text()
    match = re.search(r"<!-- fleet-example -->\n```python\n(.*?)^```$", text, re.M | re.S)
    assert match is not None, "README.md has no fleet example"
    return match.group(1)


def test_the_fleet_example_drives_two_servers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _example()
    fleet = re.compile(r"^INSTRUMENTS = \{.*?^\}\n", re.M | re.S)
    assert fleet.search(code), "the example names its instruments in one INSTRUMENTS dict"
    monkeypatch.chdir(tmp_path)
    with Semphony.local(seed=1) as a, Semphony.local(seed=2) as b:
        servers = {"sem-a": a, "sem-b": b}
        mapping = {n: (c.base_url, c.options.token) for n, c in servers.items()}
        exec(fleet.sub(lambda _: f"INSTRUMENTS = {mapping!r}\n", code), {"__name__": "fleet"})
        printed = capsys.readouterr().out.splitlines()
        assert printed == ["sem-a sem-a.tiff", "sem-b sem-b.tiff"]
        for name, client in servers.items():
            with tifffile.TiffFile(tmp_path / f"{name}.tiff") as tiff:
                assert tiff.pages[0].shape == (1024, 1024)
            runs = [r.name for r in client.runs.list()]
            assert f"overview-{name}" in runs
