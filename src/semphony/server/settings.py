"""The control server's settings: one frozen, validated object built once at start-up.

``ServerSettings`` refuses unsafe combinations instead of guessing: a non-loopback address needs TLS
(or an explicit ``insecure=True``), and running without any token is allowed only on loopback.

Users (`semphony.server.users`) come from three places, all merged by
``ServerSettings.from_options``: ``--token`` (the user ``operator``), ``--viewer-token`` (the user
``viewer``) and ``--token-file`` (``role name token`` lines).

When no operator is configured on loopback, ``provision_local_token`` generates a token and writes
it to ``data_dir/token`` (mode 0600) in the token-file format (``operator operator <token>``), so
the SDK's ``Semphony.local()`` -- or ``SEMPHONY_TOKEN_FILE=DATA_DIR/token`` -- can read it back. An
existing ``data_dir/token`` is reused, so clients keep working across restarts.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from semphony.server.store.instruments import INSTRUMENT_PATTERN
from semphony.server.users import (
    Role,
    TokenFile,
    TokenFileError,
    User,
    check_token,
    merge_users,
    read_token_file,
    token_line,
)

__all__ = [
    "LOCAL_TOKEN_FILENAME",
    "Role",
    "ServerSettings",
    "SpecimenKind",
    "TokenFile",
    "TokenFileError",
    "User",
    "default_data_dir",
    "is_loopback_host",
    "provision_local_token",
    "read_token_file",
]

_log = logging.getLogger(__name__)

SpecimenKind = Literal["texture", "periodic", "sparse"]

LOCAL_TOKEN_FILENAME = "token"
_MIB = 1024 * 1024


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


class ServerSettings(BaseModel):
    """Validated, immutable settings of one control server process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    driver: str = Field("sim", description="a registered driver (drivers.registry)")
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8712, ge=0, le=65535, description="0 picks a free port")
    data_dir: Path = Field(default_factory=default_data_dir)
    # None: the embedded SQLite database in data_dir. A postgresql:// URL (it may hold a
    # password, hence secret): the store lives there; artifacts and the token stay in data_dir.
    database_url: SecretStr | None = None
    # The instrument this server drives: every record it writes names it. "local" suits the
    # embedded database; with a shared one each server must be given a name of its own.
    instrument: str = Field("local", pattern=INSTRUMENT_PATTERN)
    # How other servers and clients reach this one (recorded with the instrument's claim, so
    # another instrument's server can fetch this one's ROI reference images through the API).
    public_url: str | None = Field(None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$", max_length=2000)
    # A folder where every instrument's data dir is reachable as <folder>/<instrument> (a
    # shared mount): reference images of another instrument are read there instead.
    shared_artifacts: Path | None = None
    # The token this server presents to another instrument's server to fetch its images.
    peer_token: SecretStr | None = None
    operator_token: SecretStr | None = Field(None, description="the user `operator`'s token")
    viewer_token: SecretStr | None = Field(None, description="the user `viewer`'s token")
    users: tuple[User, ...] = Field((), description="named users (a token file's lines)")
    seed: int = 0
    # Exactly one specimen source: a synthetic kind, or an image file with its pixel size. The kind
    # defaults to "texture" when no image is given and is None when one is.
    specimen_kind: SpecimenKind | None = None
    specimen_path: Path | None = None
    specimen_pixel_um: float | None = Field(None, gt=0, allow_inf_nan=False)
    realtime: float = Field(0.0, ge=0, allow_inf_nan=False, description="0 = never sleep")
    # The sim driver's image convention against its stage (drivers.axes): for calibration tests.
    sim_mirror_y: bool = False
    sim_scan_turn_deg: Literal[0, 90, 180, 270] = 0
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
    tescan_port: int = Field(8300, ge=1, le=65534, description="data channel: port + 1")
    tescan_move_timeout_s: float = Field(120.0, gt=0, le=3600, allow_inf_nan=False)

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

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        scheme = value.get_secret_value().split(":", 1)[0].lower()
        if scheme not in ("postgresql", "postgres") or "://" not in value.get_secret_value():
            raise ValueError(
                "database_url: must be a postgresql://user:password@host:port/dbname URL; leave "
                "it out for the embedded SQLite database in the data dir"
            )
        return value

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        from semphony.server.drivers.registry import names

        if value not in names():
            raise ValueError(f"unknown driver {value!r}; the drivers are: {', '.join(names())}")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        if self.database_url is not None and "instrument" not in self.model_fields_set:
            raise ValueError(
                "instrument: required with a shared database (--database-url); give each server "
                "a name of its own with --instrument NAME, e.g. --instrument sem1"
            )
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
        if self.driver != "sim" and (self.sim_mirror_y or self.sim_scan_turn_deg):
            raise ValueError(
                "sim_mirror_y and sim_scan_turn_deg: only the sim driver turns its images "
                f"(--sim-mirror-y, --sim-scan-turn); the {self.driver!r} driver shows what the "
                "instrument shows (measure it with `semphony calibrate`)"
            )
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
        try:
            everyone = self.all_users
        except TokenFileError as exc:
            raise ValueError(str(exc)) from None
        if not loopback and not any(u.role == "operator" for u in everyone):
            raise ValueError(
                f"operator_token: required when serving on the non-loopback host {self.host!r}; "
                "a generated token is only allowed on loopback"
            )
        return self

    @property
    def all_users(self) -> tuple[User, ...]:
        """Every user: the named ones, then ``operator`` and ``viewer`` of the two token fields."""
        given: list[tuple[User, str]] = [(u, f"user {u.name!r}") for u in self.users]
        for name, role, token in (
            ("operator", "operator", self.operator_token),
            ("viewer", "viewer", self.viewer_token),
        ):
            if token is not None:
                check_token(token.get_secret_value(), f"{role}_token")
                given.append((User(name, role, token), f"{role}_token"))  # type: ignore[arg-type]
        for user, source in given[: len(self.users)]:
            check_token(user.token.get_secret_value(), source)
        return merge_users(given)

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

        A user given both on the command line and in the file is refused (which one should win is
        not ours to guess). Raises ``TokenFileError`` or pydantic's ``ValidationError``.
        """
        cli: list[tuple[User, str]] = []
        for flag, name, value in (
            ("--token", "operator", token),
            ("--viewer-token", "viewer", viewer_token),
        ):
            if value is not None:
                check_token(value, flag)
                role: Role = "operator" if name == "operator" else "viewer"
                cli.append((User(name, role, SecretStr(value)), flag))
        from_file: list[tuple[User, str]] = []
        if token_file is not None:
            parsed = read_token_file(token_file)
            from_file = [(u, f"token file {token_file}") for u in parsed.users]
        users = merge_users(from_file, cli)
        return cls(users=users, **options)


def provision_local_token(settings: ServerSettings) -> ServerSettings:
    """Return settings with an operator, generating one on loopback if none is configured.

    A generated token is written to ``settings.local_token_path`` (mode 0600, ``operator operator
    <token>``) or read back from it when it already exists. Settings with an operator are
    returned unchanged.
    """
    if any(u.role == "operator" for u in settings.all_users):
        return settings
    if not is_loopback_host(settings.host):  # the validator already refuses this; keep it explicit
        raise ValueError("operator_token: required when serving on a non-loopback host")
    path = settings.local_token_path
    if path.exists():
        existing = read_token_file(path).first("operator")
        if existing is not None:
            return settings.model_copy(update={"users": (*settings.users, existing)})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    user = User("operator", "operator", SecretStr(secrets.token_urlsafe(32)))
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # Created 0600 from the start (never briefly world-readable), then renamed into place.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token_line(user) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return settings.model_copy(update={"users": (*settings.users, user)})
