"""Every error family of the control server, and the one table that answers each with a status.

::

    ProblemError                      a refusal raised with its own status and reason (404 …)
    ServerError                       base of the families below; status and reason: `ERRORS`
    ├── AuthError                     401/403
    │   ├── AuthMissingError          no (bearer) credentials               401 auth.missing
    │   ├── AuthInvalidError          credentials match no token            401 auth.invalid
    │   └── AuthForbiddenError        a viewer tried to control             403 auth.forbidden
    ├── LeaseError                    409
    │   ├── LeaseHeldError            another session holds the lease       409 lease.held
    │   ├── LeaseRequiredError        this session does not hold it         409 lease.required
    │   ├── LeaseExpiredError         this session's lease ran out          409 lease.expired
    │   └── LeaseSecretError          not the holder's lease secret         403 lease.not_holder
    ├── StoreError                    the database failed                   500 store.error
    │   ├── StorageError              cannot record now (I/O, read-only)    503 storage.error
    │   │   └── StorageFullError      the disk is full                      507 storage.full
    │   ├── SchemaTooNewError         written by a newer server             500 store.schema
    │   ├── RecordNotFoundError       a write named a missing record        404 not_found
    │   ├── RoiExistsError            the ROI name is taken                 409 roi.exists
    │   ├── OperationFinishedError    a terminal operation was changed      409 operation.finished
    │   ├── IdempotencyMismatchError  a key reused for another request      422 idempotency.mismatch
    │   └── IdempotencyInProgressError  its first request still runs     409 idempotency.in_progress
    ├── ArtifactError                 an image file failed                  500 artifact.error
    │   ├── InvalidArtifactIdError    an id that could name another path    422 artifact.invalid_id
    │   ├── ArtifactNotFoundError     no file for this id                   404 artifact.not_found
    │   └── ArtifactExistsError       artifacts are never replaced          409 artifact.exists
    └── BusyError                     an operation runs; wait or cancel it  409 interlock.busy
        └── StoppingError             the server is shutting down           503 server.stopping

The driver's own errors (`semphony.server.drivers.errors`) are answered from the same table:
interlocks 409, ranges 409 (a value the contract allows but this instrument cannot take, or not
in its state: naming the field, the value and the device's range), unsupported 409, device faults
502 (with the device's code and our message), an unreachable instrument 503. Static bounds are the
contract's and refused by request validation (422) before a driver sees the value. Each foreign
error (SQLite, sockets, pydantic) is translated once, where it is raised, into one of these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from semphony.server.drivers.errors import (
    Cancelled,
    DeviceFault,
    DriverError,
    DriverUnavailableError,
    InterlockError,
    RangeError,
    UnsupportedError,
)

__all__ = [
    "ERRORS",
    "ArtifactError",
    "ArtifactExistsError",
    "ArtifactNotFoundError",
    "AuthError",
    "AuthForbiddenError",
    "AuthInvalidError",
    "AuthMissingError",
    "BusyError",
    "IdempotencyInProgressError",
    "IdempotencyMismatchError",
    "InvalidArtifactIdError",
    "LeaseError",
    "LeaseExpiredError",
    "LeaseHeldError",
    "LeaseRequiredError",
    "LeaseSecretError",
    "OperationFinishedError",
    "ProblemError",
    "RecordNotFoundError",
    "RoiExistsError",
    "SchemaTooNewError",
    "ServerError",
    "StoppingError",
    "StorageError",
    "StorageFullError",
    "StoreError",
    "problem_of",
    "title_of",
]


_TYPE_BASE = "https://semphony.dev/problems/"


def title_of(status: int) -> str:
    """The HTTP reason phrase of `status` ("Error" for an unknown one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemError(Exception):
    """A request the server refuses or cannot complete, answered as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        reason: str | None = None,
        title: str | None = None,
        lease_holder: str | None = None,
        device_code: int | None = None,
        device_message: str | None = None,
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.reason = reason
        self.title = title or title_of(status)
        self.lease_holder = lease_holder
        self.device_code = device_code
        self.device_message = device_message
        self.errors = [dict(e) for e in errors] if errors is not None else None
        self.headers = dict(headers or {})

    def body(self, *, instance: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        """The problem document of this error; optional members are left out, not null."""
        body: dict[str, Any] = {
            "type": _TYPE_BASE + self.reason if self.reason else "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        optional: dict[str, Any] = {
            "instance": instance,
            "reason": self.reason,
            "lease_holder": self.lease_holder,
            "device_code": self.device_code,
            "device_message": self.device_message,
            "request_id": request_id,
            "errors": self.errors,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body


class ServerError(Exception):
    """Base of the server's own error families; `status` and `reason` come from `ERRORS`."""

    @property
    def status(self) -> int:
        """The HTTP status this error is answered with."""
        return _entry(self)[1]

    @property
    def reason(self) -> str:
        """The machine-readable reason this error is answered with."""
        reason = _entry(self)[2]
        assert reason is not None
        return reason


# ------------------------------------------------------------------------------------------ auth


class AuthError(ServerError):
    """Authentication or authorisation failed."""

    @property
    def headers(self) -> dict[str, str]:
        """Response headers RFC 6750 asks for on a 401."""
        return {"WWW-Authenticate": 'Bearer realm="semphony"'} if self.status == 401 else {}


class AuthMissingError(AuthError):
    """The request carries no bearer token."""


class AuthInvalidError(AuthError):
    """The bearer token matches no configured token (or the header is malformed)."""


class AuthForbiddenError(AuthError):
    """The caller is authenticated but its role may not do this (a viewer controlling)."""


# ----------------------------------------------------------------------------------------- lease


class LeaseError(ServerError):
    """The control lease does not allow this."""


class LeaseHeldError(LeaseError):
    """Another session holds the control lease; `holder` says who."""

    def __init__(self, detail: str, *, holder: str, session_id: str) -> None:
        super().__init__(detail)
        self.holder = holder
        self.session_id = session_id


class LeaseRequiredError(LeaseError):
    """The session named does not hold the control lease (it was released, or never held it)."""


class LeaseExpiredError(LeaseError):
    """The session's lease ran out before it was renewed; start a new session."""


class LeaseSecretError(LeaseError):
    """The command names the holding session but not its lease secret: another client sent it."""


# ----------------------------------------------------------------------------------------- store


class StoreError(ServerError):
    """The database failed."""


class StorageError(StoreError):
    """The disk (or the database's connection) cannot record anything now: an I/O error, a
    read-only file system, a lost connection. Reads may still work."""


class StorageFullError(StorageError):
    """The disk holding the data dir is full: nothing more can be recorded until space is freed."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer server than this one."""


class RecordNotFoundError(StoreError):
    """A write named a record (run, session, operation) that does not exist."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id!r} does not exist")
        self.kind = kind
        self.record_id = record_id


class RoiExistsError(StoreError):
    """An ROI with this name is already saved and ``overwrite`` was false."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"an ROI named {name!r} already exists; save with overwrite=True to replace it"
        )
        self.name = name


