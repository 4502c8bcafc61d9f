"""The token flow: the SDK reads `SEMPHONY_TOKEN` or the file `SEMPHONY_TOKEN_FILE` names, refuses
a whole token-file line given as the token, and masks only whole tokens in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from semphony import Semphony
from semphony._base_client import resolve_options, token_from_file
from semphony._exceptions import SemphonyError
from semphony._wire import mask_token

URL = "http://127.0.0.1:8712"


def _token(environ: dict[str, str], token: str | None = None) -> str:
    options = resolve_options(
        base_url=URL, token=token, timeout_s=None, max_retries=None, environ=environ
    )
    return options.token


def test_the_operator_line_of_a_token_file_is_the_token(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("# made by semphony serve\nviewer v-123\noperator o-456\n")
    assert _token({"SEMPHONY_TOKEN_FILE": str(path)}) == "o-456"
    assert _token({"SEMPHONY_TOKEN_FILE": str(path), "SEMPHONY_TOKEN_ROLE": "viewer"}) == "v-123"


def test_named_user_lines_are_read_too_and_a_name_picks_its_line(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text("operator alice a-token\noperator bob b-token\nviewer carol c-token\n")
    assert _token({"SEMPHONY_TOKEN_FILE": str(path)}) == "a-token"
    assert _token({"SEMPHONY_TOKEN_FILE": str(path), "SEMPHONY_TOKEN_USER": "bob"}) == "b-token"


def test_an_explicit_token_and_semphony_token_come_before_the_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("operator from-file\n")
    env = {"SEMPHONY_TOKEN_FILE": str(path), "SEMPHONY_TOKEN": "from-env"}
    assert _token(env) == "from-env"
    assert _token(env, token="given") == "given"


def test_a_file_without_the_wanted_line_says_which_line_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("viewer v-123\n")
    with pytest.raises(SemphonyError, match="role 'operator'"):
        _token({"SEMPHONY_TOKEN_FILE": str(path)})
    with pytest.raises(SemphonyError, match="cannot read"):
        _token({"SEMPHONY_TOKEN_FILE": str(tmp_path / "missing")})


def test_a_token_file_line_given_as_the_token_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="SEMPHONY_TOKEN_FILE") as caught:
        Semphony(base_url=URL, token="operator Zk3v9Xb0q")
    assert "pass only the token" in str(caught.value)
    assert "Zk3v9Xb0q" not in str(caught.value)  # the secret itself is not repeated


def test_token_from_file_accepts_a_single_bare_token() -> None:
    assert token_from_file("just-a-token\n") == "just-a-token"
    assert token_from_file("") is None


@pytest.mark.parametrize(
    ("text", "token", "masked"),
    [
        ("Not Found", "o", "Not Found"),  # never inside a word
        ("bad token o here", "o", "bad token *** here"),
        ("Bearer abc123 rejected", "abc123", "Bearer *** rejected"),
        ("abc123abc123", "abc123", "abc123abc123"),
        ("token=abc123, again abc123.", "abc123", "token=***, again ***."),
    ],
)
def test_masking_replaces_only_whole_tokens(text: str, token: str, masked: str) -> None:
    assert mask_token(text, token) == masked
