"""Authentication, roles, fingerprints and the control lease (with a fake clock)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from semphony.server.errors import (
    AuthForbiddenError,
    AuthInvalidError,
    AuthMissingError,
    LeaseExpiredError,
    LeaseHeldError,
    LeaseRequiredError,
    LeaseSecretError,
    RecordNotFoundError,
)
from semphony.server.leases import LeaseManager
from semphony.server.security import Authenticator, Principal, fingerprint, require_operator
from semphony.server.settings import ServerSettings
from semphony.server.store import Session, Store
from semphony.server.users import User

OPERATOR = "operator-Secret-0123456789"
VIEWER = "viewer-Secret-9876543210"
T0 = 1_760_000_000.0


def _auth(operator: str, viewer: str | None = None) -> Authenticator:
    users = [User("operator", "operator", SecretStr(operator))]
    if viewer is not None:
        users.append(User("viewer", "viewer", SecretStr(viewer)))
    return Authenticator(users)


class FakeClock:
    """A settable clock in Unix seconds."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def auth() -> Authenticator:
    return _auth(OPERATOR, VIEWER)


# --------------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer   "])
def test_a_request_without_a_token_is_auth_missing(auth: Authenticator, header: str | None) -> None:
    with pytest.raises(AuthMissingError) as info:
        auth.authenticate(header)
    assert info.value.reason == "auth.missing"
    assert info.value.status == 401
    assert info.value.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wrong-token",
        f"Bearer {OPERATOR}x",
        f"Bearer {OPERATOR[:-1]}",
        f"Basic {OPERATOR}",
        OPERATOR,
        "Bearer ünïcödé",
    ],
)
def test_a_wrong_token_or_scheme_is_auth_invalid(auth: Authenticator, header: str) -> None:
    with pytest.raises(AuthInvalidError) as info:
        auth.authenticate(header)
    assert info.value.reason == "auth.invalid"
    assert info.value.status == 401
    assert OPERATOR not in str(info.value)


def test_the_operator_token_authenticates_an_operator(auth: Authenticator) -> None:
    principal = auth.authenticate(f"Bearer {OPERATOR}")
    assert principal == Principal(
        role="operator", fingerprint=hashlib.sha256(OPERATOR.encode()).hexdigest()[:8]
    )
    assert principal.is_operator
    require_operator(principal)


def test_the_bearer_scheme_is_case_insensitive(auth: Authenticator) -> None:
    assert auth.authenticate(f"bearer {OPERATOR}").role == "operator"
    assert auth.authenticate(f"BEARER  {VIEWER} ").role == "viewer"


def test_a_viewer_may_read_but_not_control(auth: Authenticator) -> None:
    principal = auth.authenticate(f"Bearer {VIEWER}")
    assert principal.role == "viewer"
    assert not principal.is_operator
    with pytest.raises(AuthForbiddenError) as info:
        require_operator(principal)
    assert info.value.reason == "auth.forbidden"
    assert info.value.status == 403
    assert info.value.headers == {}


def test_without_a_viewer_token_only_the_operator_authenticates() -> None:
    auth = _auth(OPERATOR)
    assert auth.authenticate(f"Bearer {OPERATOR}").role == "operator"
    with pytest.raises(AuthInvalidError):
        auth.authenticate(f"Bearer {VIEWER}")


def test_an_authenticator_without_tokens_is_refused() -> None:
    with pytest.raises(ValueError, match="token"):
        Authenticator([])


def test_an_authenticator_is_built_from_settings(tmp_path: Path) -> None:
    settings = ServerSettings(
        data_dir=tmp_path, operator_token=SecretStr(OPERATOR), viewer_token=SecretStr(VIEWER)
    )
    auth = Authenticator.from_settings(settings)
    assert auth.authenticate(f"Bearer {VIEWER}").role == "viewer"


def test_fingerprints_are_the_first_8_hex_of_the_sha256() -> None:
    assert fingerprint("abc") == "ba7816bf"  # sha256("abc") = ba7816bf8f01cfea…
    assert fingerprint(SecretStr("abc")) == "ba7816bf"
    assert fingerprint(OPERATOR) != fingerprint(VIEWER)


@given(token=st.text(min_size=1, max_size=64))
def test_a_fingerprint_never_contains_the_token(token: str) -> None:
    fp = fingerprint(token)
    assert len(fp) == 8
    assert all(c in "0123456789abcdef" for c in fp)
    assert fp == hashlib.sha256(token.encode()).hexdigest()[:8]


def test_tokens_never_appear_in_the_repr_or_str_of_principals_or_the_authenticator(
    auth: Authenticator,
) -> None:
    principal = auth.authenticate(f"Bearer {OPERATOR}")
    for text in (repr(principal), str(principal), repr(auth), str(auth)):
        assert OPERATOR not in text
        assert VIEWER not in text
    assert "operator" in repr(auth)


# ------------------------------------------------------------------------------------------ lease


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    with Store(tmp_path, clock=clock) as s:
        yield s


@pytest.fixture
def expired() -> list[Session]:
    return []


@pytest.fixture
def leases(store: Store, clock: FakeClock, expired: list[Session]) -> LeaseManager:
    return LeaseManager(store, lease_s=30, clock=clock, on_expire=expired.append)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def test_acquiring_a_free_lease_starts_a_session(store: Store, leases: LeaseManager) -> None:
    run = store.runs.create("r")
    session, session_secret = leases.acquire(run.id, "ada")
    assert session.holder == "ada"
    assert session.role == "operator"
    assert session.lease_expires_at == _at(T0 + 30)
    assert leases.current() == session
    assert leases.require(session.id, session_secret) == session
    assert leases.remaining_s(session) == 30


