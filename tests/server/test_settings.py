"""ServerSettings: safe defaults, refused combinations, token files, secret-free reprs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from semphony.server.settings import (
    LOCAL_TOKEN_FILENAME,
    ServerSettings,
    TokenFileError,
    is_loopback_host,
    provision_local_token,
    read_token_file,
)

OPERATOR = "op-secret-Token-123"
VIEWER = "viewer-secret-Token-456"


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_defaults_bind_loopback_on_the_documented_port(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path)
    assert settings.host == "127.0.0.1"
    assert settings.port == 8712
    assert settings.driver == "sim"
    assert settings.specimen_kind == "texture"
    assert settings.lease_s == 30
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.idempotency_ttl_s == 86400
    assert settings.url() == "http://127.0.0.1:8712"
    assert settings.url(port=40001) == "http://127.0.0.1:40001"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path)
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


def test_a_non_loopback_host_without_tls_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        ServerSettings(data_dir=tmp_path, host="0.0.0.0", operator_token=SecretStr(OPERATOR))
    message = str(info.value)
    assert "host" in message
    assert "TLS" in message
    assert "insecure" in message


def test_insecure_allows_a_non_loopback_host_without_tls(tmp_path: Path) -> None:
    settings = ServerSettings(
        data_dir=tmp_path, host="0.0.0.0", insecure=True, operator_token=SecretStr(OPERATOR)
    )
    assert settings.host == "0.0.0.0"
    assert settings.scheme == "http"


def test_tls_allows_a_non_loopback_host(tmp_path: Path) -> None:
    cert = _write(tmp_path / "cert.pem", "cert")
    key = _write(tmp_path / "key.pem", "key")
    settings = ServerSettings(
        data_dir=tmp_path,
        host="10.1.2.3",
        tls_cert=cert,
        tls_key=key,
        operator_token=SecretStr(OPERATOR),
    )
    assert settings.url() == "https://10.1.2.3:8712"


def test_a_non_loopback_host_without_an_operator_token_is_refused_even_when_insecure(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValidationError, match="operator_token"):
        ServerSettings(data_dir=tmp_path, host="192.168.0.5", insecure=True)


def test_a_tls_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    cert = _write(tmp_path / "cert.pem", "cert")
    with pytest.raises(ValidationError, match="tls_cert and tls_key"):
        ServerSettings(data_dir=tmp_path, tls_cert=cert)


def test_a_missing_tls_key_file_is_refused(tmp_path: Path) -> None:
    cert = _write(tmp_path / "cert.pem", "cert")
    with pytest.raises(ValidationError, match="tls_key"):
        ServerSettings(data_dir=tmp_path, tls_cert=cert, tls_key=tmp_path / "absent.pem")


def test_a_specimen_image_needs_its_pixel_size(tmp_path: Path) -> None:
    image = _write(tmp_path / "specimen.png", "png")
    with pytest.raises(ValidationError, match="specimen_pixel_um"):
        ServerSettings(data_dir=tmp_path, specimen_path=image)
    with pytest.raises(ValidationError, match="specimen_path"):
        ServerSettings(data_dir=tmp_path, specimen_pixel_um=0.5)


def test_a_specimen_image_with_its_pixel_size_replaces_the_synthetic_kind(tmp_path: Path) -> None:
    image = _write(tmp_path / "specimen.png", "png")
    settings = ServerSettings(data_dir=tmp_path, specimen_path=image, specimen_pixel_um=0.5)
    assert settings.specimen_kind is None
    assert settings.specimen_pixel_um == 0.5


def test_a_specimen_kind_and_a_specimen_image_together_are_refused(tmp_path: Path) -> None:
    image = _write(tmp_path / "specimen.png", "png")
    with pytest.raises(ValidationError, match="not both"):
        ServerSettings(
            data_dir=tmp_path,
            specimen_kind="periodic",
            specimen_path=image,
            specimen_pixel_um=0.5,
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("realtime", -0.1),
        ("port", 70000),
        ("port", -1),
        ("lease_s", 0),
        ("max_body_bytes", 0),
        ("idempotency_ttl_s", -5),
        ("specimen_kind", "marble"),
        ("driver", "zeiss"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_field(
    tmp_path: Path, field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as info:
        ServerSettings.model_validate({"data_dir": tmp_path, field: value})
    assert field in str(info.value)


def test_port_zero_means_pick_a_free_port_and_is_accepted(tmp_path: Path) -> None:
    assert ServerSettings(data_dir=tmp_path, port=0).port == 0


def test_tokens_never_appear_in_repr_str_or_json(tmp_path: Path) -> None:
    settings = ServerSettings(
        data_dir=tmp_path, operator_token=SecretStr(OPERATOR), viewer_token=SecretStr(VIEWER)
    )
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert OPERATOR not in text
        assert VIEWER not in text
    assert settings.operator_token is not None
    assert settings.operator_token.get_secret_value() == OPERATOR


def test_the_same_token_for_both_roles_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="each user needs a token of their own"):
        ServerSettings(
            data_dir=tmp_path, operator_token=SecretStr(OPERATOR), viewer_token=SecretStr(OPERATOR)
        )


def test_a_token_with_whitespace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="operator_token"):
        ServerSettings(data_dir=tmp_path, operator_token=SecretStr("two words"))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("sem.example.org", False),
    ],
)
def test_loopback_hosts_are_recognised(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# ---------------------------------------------------------------------------------- token files


def _users(path: Path) -> dict[str, tuple[str, str]]:
    return {u.name: (u.role, u.token.get_secret_value()) for u in read_token_file(path).users}


def test_a_token_file_names_its_users_and_skips_comments(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "tokens",
        f"# who may do what\n\noperator ada {OPERATOR}\n  viewer   grace   {VIEWER}  \n",
    )
    parsed = read_token_file(path)
    assert _users(path) == {"ada": ("operator", OPERATOR), "grace": ("viewer", VIEWER)}
    assert parsed.warnings == ()
    assert OPERATOR not in repr(parsed)
    assert VIEWER not in str(parsed)


def test_old_role_token_lines_still_read_named_after_their_role_with_a_warning(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / "tokens", f"operator {OPERATOR}\nviewer {VIEWER}\n")
    parsed = read_token_file(path)
    assert _users(path) == {"operator": ("operator", OPERATOR), "viewer": ("viewer", VIEWER)}
    assert len(parsed.warnings) == 1
    assert "old `role token` form" in parsed.warnings[0]
    assert "line(s) 1, 2" in parsed.warnings[0]


def test_several_operators_each_with_their_own_token(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "tokens", f"operator ada {OPERATOR}\noperator grace {OPERATOR}-grace\n"
    )
    assert set(_users(path)) == {"ada", "grace"}


def test_a_short_token_is_refused_naming_the_line_and_the_rule(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", "operator ada short-token\n")
    with pytest.raises(TokenFileError, match=r"line 1: the token has 11 characters; .*at least 16"):
        read_token_file(path)


def test_an_unknown_role_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", f"operator ada {OPERATOR}\nadmin bob {VIEWER}\n")
    with pytest.raises(TokenFileError, match=r"line 2: unknown role 'admin'"):
        read_token_file(path)


def test_a_role_without_a_token_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", "# header\noperator\n")
    with pytest.raises(TokenFileError, match=r"line 2: expected `role name token`"):
        read_token_file(path)


def test_a_repeated_user_is_refused_naming_both_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "tokens",
        f"operator ada {OPERATOR}\nviewer bob {VIEWER}\noperator ada x{VIEWER}\n",
    )
    with pytest.raises(TokenFileError, match=r"line 3: the user 'ada' is given again.*line 1"):
        read_token_file(path)


def test_a_token_shared_by_two_users_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", f"operator ada {OPERATOR}\nviewer bob {OPERATOR}\n")
    with pytest.raises(TokenFileError, match=r"line 2: this token is also line 1's"):
        read_token_file(path)


def test_a_bad_user_name_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", f"operator -ada {OPERATOR}\n")
    with pytest.raises(TokenFileError, match="user name '-ada'"):
        read_token_file(path)


def test_a_world_readable_token_file_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", f"operator ada {OPERATOR}\n", mode=0o644)
    parsed = read_token_file(path)
    assert parsed.first("operator") is not None
    assert len(parsed.warnings) == 1
    assert "chmod 600" in parsed.warnings[0]
    assert OPERATOR not in parsed.warnings[0]


def test_a_missing_token_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="absent"):
        read_token_file(tmp_path / "absent")


visible_tokens = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=16, max_size=80
)


@given(operator=visible_tokens, viewer=visible_tokens)
def test_any_visible_ascii_tokens_round_trip_through_a_token_file(
    tmp_path_factory: pytest.TempPathFactory, operator: str, viewer: str
) -> None:
    # A token starting with '#' is fine: only a line *starting* with '#' is a comment.
    if operator == viewer:
        viewer = viewer[::-1] + "x"
    path = _write(
        tmp_path_factory.mktemp("tok") / "tokens", f"viewer v {viewer}\noperator o {operator}\n"
    )
    assert _users(path) == {"v": ("viewer", viewer), "o": ("operator", operator)}


def test_from_options_merges_the_command_line_and_the_token_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", f"viewer grace {VIEWER}\n")
    settings = ServerSettings.from_options(token=OPERATOR, token_file=path, data_dir=tmp_path)
    users = {u.name: (u.role, u.token.get_secret_value()) for u in settings.all_users}
    assert users == {"grace": ("viewer", VIEWER), "operator": ("operator", OPERATOR)}


def test_from_options_refuses_a_user_given_twice(tmp_path: Path) -> None:
    path = _write(tmp_path / "tokens", f"operator operator {OPERATOR}\n")
    with pytest.raises(TokenFileError, match="'operator' is also given by"):
        ServerSettings.from_options(token="another-token-0123", token_file=path, data_dir=tmp_path)


def test_from_options_refuses_an_empty_command_line_token(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="--viewer-token: the token is empty"):
        ServerSettings.from_options(token=OPERATOR, viewer_token="", data_dir=tmp_path)


def test_a_short_command_line_token_is_refused_with_the_rule(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="--token: the token has 5 characters"):
        ServerSettings.from_options(token="short", data_dir=tmp_path)


# ------------------------------------------------------------------------------ generated token


def test_a_loopback_server_without_a_token_gets_a_private_generated_one(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = provision_local_token(ServerSettings(data_dir=data_dir))
    (user,) = settings.all_users
    token = user.token.get_secret_value()
    assert (user.name, user.role) == ("operator", "operator")
    assert len(token) >= 32
    path = data_dir / LOCAL_TOKEN_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == f"operator operator {token}\n"
    parsed = read_token_file(path)
    assert parsed.warnings == ()
    # A restart reuses the token, so clients holding it keep working.
    again = provision_local_token(ServerSettings(data_dir=data_dir))
    assert [u.token.get_secret_value() for u in again.all_users] == [token]
    assert not [p for p in os.listdir(data_dir) if p.endswith(".tmp")]


def test_a_configured_token_is_kept_and_nothing_is_written(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path / "data", operator_token=SecretStr(OPERATOR))
    assert provision_local_token(settings) is settings
    assert not (tmp_path / "data" / LOCAL_TOKEN_FILENAME).exists()
