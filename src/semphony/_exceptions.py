"""Every error the semphony SDK raises, in one tree.

```
SemphonyError                      base of everything semphony raises on purpose
├── SemphonyApiError               the control server could not do what was asked (seed name)
│   ├── APIConnectionError         the server could not be reached
│   │   └── APITimeoutError        the server did not answer in time
│   ├── InvalidResponseError       the answer was not what the contract promises (HTML, a redirect)
│   ├── IncompatibleServerError    the server speaks an API version this client does not
│   ├── DeviceError                the instrument reported a failure (device_code, device_message)
│   ├── OperationFailedError       a long operation (scan, move, pump, vent) ended failed
│   │   └── OperationCancelledError   ... or ended cancelled
│   └── APIStatusError             any other non-2xx answer
│       ├── BadRequestError            400
│       ├── AuthenticationError        401
│       ├── PermissionDeniedError      403
│       ├── NotFoundError              404
│       ├── ConflictError              409 (interlocks, busy, lease held)
│       ├── PayloadTooLargeError       413
│       ├── UnprocessableEntityError   422 (invalid field) ...
│       │   └── DeviceRangeError           ... or 409 `range.*`: a value beyond this instrument
│       ├── RateLimitError             429
│       └── InternalServerError        ≥ 500 (without a device code)
├── OutOfRangeError                a requested value is outside what the device can do (checked
│                                  against `GET /v1/device` before anything is acquired)
└── SemphonyGuardrailException     a client-side guardrail refused a command; nothing was sent
```

`SemphonyGuardrailException` is deliberately not a `SemphonyApiError`: the seed's
`except SemphonyApiError: ... except SemphonyGuardrailException: ...` relies on it.

A value the contract allows but this instrument cannot take is answered 409 with a `range.*`
reason (API 2.0; it was a 422 before). It raises `DeviceRangeError`, an `UnprocessableEntityError`
as those refusals always were, so `except UnprocessableEntityError` still catches every value the
server refused; it is deliberately not a `ConflictError`, which stays for the instrument's state
(interlocks, busy, the lease).

`error_from_response` is the one place an HTTP status and problem document become an exception;
`error_from_operation` does the same for a long operation that ended without success. Messages
never contain credentials: URLs lose their query string and user info, and anything that looks like
a bearer token or a `token=` pair is redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from semphony._messages import (
    device_code_of,
    operation_message,
    place_of,
    problem_message,
    redact,
    safe_url,
    status_phrase,
    text_of,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DeviceError",
    "DeviceRangeError",
    "IncompatibleServerError",
    "InternalServerError",
    "InvalidResponseError",
    "NotFoundError",
    "OperationCancelledError",
    "OperationFailedError",
    "OutOfRangeError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "SemphonyApiError",
    "SemphonyError",
    "SemphonyGuardrailException",
    "UnprocessableEntityError",
    "error_from_operation",
    "error_from_response",
]


class SemphonyError(Exception):
    """Base of every error semphony raises on purpose."""


class SemphonyApiError(SemphonyError):
    """The control server could not do what was asked: unreachable, timed out, non-2xx, not JSON,
    or a device failure.

    Attributes: `status_code` (HTTP status, None when there was no answer), `problem` (the parsed
    RFC 9457 problem document, if any), `request_id`, `reason` (the problem's machine-readable
    reason, e.g. `interlock.vacuum_required`), `method` and `url` (without query string).
    """

    status_code: int | None
    problem: dict[str, Any] | None
    request_id: str | None
    method: str | None
    url: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        problem: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.status_code = status_code
        self.problem = dict(problem) if isinstance(problem, Mapping) else None
        self.request_id = (
            request_id if request_id is not None else text_of(self.problem, "request_id")
        )
        self.method = method.upper() if method else None
        self.url = safe_url(url)

    @property
    def reason(self) -> str | None:
        """The problem document's machine-readable reason (e.g. `lease.held`), if any."""
        return text_of(self.problem, "reason")

    def __str__(self) -> str:
        return self.message


class APIConnectionError(SemphonyApiError):
    """The control server could not be reached (refused, reset, DNS, TLS)."""

    def __init__(
        self,
        message: str | None = None,
        *,
        method: str | None = None,
        url: str | None = None,
        cause: str | None = None,
    ) -> None:
        if message is None:
            where = place_of(method, url)
            target = "the control server"
            if url is not None:
                parts = urlsplit(safe_url(url) or "")
                target += f" at {parts.scheme}://{parts.netloc}" if parts.netloc else ""
            message = f"Could not reach {target}" + (f" ({where})" if where else "")
            if cause:
                message += f": {cause}"
        super().__init__(message, method=method, url=url)


