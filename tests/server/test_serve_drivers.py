"""`semphony serve --driver`: unknown or unavailable drivers refused before anything is written,
an unreachable instrument is one line and exit 1."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from semphony.server.__main__ import main
from semphony.server.drivers import registry
from semphony.server.drivers.errors import DriverUnavailableError
from semphony.server.drivers.sim import SimDriver


class _Unreachable(SimDriver):
    def _do_address(self) -> str:
        return "127.0.0.1:9"

    def _do_open(self) -> None:
        raise DriverUnavailableError(self.address, "connection refused")


def unreachable(settings: Any) -> SimDriver:
    """A registry factory whose instrument never answers."""
    return _Unreachable()


def test_an_unknown_driver_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code = main(["--driver", "nonesuch", "--port", "0", "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "unknown driver 'nonesuch'" in err
    assert "sim" in err
    assert not data.exists()


def test_a_driver_that_cannot_be_loaded_is_refused_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = registry.DriverEntry("broken", "a driver whose module is missing", "no.such:f")
    monkeypatch.setattr(registry, "DRIVERS", (*registry.DRIVERS, entry))
    data = tmp_path / "data"
    code = main(["--driver", "broken", "--port", "0", "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "driver 'broken' is not available here" in err
    assert not data.exists()


def test_an_unreachable_instrument_is_one_line_naming_the_address_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = registry.DriverEntry("away", "never answers", f"{__name__}:unreachable")
    monkeypatch.setattr(registry, "DRIVERS", (*registry.DRIVERS, entry))
    data = tmp_path / "data"
    code = main(["--driver", "away", "--port", "0", "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "cannot reach the instrument at 127.0.0.1:9: connection refused" in err
    assert not (data / "token").exists()


def test_the_help_lists_the_drivers_installed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in registry.names():
        assert name in out


def test_serve_tescan_takes_its_host_and_port_and_an_unreachable_one_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "data"
    args = ["--driver", "tescan", "--tescan-host", "127.0.0.1", "--tescan-port", str(port)]
    code = main([*args, "--port", "0", "--data-dir", str(data)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert f"cannot reach the instrument at 127.0.0.1:{port}" in err
