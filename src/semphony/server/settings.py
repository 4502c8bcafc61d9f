"""The control server's settings: one frozen, validated object built once at start-up.

``ServerSettings`` refuses unsafe combinations instead of guessing: a non-loopback address needs TLS
(or an explicit ``insecure=True``), and running without any token is allowed only on loopback.

Tokens come from three places, all merged by ``ServerSettings.from_options``: ``--token``
(operator), ``--viewer-token`` and ``--token-file``, a text file of ``role token`` lines (roles
``operator`` and ``viewer``; blank lines and lines starting with ``#`` are skipped). Tokens are held
as ``SecretStr``, so no ``repr``/``str`` of the settings ever shows them.

When no operator token is configured on loopback, ``provision_local_token`` generates one and writes
it to ``data_dir/token`` (mode 0600) in the token-file format (``operator <token>``), so the SDK's
``Semphony.local()`` -- or ``semphony serve --token-file DATA_DIR/token`` -- can read it back. An
existing ``data_dir/token`` is reused, so clients keep working across restarts.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "LOCAL_TOKEN_FILENAME",
    "Role",
    "ServerSettings",
    "SpecimenKind",
    "TokenFile",
    "TokenFileError",
    "default_data_dir",
    "is_loopback_host",
    "provision_local_token",
    "read_token_file",
]

_log = logging.getLogger(__name__)

Role = Literal["operator", "viewer"]
SpecimenKind = Literal["texture", "periodic", "sparse"]

LOCAL_TOKEN_FILENAME = "token"
_ROLES: tuple[Role, ...] = ("operator", "viewer")
_MIB = 1024 * 1024


class TokenFileError(ValueError):
    """A token file (or a command-line token) breaks a rule; the message names where."""


def default_data_dir() -> Path:
    """``$SEMPHONY_DATA_DIR``, else ``$XDG_DATA_HOME/semphony``, or ``~/.local/share/semphony``."""
    explicit = os.environ.get("SEMPHONY_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "semphony"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback IP literal (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        # A host name other than localhost may resolve anywhere: treat it as exposed.
        return False


def _check_token(token: str, where: str) -> None:
    if not token:
        raise TokenFileError(f"{where}: the token is empty; a token must be at least one character")
    # Tokens travel in an `Authorization: Bearer` header and the token file splits on whitespace:
    # only visible ASCII survives both.
    bad = [c for c in token if not (0x21 <= ord(c) <= 0x7E)]
    if bad:
        raise TokenFileError(
            f"{where}: the token contains {len(bad)} character(s) outside visible ASCII "
            "(no spaces, control or non-ASCII characters)"
        )


@dataclass(frozen=True)
class TokenFile:
    """Tokens read from a token file, plus any warnings about the file itself (e.g. permissions)."""

    operator: SecretStr | None
    viewer: SecretStr | None
    warnings: tuple[str, ...] = ()


def read_token_file(path: Path) -> TokenFile:
    """Parse a ``role token`` file; unknown roles, empty tokens and repeated roles are refused.

    A file readable by group or others is accepted with a warning (returned and logged).
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TokenFileError(f"token file {path}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise TokenFileError(f"token file {path}: not UTF-8 text") from exc
    warnings: list[str] = []
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(
            f"token file {path} is readable by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"restrict it with: chmod 600 {path}"
        )
    found: dict[Role, tuple[SecretStr, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"token file {path}, line {lineno}"
        parts = line.split()
        if len(parts) != 2:
            raise TokenFileError(
                f"{where}: expected `role token` (two fields), found {len(parts)} field(s)"
            )
        role_text, token = parts
        if role_text not in _ROLES:
            raise TokenFileError(
                f"{where}: unknown role {role_text!r}; roles are {', '.join(_ROLES)}"
            )
        role: Role = "operator" if role_text == "operator" else "viewer"
        _check_token(token, where)
        if role in found:
            raise TokenFileError(
                f"{where}: role {role!r} is given again (first on line {found[role][1]}); "
                "give each role once"
            )
        found[role] = (SecretStr(token), lineno)
    for message in warnings:
        _log.warning("%s", message)
    op = found.get("operator")
    viewer = found.get("viewer")
    return TokenFile(
        operator=op[0] if op else None,
        viewer=viewer[0] if viewer else None,
        warnings=tuple(warnings),
    )


class ServerSettings(BaseModel):
    """Validated, immutable settings of one control server process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    driver: str = Field("sim", description="a registered driver (drivers.registry)")
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8712, ge=0, le=65535, description="0 picks a free port")
    data_dir: Path = Field(default_factory=default_data_dir)
    operator_token: SecretStr | None = None
    viewer_token: SecretStr | None = None
    seed: int = 0
    # Exactly one specimen source: a synthetic kind, or an image file with its pixel size. The kind
    # defaults to "texture" when no image is given and is None when one is.
    specimen_kind: SpecimenKind | None = None
    specimen_path: Path | None = None
    specimen_pixel_um: float | None = Field(None, gt=0, allow_inf_nan=False)
    realtime: float = Field(0.0, ge=0, allow_inf_nan=False, description="0 = never sleep")
    tls_cert: Path | None = None
    tls_key: Path | None = None
    insecure: bool = False
    lease_s: float = Field(30.0, gt=0, allow_inf_nan=False)
    max_body_bytes: int = Field(_MIB, gt=0)
    # A request's head, then its body, must arrive within these (server.timeouts).
    header_timeout_s: float = Field(10.0, gt=0, le=3600, allow_inf_nan=False)
    body_timeout_s: float = Field(10.0, gt=0, le=3600, allow_inf_nan=False)
    idempotency_ttl_s: float = Field(86400.0, gt=0, allow_inf_nan=False)
    tescan_host: str = "127.0.0.1"
    tescan_port: int = Field(8300, ge=1, le=65535)

    @model_validator(mode="before")
    @classmethod
    def _default_specimen_kind(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("specimen_path") is None
            and data.get("specimen_kind") is None
        ):
            return {**data, "specimen_kind": "texture"}
        return data

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        from semphony.server.drivers.registry import names

        if value not in names():
            raise ValueError(f"unknown driver {value!r}; the drivers are: {', '.join(names())}")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        if self.specimen_path is not None and self.specimen_kind is not None:
            raise ValueError(
                "specimen_kind and specimen_path: give a synthetic specimen kind or a specimen "
                "image, not both"
            )
        if (self.specimen_path is None) != (self.specimen_pixel_um is None):
            raise ValueError(
                "specimen_path and specimen_pixel_um: give both (an image and its pixel size in "
                "µm) or neither"
            )
        if self.specimen_path is not None and not self.specimen_path.is_file():
            raise ValueError(f"specimen_path: {self.specimen_path} is not a readable file")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key: give both (certificate and key) or neither")
        for name, path in (("tls_cert", self.tls_cert), ("tls_key", self.tls_key)):
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: {path} is not a readable file")
        loopback = is_loopback_host(self.host)
        if not loopback and not self.tls_enabled and not self.insecure:
            raise ValueError(
                f"host: {self.host!r} is not a loopback address and no TLS certificate is given; "
                "tokens and commands would cross the network in clear text. Give tls_cert and "
                "tls_key (--tls-cert/--tls-key), or insecure=True (--insecure) to accept the risk"
            )
        if not loopback and self.operator_token is None:
            raise ValueError(
                f"operator_token: required when serving on the non-loopback host {self.host!r}; "
                "a generated token is only allowed on loopback"
            )
        for name, token in (
            ("operator_token", self.operator_token),
            ("viewer_token", self.viewer_token),
        ):
            if token is not None:
                try:
                    _check_token(token.get_secret_value(), name)
                except TokenFileError as exc:
                    raise ValueError(str(exc)) from None
        if (
            self.operator_token is not None
            and self.viewer_token is not None
            and secrets.compare_digest(
                self.operator_token.get_secret_value().encode(),
                self.viewer_token.get_secret_value().encode(),
            )
        ):
            raise ValueError(
                "viewer_token: equals the operator token; each token must identify one role"
            )
        return self

    @property
    def tls_enabled(self) -> bool:
        """True when the server serves HTTPS."""
        return self.tls_cert is not None

    @property
    def scheme(self) -> Literal["http", "https"]:
        """``https`` with TLS, else ``http``."""
        return "https" if self.tls_enabled else "http"

    def url(self, port: int | None = None) -> str:
        """The base URL to print; pass the bound port when ``port`` was 0."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port if port is None else port}"

    @property
    def local_token_path(self) -> Path:
        """Where ``provision_local_token`` keeps a generated operator token."""
        return self.data_dir / LOCAL_TOKEN_FILENAME

    @classmethod
    def from_options(
        cls,
        *,
        token: str | None = None,
        viewer_token: str | None = None,
        token_file: Path | None = None,
        **options: Any,
    ) -> ServerSettings:
        """Settings from CLI options, merging ``--token``, ``--viewer-token`` and a token file.

        A role given both on the command line and in the file is refused (which one should win is
        not ours to guess). Raises ``TokenFileError`` or pydantic's ``ValidationError``.
        """
        operator = SecretStr(token) if token is not None else None
        viewer = SecretStr(viewer_token) if viewer_token is not None else None
        if operator is not None:
            _check_token(operator.get_secret_value(), "--token")
        if viewer is not None:
            _check_token(viewer.get_secret_value(), "--viewer-token")
        if token_file is not None:
            parsed = read_token_file(token_file)
            if parsed.operator is not None:
                if operator is not None:
                    raise TokenFileError(
                        f"token file {token_file}: the operator token is also given by --token; "
                        "give it once"
                    )
                operator = parsed.operator
            if parsed.viewer is not None:
                if viewer is not None:
                    raise TokenFileError(
                        f"token file {token_file}: the viewer token is also given by "
                        "--viewer-token; give it once"
                    )
                viewer = parsed.viewer
        return cls(operator_token=operator, viewer_token=viewer, **options)


def provision_local_token(settings: ServerSettings) -> ServerSettings:
    """Return settings that have an operator token, generating one on loopback if none is set.

    A generated token is written to ``settings.local_token_path`` (mode 0600, ``operator <token>``)
    or read back from it when it already exists. Settings with a token are returned unchanged.
    """
    if settings.operator_token is not None:
        return settings
    if not is_loopback_host(settings.host):  # the validator already refuses this; keep it explicit
        raise ValueError("operator_token: required when serving on a non-loopback host")
    path = settings.local_token_path
    if path.exists():
        existing = read_token_file(path)
        if existing.operator is not None:
            return settings.model_copy(update={"operator_token": existing.operator})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # Created 0600 from the start (never briefly world-readable), then renamed into place.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"operator {token}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return settings.model_copy(update={"operator_token": SecretStr(token)})
