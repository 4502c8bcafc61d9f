"""`semphony sharksem-emulator`: the CLI starts the SharkSEM emulator with its own options."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

from semphony.cli import main


def test_the_emulator_starts_from_the_semphony_command_and_prints_its_ports() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "semphony.cli",
            "sharksem-emulator",
            "--port",
            "0",
            "--time-scale",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.fullmatch(
            r"sharksem emulator listening on 127\.0\.0\.1 control (\d+) data (\d+) side (\d+)\n",
            first,
        )
        assert match, first
        control, data, side = (int(g) for g in match.groups())
        assert (data, side) == (control + 1, control + 2)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_the_emulators_help_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sharksem-emulator", "--help"])
    out = capsys.readouterr().out
    assert "--time-scale" in out
    assert "--mirror-y" in out