class APITimeoutError(APIConnectionError):
    """The control server did not answer within the timeout."""

    def __init__(
        self,
        message: str | None = None,
        *,
        method: str | None = None,
        url: str | None = None,
        timeout_s: float | None = None,
    ) -> None:
        if message is None:
            where = place_of(method, url) or "request"
            after = f" after {timeout_s:g} s" if timeout_s is not None else ""
            message = f"Timed out{after} waiting for the control server on {where}"
        super().__init__(message, method=method, url=url)
        self.timeout_s = timeout_s


class InvalidResponseError(SemphonyApiError):
    """The server answered, but not as the contract promises: HTML or another non-JSON body where
    JSON was expected (often a login page), a redirect (never followed), or a body missing fields.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        content_type: str | None = None,
        location: str | None = None,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.content_type = content_type
        self.location = safe_url(location)
        if message is None:
            where = place_of(method, url) or "request"
            status = f"{status_code} {status_phrase(status_code)}" if status_code else "answer"
            if location is not None:
                message = (
                    f"{status} on {where} redirects to {self.location} (redirects are not followed;"
                    " is a login proxy in front of the control server?)"
                )
            else:
                kind = content_type or "no content type"
                message = (
                    f"{status} on {where} is not JSON (content type: {kind}); is the base URL "
                    "the control server's, and not a login page or proxy?"
                )
        super().__init__(
            message, status_code=status_code, method=method, url=url, request_id=request_id
        )


class IncompatibleServerError(SemphonyApiError):
    """The server speaks an API version this client cannot use."""

    def __init__(
        self,
        message: str | None = None,
        *,
        server_api_version: str | None,
        client_api_version: str,
        url: str | None = None,
    ) -> None:
        self.server_api_version = server_api_version
        self.client_api_version = client_api_version
        if message is None:
            at = f" at {safe_url(url)}" if url else ""
            server = server_api_version or "an unknown API version"
            message = (
                f"The control server{at} speaks API {server}, but this semphony client needs "
                f"API {client_api_version}; upgrade the older of the two"
            )
        super().__init__(message, url=url)


class APIStatusError(SemphonyApiError):
    """The server answered with a non-2xx status that no more specific class covers."""

    status_code: int

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int,
        problem: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        if message is None:
            message = problem_message(status_code, problem, method, url, request_id)
        super().__init__(
            message,
            status_code=status_code,
            problem=problem,
            request_id=request_id,
            method=method,
            url=url,
        )


class BadRequestError(APIStatusError):
    """400: the request was malformed."""

    status_code: Literal[400]


class AuthenticationError(APIStatusError):
    """401: no token, or a token the server does not accept."""

    status_code: Literal[401]


class PermissionDeniedError(APIStatusError):
    """403: the token is valid but its role may not do this (e.g. a viewer sending a command)."""

    status_code: Literal[403]


class NotFoundError(APIStatusError):
    """404: no such run, session, operation, artifact or ROI."""

    status_code: Literal[404]


class ConflictError(APIStatusError):
    """409: the instrument's state forbids it now (interlock, busy, lease held or expired)."""

    status_code: Literal[409]


class PayloadTooLargeError(APIStatusError):
    """413: the request body is larger than the server accepts."""

    status_code: Literal[413]


class UnprocessableEntityError(APIStatusError):
    """422: a value fails the contract's validation (`problem["errors"]` names each field); or,
    as `DeviceRangeError` (409), it is beyond what this instrument can do."""

    status_code: Literal[409, 422]


class DeviceRangeError(UnprocessableEntityError):
    """409 with a `range.*` reason: the contract allows the value but this instrument cannot take
    it (outside its range, e.g. stage travel, FOV, a detector it lacks); nothing was changed.

    `field` names the refused member (e.g. `x_mm`), `problem["detail"]` gives the value and the
    device's range; `GET /v1/device` publishes the limits.
    """

    status_code: Literal[409]

    @property
    def field(self) -> str | None:
        """The refused member's name (without its `body.` prefix), if the problem names one."""
        errors = (self.problem or {}).get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        name = first.get("field") if isinstance(first, Mapping) else None
        return str(name).removeprefix("body.") if isinstance(name, str) else None


class RateLimitError(APIStatusError):
    """429: too many requests; retried with backoff before it reaches you."""

    status_code: Literal[429]


class InternalServerError(APIStatusError):
    """≥ 500 without a device code: the control server itself failed."""


