"""The semphony clients and every error they raise.

The seed imports from here: `from semphony.client import SemphonyApiError`.
"""

from semphony._client import AsyncSemphony, Semphony, ServerHealth
from semphony._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeviceError,
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
    "AsyncSemphony",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DeviceError",
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
