"""`semphony serve`: what it prints once it listens (the URL alone on stdout, which the SDK's
launcher reads; where the token is and the lines that use it on stderr, for the person), and the
lifeline flags `Semphony.local()` uses (`--watch-stdin`, `--remove-data-dir`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from semphony import Semphony


@contextmanager
def _serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "semphony.server", "--port", "0", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        lines = [process.stdout.readline().rstrip("\n")]
        while not lines[-1].startswith("  export SEMPHONY_TOKEN"):
            line = process.stderr.readline()
            assert line, "serve ended before printing how to use it"
            lines.append(line.rstrip("\n"))
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_prints_its_url_first_then_the_token_file_and_the_lines_that_use_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with _serve("--data-dir", str(data_dir), "--watch-stdin") as (process, lines):
        match = re.fullmatch(r"semphony control server listening on (http://\S+)", lines[0])
        assert match is not None, lines[0]
        url = match.group(1)
        token_file = (data_dir / "token").resolve()
        assert f"  export SEMPHONY_BASE_URL={url}" in lines
        assert f"  export SEMPHONY_TOKEN_FILE={token_file}" in lines
        assert f"operator token in {token_file} (lines of `role name token`)" in lines
        # The lines work as printed: the SDK reads the token from the file.
        env = {"SEMPHONY_BASE_URL": url, "SEMPHONY_TOKEN_FILE": str(token_file)}
        saved = {k: os.environ.get(k) for k in (*env, "SEMPHONY_TOKEN")}
        os.environ.update(env)
        os.environ.pop("SEMPHONY_TOKEN", None)
        try:
            with Semphony() as client:
                assert client.runs.create(name="from the printed lines").name
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        assert process.stdin is not None
        process.stdin.close()  # the launcher is gone
        assert process.wait(timeout=30) == 0
    assert data_dir.is_dir()  # kept: it was not made for this server alone


def test_with_remove_data_dir_the_folder_goes_when_standard_input_closes(tmp_path: Path) -> None:
    data_dir = tmp_path / "scratch"
    with _serve("--data-dir", str(data_dir), "--watch-stdin", "--remove-data-dir") as (
        process,
        _,
    ):
        assert data_dir.is_dir()
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    assert not data_dir.exists()


def test_a_token_given_on_the_command_line_is_never_printed(tmp_path: Path) -> None:
    secret = "a-token-given-on-the-command-line"
    with _serve("--data-dir", str(tmp_path), "--token", secret) as (_, lines):
        assert not any(secret in line for line in lines)
        assert "  export SEMPHONY_TOKEN=<the --token value>" in lines
