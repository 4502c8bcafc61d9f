"""The `semphony` commands a newcomer reached for, and the rules for what they write and say."""

from __future__ import annotations

from pathlib import Path

import pytest

from semphony import __version__
from semphony.cli import main

SEED = 4


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One --local simulator folder shared by the module's calls."""
    return tmp_path_factory.mktemp("cli-sim") / "local"


def local(sim: Path, *args: str) -> list[str]:
    return [*args, "--local", "--data-dir", str(sim), "--seed", str(SEED)]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"semphony {__version__}"


def test_state_beam_chamber_and_stop_drive_the_instrument_by_hand(
    sim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(local(sim, "state"), capsys)
    assert code == 0, err
    assert "vacuum" in out
    assert "vented" in out
    code, out, err = run(local(sim, "beam", "on"), capsys)
    assert code == 1
    assert "require_vacuum_for_beam" in err  # the guardrail, said once
    code, out, err = run(local(sim, "chamber", "pump"), capsys)
    assert code == 0, err
    assert "chamber pumped" in out
    code, out, err = run(local(sim, "beam", "on"), capsys)
    assert code == 0, err
    assert "beam on" in out
    code, out, err = run(local(sim, "stop"), capsys)
    assert code == 0, err
    assert "beam on" in out  # stop leaves the beam as it is
    code, out, err = run(local(sim, "state"), capsys)
    assert "pumped" in out


def test_sim_reload_remounts_the_specimen_as_asked(
    sim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = local(sim, "sim", "reload", "--shift-x-um", "120", "--shift-y-um", "-40")
    code, out, err = run([*argv, "--rotation-deg", "2.5"], capsys)
    assert code == 0, err
    assert "(+120.0, -40.0) µm" in out
    assert "+2.500°" in out


def test_autofocus_after_a_height_change_then_auto_signal(
    sim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(local(sim, "chamber", "pump"), capsys)[0] == 0
    assert run(local(sim, "beam", "on"), capsys)[0] == 0
    assert run(local(sim, "sim", "reload", "--height-um", "80"), capsys)[0] == 0
    code, out, err = run(local(sim, "autofocus", "--fov-um", "40"), capsys)
    assert code == 0, err
    assert "in focus at WD" in out
    assert "sweep" in out
    code, out, err = run(local(sim, "auto-signal"), capsys)
    assert code == 0, err
    assert "signal spans" in out
    assert "(frames, 2 frames" in out
    assert "gain" in out


def test_sim_reload_sets_the_height(sim: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(local(sim, "sim", "reload", "--height-um", "-75"), capsys)
    assert code == 0, err
    assert "-75.0 µm higher" in out


def test_an_output_in_a_missing_folder_is_refused_and_no_folder_is_made(
    sim: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nonexistent" / "dir" / "n.tiff"
    code, _, err = run(local(sim, "acquire", "--fov-um", "100", "-o", str(target)), capsys)
    assert code == 2
    assert "-o/--output" in err
    assert "does not exist" in err
    assert not (tmp_path / "nonexistent").exists()


def test_an_existing_output_needs_overwrite(
    sim: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a.tiff"
    target.write_bytes(b"keep me")
    argv = local(sim, "acquire", "--fov-um", "100", "--resolution", "64x64", "-o", str(target))
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "--overwrite" in err
    assert target.read_bytes() == b"keep me"
    code, _, err = run([*argv, "--overwrite"], capsys)
    assert code == 0, err
    assert target.read_bytes().startswith((b"II*\x00", b"MM\x00*"))


def test_a_report_whose_suffix_is_no_format_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "never-started"
    argv = ["roi", "find", "x", "--report", str(tmp_path / "rep.jpg")]
    code, _, err = run([*argv, "--local", "--data-dir", str(fresh)], capsys)
    assert code == 2
    assert "--report" in err
    assert ".png, .pdf or .svg" in err or ".png or .pdf or .svg" in err
    assert not fresh.exists()  # no simulator was started for it


def test_a_bad_find_flag_names_the_flag_before_the_simulator_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "never-started"
    argv = ["roi", "find", "x", "--max-iterations-per-level", "0"]
    code, _, err = run([*argv, "--local", "--data-dir", str(fresh)], capsys)
    assert code == 2
    assert "--max-iterations-per-level" in err
    assert "max_iterations_per_level" not in err
    assert not fresh.exists()


def test_a_level_beyond_the_device_is_refused_before_the_first_acquisition(
    sim: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    levels = tmp_path / "levels"
    levels.mkdir()
    argv = local(sim, "roi", "save", "wide", "--l0-fov-um", "20000", "--out-dir", str(levels))
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "--l0-fov-um 20000" in err
    assert "10000" in err
    assert list(levels.iterdir()) == []  # nothing acquired, nothing written
    code, out, _ = run(local(sim, "roi", "list"), capsys)
    assert "wide" not in out


def test_a_refused_setting_is_said_once_naming_the_flag(
    sim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(local(sim, "acquire", "--fov-um", "100", "--mode", "XYZ"), capsys)
    assert code == 2
    assert "--mode 'XYZ'" in err
    assert err.count("XYZ") == 1
    assert "422" not in err
    assert "/v1/" not in err


def test_help_names_the_local_folder_and_local_clean_deletes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["acquire", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "~/.local/share/semphony/local" in help_text
    assert "semphony local clean" in help_text
    folder = tmp_path / "to-clean"
    code, _, err = run(["state", "--local", "--data-dir", str(folder)], capsys)
    assert code == 0, err
    assert folder.is_dir()
    code, _, err = run(["local", "clean", "--data-dir", str(folder)], capsys)
    assert code == 0, err
    assert not folder.exists()
    other = tmp_path / "not-a-sim"
    other.mkdir()
    code, _, err = run(["local", "clean", "--data-dir", str(other)], capsys)
    assert code == 2
    assert other.is_dir()  # not ours: left alone