def test_a_held_lease_refuses_a_second_session_naming_the_holder(
    store: Store, leases: LeaseManager, clock: FakeClock
) -> None:
    run = store.runs.create("r")
    first, _first_secret = leases.acquire(run.id, "ada")
    clock.advance(29)
    with pytest.raises(LeaseHeldError, match="'ada'") as info:
        leases.acquire(run.id, "grace")
    assert info.value.holder == "ada"
    assert info.value.session_id == first.id
    assert info.value.reason == "lease.held"
    assert info.value.status == 409
    assert store.sessions.active() == [first]


def test_a_heartbeat_extends_the_lease(
    store: Store, leases: LeaseManager, clock: FakeClock, expired: list[Session]
) -> None:
    run = store.runs.create("r")
    session, session_secret = leases.acquire(run.id, "ada")
    for _ in range(4):
        clock.advance(25)
        renewed = leases.heartbeat(session.id, session_secret)
        assert renewed.lease_expires_at == _at(clock.t + 30)
    assert leases.expire_if_due() is None
    assert expired == []
    assert leases.current() is not None


def test_an_unrenewed_lease_expires_once_and_frees_the_instrument(
    store: Store, leases: LeaseManager, clock: FakeClock, expired: list[Session]
) -> None:
    run = store.runs.create("r")
    session, session_secret = leases.acquire(run.id, "ada")
    clock.advance(29.999)
    assert leases.expire_if_due() is None
    clock.advance(0.001)
    assert leases.current() is None
    gone = leases.expire_if_due()
    assert gone is not None
    assert gone.id == session.id
    assert gone.end_reason == "lease.expired"
    assert [s.id for s in expired] == [session.id]
    assert leases.expire_if_due() is None
    assert len(expired) == 1
    with pytest.raises(LeaseExpiredError) as info:
        leases.heartbeat(session.id, session_secret)
    assert info.value.reason == "lease.expired"
    other, _other_secret = leases.acquire(run.id, "grace")
    assert leases.current() == other


def test_acquiring_over_an_overdue_lease_expires_it_first(
    store: Store, leases: LeaseManager, clock: FakeClock, expired: list[Session]
) -> None:
    run = store.runs.create("r")
    stale, _stale_secret = leases.acquire(run.id, "ada")
    clock.advance(31)
    fresh, _fresh_secret = leases.acquire(run.id, "grace")
    assert [s.id for s in expired] == [stale.id]
    assert store.sessions.active() == [fresh]


def test_a_heartbeat_after_the_deadline_is_refused_and_expires_the_session(
    store: Store, leases: LeaseManager, clock: FakeClock, expired: list[Session]
) -> None:
    run = store.runs.create("r")
    session, session_secret = leases.acquire(run.id, "ada")
    clock.advance(45)
    with pytest.raises(LeaseExpiredError):
        leases.heartbeat(session.id, session_secret)
    assert [s.id for s in expired] == [session.id]
    assert store.sessions.active() == []


def test_a_released_session_no_longer_holds_the_lease(
    store: Store, leases: LeaseManager, expired: list[Session]
) -> None:
    run = store.runs.create("r")
    session, session_secret = leases.acquire(run.id, "ada")
    released = leases.release(session.id)
    assert released.end_reason == "released"
    assert leases.release(session.id) == released
    assert leases.current() is None
    with pytest.raises(LeaseRequiredError) as info:
        leases.require(session.id, session_secret)
    assert info.value.reason == "lease.required"
    with pytest.raises(LeaseRequiredError):
        leases.heartbeat(session.id, session_secret)
    assert expired == []
    assert leases.acquire(run.id, "grace")[0].holder == "grace"


def test_unknown_sessions_and_runs_are_not_found(leases: LeaseManager) -> None:
    with pytest.raises(RecordNotFoundError):
        leases.require("ses_nope", None)
    with pytest.raises(RecordNotFoundError):
        leases.acquire("run_nope", "ada")


def test_the_lease_survives_a_store_restart(tmp_path: Path, clock: FakeClock) -> None:
    with Store(tmp_path, clock=clock) as store:
        run = store.runs.create("r")
        session, secret = LeaseManager(store, clock=clock).acquire(run.id, "ada", lease_s=60)
    clock.advance(10)
    with Store(tmp_path, clock=clock) as store:
        leases = LeaseManager(store, clock=clock)
        assert leases.current() == session
        with pytest.raises(LeaseHeldError):
            leases.acquire(run.id, "grace")
        # The secret and the duration asked for survive too: a heartbeat renews for 60 s.
        renewed = leases.heartbeat(session.id, secret)
        assert renewed.lease_expires_at == _at(clock.t + 60)


def test_the_lease_is_usable_only_with_its_secret(store: Store, leases: LeaseManager) -> None:
    run = store.runs.create("r")
    session, secret = leases.acquire(run.id, "ada")
    assert len(secret) >= 24
    assert secret not in repr(session)
    assert store.sessions.get(session.id).secret_sha256 != secret  # type: ignore[union-attr]
    for wrong in (None, "", secret + "x", secret[:-1]):
        with pytest.raises(LeaseSecretError) as info:
            leases.require(session.id, wrong)
        assert (info.value.status, info.value.reason) == (403, "lease.not_holder")
        with pytest.raises(LeaseSecretError):
            leases.heartbeat(session.id, wrong)
    assert leases.holds(session.id, secret)
    assert not leases.holds(session.id, None)
    assert leases.require(session.id, secret) == session


def test_a_non_positive_lease_is_refused(store: Store, leases: LeaseManager) -> None:
    run = store.runs.create("r")
    with pytest.raises(ValueError, match="lease_s"):
        leases.acquire(run.id, "ada", lease_s=0)
    with pytest.raises(ValueError, match="lease_s"):
        LeaseManager(store, lease_s=-1)