class DeviceError(SemphonyApiError):
    """The instrument reported a failure (e.g. a SharkSEM ScScanXY return value), either as a 502
    problem or as the problem of a failed operation; `device_code` and `device_message` say which.

    It is not an `APIStatusError`: the server did its job and relayed the device's answer.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        device_code: int | None,
        device_message: str | None,
        status_code: int | None = None,
        problem: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        operation_id: str | None = None,
        operation_kind: str | None = None,
    ) -> None:
        self.device_code = device_code
        self.device_message = device_message
        self.operation_id = operation_id
        self.operation_kind = operation_kind
        if message is None:
            if operation_id is not None:
                message = operation_message(operation_id, operation_kind, "failed", problem)
            else:
                message = problem_message(status_code, problem, method, url, request_id)
        super().__init__(
            message,
            status_code=status_code,
            problem=problem,
            request_id=request_id,
            method=method,
            url=url,
        )

    @classmethod
    def from_problem(cls, problem: Mapping[str, Any], **where: Any) -> DeviceError:
        """The device error a problem document (a 502's, or a failed operation's) describes;
        `where` holds the other constructor arguments (`status_code`, `operation_id`, …)."""
        if where.get("status_code") is None and isinstance(problem.get("status"), int):
            where["status_code"] = problem["status"]
        return cls(
            device_code=device_code_of(problem),
            device_message=text_of(problem, "device_message"),
            problem=problem,
            **where,
        )


class OperationFailedError(SemphonyApiError):
    """A long operation (scan, move, pump, vent) ended `failed` for a reason other than the device
    (for that, `DeviceError`); `problem` says why.
    """

    _outcome = "failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        operation_id: str,
        operation_kind: str | None = None,
        problem: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.operation_id = operation_id
        self.operation_kind = operation_kind
        if message is None:
            message = operation_message(operation_id, operation_kind, self._outcome, problem)
        status = problem.get("status") if isinstance(problem, Mapping) else None
        super().__init__(
            message,
            status_code=status if isinstance(status, int) else None,
            problem=problem,
            request_id=request_id,
        )


class OperationCancelledError(OperationFailedError):
    """A long operation ended `cancelled` (by this client, another one, or the server)."""

    _outcome = "was cancelled"


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_from_response(
    status_code: int,
    problem: Mapping[str, Any] | None,
    *,
    method: str | None,
    url: str | None,
    request_id: str | None,
) -> SemphonyApiError:
    """The most specific exception for a non-2xx answer and its parsed problem document (or None).

    A problem with a `device_code` is a `DeviceError` whatever its status; a 409 whose reason is
    `range.*` a `DeviceRangeError`; otherwise the status picks the class (`InternalServerError`
    for every status ≥ 500, `APIStatusError` for the rest).
    """
    doc = problem if isinstance(problem, Mapping) else None
    if device_code_of(doc) is not None:
        assert doc is not None
        return DeviceError.from_problem(
            doc, status_code=status_code, request_id=request_id, method=method, url=url
        )
    cls: type[APIStatusError] = _STATUS_CLASSES.get(status_code, APIStatusError)
    reason = text_of(doc, "reason")
    if status_code == 409 and reason is not None and reason.startswith("range."):
        cls = DeviceRangeError
    if status_code >= 500:
        cls = InternalServerError
    return cls(status_code=status_code, problem=doc, request_id=request_id, method=method, url=url)


def error_from_operation(
    operation_id: str,
    *,
    status: str,
    kind: str | None = None,
    problem: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> SemphonyApiError:
    """The exception for a long operation that ended `failed` or `cancelled`.

    `OperationCancelledError` when cancelled, `DeviceError` when its problem carries a
    `device_code`, else `OperationFailedError`.
    """
    doc = problem if isinstance(problem, Mapping) else None
    if status == "cancelled":
        return OperationCancelledError(
            operation_id=operation_id, operation_kind=kind, problem=doc, request_id=request_id
        )
    if device_code_of(doc) is not None:
        assert doc is not None
        return DeviceError.from_problem(
            doc, request_id=request_id, operation_id=operation_id, operation_kind=kind
        )
    return OperationFailedError(
        operation_id=operation_id, operation_kind=kind, problem=doc, request_id=request_id
    )


class OutOfRangeError(SemphonyError, ValueError):
    """A requested value is outside what the device can do; nothing was sent for it.

    `field` names the setting (e.g. `l0_fov_um`), `value` is what was asked and `allowed` says
    what the device can do, in words (e.g. `1 to 10000 µm`).
    """

    def __init__(self, *, field: str, value: object, allowed: str, where: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}{field} {value!r} is outside what this device can do ({allowed})"
        )


class SemphonyGuardrailException(SemphonyError):  # noqa: N818 (the seed's name)
    """A guardrail refused a command before anything was sent to the server.

    `guardrail_type` names the rule (e.g. `stage_relative.x_pct`); `details` holds at least
    `requested`, `limit`, `current` and `unit`.
    """

    def __init__(
        self, message: str, *, guardrail_type: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.guardrail_type = guardrail_type
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message
