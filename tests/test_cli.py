"""The `semphony` command, run in-process against `--local` simulators in temporary data dirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tifffile

from semphony import Semphony
from semphony._cli_connect import LOCAL_SETTINGS_FILE, default_local_dir
from semphony._cli_render import describe_error
from semphony._exceptions import error_from_response
from semphony.cli import main
from semphony.client import NotFoundError
from semphony.roi import _findability

SEED = 11
REASON = "range.stage_travel"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One persistent simulator state shared by the module's calls (each call starts a server)."""
    return tmp_path_factory.mktemp("semphony-local")


def local(data_dir: Path, *args: str) -> list[str]:
    return [*args, "--local", "--data-dir", str(data_dir), "--seed", str(SEED)]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_acquire_on_a_fresh_local_simulator_prepares_it_and_writes_a_tiff_with_pixel_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "image.tiff"
    argv = local(tmp_path / "sim", "acquire", "--fov-um", "100", "--resolution", "128x96")
    code, stdout, err = run([*argv, "-o", str(out)], capsys)
    assert code == 0, err
    assert "pumping the chamber (it is vented)" in stdout
    assert "switching the beam on" in stdout
    assert f"acquired {out}: 128×96 px" in stdout
    with tifffile.TiffFile(out) as tif:
        page = tif.pages.first
        assert page.shape == (96, 128)
        numerator, denominator = page.tags["XResolution"].value
        assert tif.imagej_metadata is not None
        assert tif.imagej_metadata["unit"] == "um"
    assert denominator / numerator == pytest.approx(100 / 128)
    settings = json.loads((tmp_path / "sim" / LOCAL_SETTINGS_FILE).read_text())
    assert settings["seed"] == SEED


def test_against_a_server_a_guardrail_refusal_exits_1_and_preparing_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Semphony.local(seed=SEED) as server:  # vented, beam off
        argv = ["acquire", "--fov-um", "100", "--resolution", "64x64", "--url", server.base_url]
        argv += ["--token", server.options.token]
        code, _, err = run(argv, capsys)
        assert code == 1
        assert "require_beam_on_for_scan" in err
        assert "beam is off" in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1

        out = tmp_path / "after.tiff"
        code, stdout, err = run([*argv, "--prepare", "-o", str(out)], capsys)
        assert code == 0, err
        assert "pumping the chamber" in stdout
        assert out.exists()


