"""The semphony clients and every error they raise.

The seed imports from here: `from semphony.client import SemphonyApiError`. `AsyncRun` and
`AsyncSession` are here too, for typing code that drives a server (or a fleet) with `AsyncSemphony`.
"""

from semphony._async_session import AsyncRun, AsyncSession
from semphony._client import AsyncSemphony, Semphony, ServerHealth
from semphony._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeviceError,
    DeviceRangeError,
    IncompatibleServerError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    OperationCancelledError,
    OperationFailedError,
    OutOfRangeError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    SemphonyApiError,
    SemphonyError,
    SemphonyGuardrailException,
    UnprocessableEntityError,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncRun",
    "AsyncSemphony",
    "AsyncSession",
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
    "Semphony",
    "SemphonyApiError",
    "SemphonyError",
    "SemphonyGuardrailException",
    "ServerHealth",
    "UnprocessableEntityError",
]