class OperationFinishedError(StoreError):
    """An operation that already reached a terminal status was asked to change."""

    def __init__(self, operation_id: str, status: str) -> None:
        super().__init__(f"operation {operation_id!r} is already {status}; it cannot change")
        self.operation_id = operation_id
        self.current_status = status


class IdempotencyMismatchError(StoreError):
    """The Idempotency-Key was first used with a different method, path or body."""

    def __init__(self, key: str, what: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used with a different {what}; "
            "use a new key for a different request"
        )
        self.key = key
        self.what = what


class IdempotencyInProgressError(StoreError):
    """A request with this Idempotency-Key is still being processed."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"a request with Idempotency-Key {key!r} is still being processed; retry later"
        )
        self.key = key


# ------------------------------------------------------------------------------------- artifacts


class ArtifactError(ServerError):
    """An artifact could not be written, found or read."""


class InvalidArtifactIdError(ArtifactError, ValueError):
    """An image id does not match ``^[a-z0-9_-]{1,64}$`` (it could name a path elsewhere)."""


class ArtifactNotFoundError(ArtifactError):
    """No artifact file exists for this image id."""


class ArtifactExistsError(ArtifactError):
    """An artifact with this image id is already written; artifacts are never replaced."""


# ------------------------------------------------------------------------------------ operations


class BusyError(ServerError):
    """An operation is running; wait for it or cancel it."""


class StoppingError(BusyError):
    """The server is shutting down and takes no new operations."""


# ----------------------------------------------------------------------------------------- table

ERRORS: tuple[tuple[type[BaseException], int, str | None], ...] = (
    # Most specific first: the first class an error is an instance of decides.
    (AuthMissingError, 401, "auth.missing"),
    (AuthInvalidError, 401, "auth.invalid"),
    (AuthForbiddenError, 403, "auth.forbidden"),
    (AuthError, 401, "auth.error"),
    (LeaseHeldError, 409, "lease.held"),
    (LeaseRequiredError, 409, "lease.required"),
    (LeaseExpiredError, 409, "lease.expired"),
    (LeaseSecretError, 403, "lease.not_holder"),
    (LeaseError, 409, "lease.error"),
    (StorageFullError, 507, "storage.full"),
    (StorageError, 503, "storage.error"),
    (SchemaTooNewError, 500, "store.schema"),
    (RecordNotFoundError, 404, "not_found"),
    (RoiExistsError, 409, "roi.exists"),
    (OperationFinishedError, 409, "operation.finished"),
    (IdempotencyMismatchError, 422, "idempotency.mismatch"),
    (IdempotencyInProgressError, 409, "idempotency.in_progress"),
    (StoreError, 500, "store.error"),
    (InvalidArtifactIdError, 422, "artifact.invalid_id"),
    (ArtifactNotFoundError, 404, "artifact.not_found"),
    (ArtifactExistsError, 409, "artifact.exists"),
    (ArtifactError, 500, "artifact.error"),
    (StoppingError, 503, "server.stopping"),
    (BusyError, 409, "interlock.busy"),
    # Driver errors: None takes the reason the error carries (interlock.vacuum_required, …).
    (InterlockError, 409, None),
    (RangeError, 409, None),
    (UnsupportedError, 409, None),
    (DeviceFault, 502, "device.error"),
    (DriverUnavailableError, 503, "device.unavailable"),
    (Cancelled, 409, "operation.cancelled"),
    (DriverError, 502, "device.error"),
)

_TITLES = {
    InterlockError: "Refused by an interlock",
    RangeError: "Outside this instrument's range",
    UnsupportedError: "Not available on this instrument",
    DeviceFault: "Device error",
    Cancelled: "Cancelled",
}


def _entry(exc: BaseException) -> tuple[type[BaseException], int, str | None]:
    for entry in ERRORS:
        if isinstance(exc, entry[0]):
            return entry
    raise LookupError(f"{type(exc).__name__} is not one of the server's errors")


def problem_of(exc: BaseException) -> ProblemError | None:
    """The problem answering one of the server's or driver's errors; None for anything else.

    Server-side failures (a 5xx other than a device's) are answered without their message, which
    may name files or SQL; the caller logs them.
    """
    if isinstance(exc, ProblemError):
        return exc
    try:
        _, status, reason = _entry(exc)
    except LookupError:
        return None
    reason = reason if reason is not None else str(getattr(exc, "reason", "error"))
    title = next((t for c, t in _TITLES.items() if isinstance(exc, c)), None)
    if isinstance(exc, DeviceFault):
        return ProblemError(
            status,
            f"the device reported an error: {exc.device_message}",
            reason=reason,
            title=title,
            device_code=exc.device_code,
            device_message=exc.device_message,
        )
    if isinstance(exc, RangeError | UnsupportedError):
        return ProblemError(
            status,
            exc.detail,
            reason=reason,
            title=title,
            errors=[{"field": f"body.{exc.field}", "rule": reason, "message": exc.detail}],
        )
    if status >= 500 and not isinstance(exc, DriverError | StoppingError | StorageError):
        return ProblemError(status, "the server failed; the error is in its log", reason=reason)
    headers = exc.headers if isinstance(exc, AuthError) else None
    holder = exc.holder if isinstance(exc, LeaseHeldError) else None
    return ProblemError(
        status,
        str(exc) or title_of(status),
        reason=reason,
        title=title,
        lease_holder=holder,
        headers=headers,
    )