@pytest.mark.parametrize("resolution", ["10x", "x10", "axb", "10x10x10"])
def test_a_malformed_resolution_exits_2_naming_the_option(
    resolution: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(local(data_dir, "acquire", "--resolution", resolution), capsys)
    assert code == 2
    assert "--resolution" in err
    assert resolution in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_negative_fov_exits_2_naming_the_field(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(local(data_dir, "acquire", "--fov-um", "-5"), capsys)
    assert code == 2
    assert "fov_um" in err
    assert "-5" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_negative_roi_level_fov_exits_2_naming_the_field(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(local(data_dir, "roi", "save", "x", "--l1-fov-um", "-300"), capsys)
    assert code == 2
    assert "l1_fov_um" in err


def test_another_seed_for_an_existing_data_dir_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / LOCAL_SETTINGS_FILE).write_text(json.dumps({"seed": 1, "specimen_kind": None}))
    argv = ["acquire", "--local", "--data-dir", str(tmp_path), "--seed", "2"]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "--seed 2" in err
    assert "seed 1" in err


def test_url_and_local_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["roi", "list", "--local", "--data-dir", str(tmp_path), "--url", "http://127.0.0.1:9"]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "--url" in err
    assert "--local" in err


def test_without_a_server_or_local_the_command_says_how_to_choose(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SEMPHONY_BASE_URL", raising=False)
    code, _, err = run(["roi", "list"], capsys)
    assert code == 2
    assert "SEMPHONY_BASE_URL" in err
    assert "--local" in err


def test_an_unreachable_server_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    code, _, err = run(["roi", "list", "--url", "http://127.0.0.1:9", "--token", "t"], capsys)
    assert code == 1
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_default_local_data_dir_follows_semphony_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEMPHONY_HOME", str(tmp_path))
    assert default_local_dir() == tmp_path / "local"


def test_a_range_refusal_by_the_server_is_bad_input_and_names_its_reason() -> None:
    # What the server answers: 409, a conflict with this instrument, not a failure.
    problem = {"status": 409, "detail": "x_mm=80 is outside [-50, 50] mm", "reason": REASON}
    error = error_from_response(409, problem, method="POST", url="/m", request_id=None)
    described = describe_error(error)
    assert described is not None
    code, message = described
    assert code == 2
    assert "x_mm=80" in message
    assert REASON in message
    assert "\n" not in message


def test_a_value_the_server_refused_is_named_by_its_flag() -> None:
    message = "dwell_time_us=0.001 is outside [0.05, 100] µs"
    problem = {
        "status": 409,
        "detail": message,
        "reason": "range.acquisition",
        "errors": [{"field": "body.dwell_time_us", "rule": "range", "message": message}],
    }
    error = error_from_response(409, problem, method="POST", url="/a", request_id=None)
    described = describe_error(error)
    assert described is not None
    assert described == (2, f"--dwell-us: {message} (reason range.acquisition)")


def test_a_missing_roi_is_a_failure_not_bad_input() -> None:
    problem = {"status": 404, "detail": "no ROI named 'nope'", "reason": "not_found"}
    described = describe_error(NotFoundError(status_code=404, problem=problem))
    assert described is not None
    assert described[0] == 1
    assert "nope" in described[1]


def test_an_unexpected_error_is_left_to_show_its_traceback() -> None:
    assert describe_error(KeyError("bug")) is None


def test_an_roi_saved_in_one_call_is_listed_and_found_in_later_calls(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "levels").mkdir()
    save = local(
        data_dir,
        *("roi", "save", "site_a", "--resolution", "128x128", "--x-mm", "0.4", "--y-mm", "-0.2"),
        *("--out-dir", str(tmp_path / "levels")),
    )
    code, stdout, err = run(save, capsys)
    assert code == 0, err
    assert "saved ROI 'site_a'" in stdout
    assert sorted(p.name for p in (tmp_path / "levels").iterdir()) == [
        "site_a-l0.tiff",
        "site_a-l1.tiff",
        "site_a-l2.tiff",
        "site_a-roi.tiff",
    ]

    code, stdout, err = run(local(data_dir, "roi", "save", "site_a"), capsys)
    assert code == 1
    assert "site_a" in err
    assert "--overwrite" in err

    code, stdout, err = run(local(data_dir, "roi", "list"), capsys)
    assert code == 0, err
    assert "site_a" in stdout
    assert "l0:1500" in stdout

    report = tmp_path / "report.png"
    found = tmp_path / "found.tiff"
    find = local(data_dir, "roi", "find", "site_a", "--report", str(report), "-o", str(found))
    code, stdout, err = run(find, capsys)
    assert code == 0, err
    assert "found ROI 'site_a'" in stdout
    assert report.read_bytes().startswith(b"\x89PNG")
    with tifffile.TiffFile(found) as tif:
        assert tif.pages[0].shape == (128, 128)


def test_roi_save_prints_a_warning_for_a_bland_level(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every level counts as bland under an unreachable threshold: the printing is what is shown.
    monkeypatch.setattr(_findability, "FINDABILITY_THRESHOLD", 1e6)
    save = local(data_dir, "roi", "save", "bland_site", "--resolution", "128x128", "--overwrite")
    with pytest.warns(_findability.LowFindabilityWarning):
        code, stdout, err = run(save, capsys)
    assert code == 0, err
    assert "warning: level l0 has findability" in stdout
