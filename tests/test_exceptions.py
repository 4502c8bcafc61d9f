"""The exception tree: the status → class mapping, readable messages, and no credential in them."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semphony import _exceptions
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
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    SemphonyApiError,
    SemphonyError,
    SemphonyGuardrailException,
    UnprocessableEntityError,
    error_from_operation,
    error_from_response,
)

URL = "http://127.0.0.1:8712/v1/sessions/s1/beam"


def problem(status: int, **fields: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": "Problem", "status": status, **fields}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
        (405, APIStatusError),
        (418, APIStatusError),
    ],
)
def test_error_from_response_picks_the_class_of_each_status(
    status: int, cls: type[APIStatusError]
) -> None:
    e = error_from_response(status, problem(status), method="GET", url=URL, request_id="r1")
    assert type(e) is cls
    assert e.status_code == status
    assert e.request_id == "r1"
    assert isinstance(e, SemphonyApiError)


@pytest.mark.parametrize("status", [409, 500, 502])
def test_a_problem_with_a_device_code_is_a_device_error_whatever_its_status(status: int) -> None:
    doc = problem(
        status,
        detail="Scan failed",
        device_code="-12",
        device_message="ScScanXY returned -12",
        reason="device.error",
    )
    e = error_from_response(status, doc, method="post", url=URL, request_id=None)
    assert type(e) is DeviceError
    assert (e.device_code, e.device_message, e.status_code) == (
        -12,
        "ScScanXY returned -12",
        status,
    )
    assert e.reason == "device.error"
    assert "ScScanXY returned -12" in str(e)
    assert "-12" in str(e)


def test_a_null_device_code_does_not_make_a_device_error() -> None:
    doc = problem(502, device_code=None, detail="upstream down")
    e = error_from_response(502, doc, method="GET", url=URL, request_id=None)
    assert type(e) is InternalServerError


def test_a_conflict_message_reads_like_a_sentence() -> None:
    doc = problem(409, detail="Beam needs vacuum", reason="interlock.vacuum_required")
    e = error_from_response(409, doc, method="post", url=URL, request_id="req-7")
    assert str(e) == "Beam needs vacuum (reason interlock.vacuum_required)"
    assert e.reason == "interlock.vacuum_required"
    assert e.problem == doc
    assert e.method == "POST"


def test_a_held_lease_names_its_holder() -> None:
    doc = problem(409, detail="The control lease is held", reason="lease.held", lease_holder="bob")
    e = error_from_response(409, doc, method="POST", url=URL, request_id=None)
    assert "held by bob" in str(e)
    assert "lease.held" in str(e)


def test_a_validation_problem_names_each_field() -> None:
    doc = problem(
        422,
        detail="Invalid acquisition",
        reason="range.acquisition",
        errors=[{"field": "fov_um", "rule": "gt", "message": "must be greater than 0"}],
    )
    e = error_from_response(422, doc, method="POST", url=URL, request_id=None)
    assert "fov_um: must be greater than 0" in str(e)


def test_an_answer_without_a_problem_still_says_what_failed() -> None:
    e = error_from_response(500, None, method="GET", url="http://h/v1/state", request_id=None)
    assert str(e) == "500 Internal Server Error on GET /v1/state"
    assert e.problem is None
    assert e.reason is None


def test_a_problem_that_is_not_an_object_is_dropped() -> None:
    e = error_from_response(400, ["x"], method="GET", url=URL, request_id=None)  # type: ignore[arg-type]
    assert type(e) is BadRequestError
    assert e.problem is None


def test_the_request_id_falls_back_to_the_problems() -> None:
    e = error_from_response(
        404, problem(404, request_id="from-doc"), method="GET", url=URL, request_id=None
    )
    assert e.request_id == "from-doc"
    assert "from-doc" not in str(e)  # kept on the error for the server's logs, not in the sentence


def test_a_redirect_names_where_it_leads() -> None:
    e = InvalidResponseError(
        status_code=302, location="https://sso.example/login", method="GET", url=URL
    )
    assert e.location == "https://sso.example/login"
    assert "302 Found on GET /v1/sessions/s1/beam" in str(e)
    assert "https://sso.example/login" in str(e)
    assert isinstance(e, SemphonyApiError)


def test_a_non_json_answer_names_its_content_type() -> None:
    e = InvalidResponseError(
        status_code=200, content_type="text/html; charset=utf-8", method="GET", url=URL
    )
    assert e.content_type == "text/html; charset=utf-8"
    assert "text/html; charset=utf-8" in str(e)
    assert "not JSON" in str(e)


def test_an_unreachable_server_says_where_it_looked() -> None:
    e = APIConnectionError(method="get", url="http://127.0.0.1:9/v1/health", cause="refused")
    assert str(e) == (
        "Could not reach the control server at http://127.0.0.1:9 (GET /v1/health): refused"
    )
    assert e.status_code is None


def test_a_timeout_is_a_connection_error_that_names_the_wait() -> None:
    e = APITimeoutError(method="GET", url="http://127.0.0.1:9/v1/state", timeout_s=2.5)
    assert isinstance(e, APIConnectionError)
    assert "2.5 s" in str(e)
    assert "GET /v1/state" in str(e)


def test_an_incompatible_server_names_both_versions() -> None:
    e = IncompatibleServerError(
        server_api_version="2.0", client_api_version="1.0", url="http://h:1/v1/health"
    )
    assert "2.0" in str(e)
    assert "1.0" in str(e)
    assert (e.server_api_version, e.client_api_version) == ("2.0", "1.0")


@pytest.mark.parametrize(
    ("status", "doc", "cls"),
    [
        ("cancelled", None, OperationCancelledError),
        ("failed", problem(409, detail="Vacuum lost", reason="interlock.vacuum_required"), None),
        ("failed", problem(502, device_code="7", device_message="scan aborted"), DeviceError),
    ],
)
def test_error_from_operation_picks_the_class(
    status: str, doc: dict[str, Any] | None, cls: type[SemphonyApiError] | None
) -> None:
    e = error_from_operation("op-1", status=status, kind="acquisition", problem=doc)
    assert type(e) is (cls or OperationFailedError)
    assert str(e).startswith("the acquisition ")
    assert e.operation_id == "op-1"  # type: ignore[attr-defined]
    if isinstance(e, DeviceError):
        assert (e.device_code, e.operation_id, e.status_code) == (7, "op-1", 502)
        assert "scan aborted" in str(e)
    if doc is not None and doc.get("reason"):
        assert "Vacuum lost (reason interlock.vacuum_required)" in str(e)
        assert e.status_code == 409


def test_a_cancelled_operation_is_an_operation_that_did_not_succeed() -> None:
    e = error_from_operation("op-2", status="cancelled", kind="move")
    assert isinstance(e, OperationFailedError)
    assert str(e) == "the move was cancelled"


def test_every_error_class_is_exported_and_documented() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(_exceptions, inspect.isclass)
        if issubclass(obj, SemphonyError) and obj.__module__ == _exceptions.__name__
    ]
    assert {c.__name__ for c in classes} <= set(_exceptions.__all__)
    for cls in classes:
        assert cls.__doc__, cls.__name__
        assert cls.__name__ in (_exceptions.__doc__ or ""), cls.__name__


def test_api_errors_and_guardrail_exceptions_share_only_the_base() -> None:
    e = SemphonyGuardrailException(
        "Guardrail x refused y", guardrail_type="stage_absolute.x", details={"limit": 1}
    )
    assert isinstance(e, SemphonyError)
    assert not isinstance(e, SemphonyApiError)
    assert (e.guardrail_type, e.details, str(e)) == (
        "stage_absolute.x",
        {"limit": 1},
        "Guardrail x refused y",
    )


def test_the_seeds_except_order_catches_an_api_error_in_the_first_clause() -> None:
    caught: list[str] = []
    try:
        raise error_from_response(409, problem(409), method="POST", url=URL, request_id=None)
    except SemphonyApiError:
        caught.append("api")
    except SemphonyGuardrailException:
        caught.append("guardrail")
    assert caught == ["api"]


tokens = st.text(alphabet="abcdefABCDEF0123456789_-", min_size=16, max_size=40).map(
    lambda s: f"tok{s}"
)


@given(token=tokens)
def test_no_token_appears_in_any_message(token: str) -> None:
    url = f"http://user:{token}@127.0.0.1:8712/v1/state?token={token}&x=1#frag{token}"
    doc = problem(
        401,
        detail=f"Authorization: Bearer {token} rejected; token={token}",
        title=f'{{"token": "{token}"}}',
        reason="auth.invalid",
    )
    errors: list[SemphonyApiError] = [
        error_from_response(401, doc, method="GET", url=url, request_id=None),
        error_from_response(
            502,
            problem(502, device_code="1", device_message=f"api_key={token}"),
            method="GET",
            url=url,
            request_id=None,
        ),
        InvalidResponseError(status_code=302, location=url, method="GET", url=url),
        InvalidResponseError(status_code=200, content_type="text/html", method="GET", url=url),
        APIConnectionError(method="GET", url=url, cause=f"Bearer {token}"),
        APITimeoutError(method="GET", url=url, timeout_s=1.0),
        IncompatibleServerError(server_api_version="2", client_api_version="1", url=url),
        error_from_operation(
            "op", status="failed", problem=problem(409, detail=f"password={token}")
        ),
    ]
    for e in errors:
        for text in (str(e), repr(e), e.url or "", getattr(e, "location", None) or ""):
            assert token not in text, (type(e).__name__, text)
    assert "auth.invalid" in str(errors[0])
    assert errors[0].url == "http://127.0.0.1:8712/v1/state"


def test_a_device_error_says_each_sentence_once_with_its_code_an_int() -> None:
    # What the simulator's server answers for a failed scan: the detail repeats the message.
    doc = problem(
        502,
        title="Device error",
        detail="the device reported an error: ScScanXY failed: scan generator reported an error",
        device_code=-1,
        device_message="ScScanXY failed: scan generator reported an error",
        reason="device.error",
    )
    e = error_from_operation("op-3", status="failed", kind="acquisition", problem=doc)
    assert isinstance(e, DeviceError)
    assert e.device_code == -1
    assert str(e).count("ScScanXY failed") == 1
    assert str(e) == (
        "the acquisition failed: the device reported an error: ScScanXY failed: scan generator "
        "reported an error (device code -1, reason device.error)"
    )


def test_a_refused_value_is_said_once_in_the_callers_terms_not_in_http() -> None:
    # What the server answers for `mode="XYZ"`: the field error repeats the detail.
    message = "mode='XYZ' is not one of ['SE', 'BSE']"
    doc = problem(
        409,
        title="Outside this instrument's range",
        detail=message,
        reason="range.acquisition",
        errors=[{"field": "body.mode", "rule": "range.acquisition", "message": message}],
    )
    e = error_from_response(409, doc, method="POST", url=URL, request_id="r9")
    assert str(e) == f"{message} (reason range.acquisition)"
    assert "409" not in str(e)
    assert "POST" not in str(e)
    assert (e.status_code, e.method, e.request_id) == (409, "POST", "r9")


def test_a_value_beyond_the_instrument_is_still_caught_as_unprocessable_not_as_a_conflict() -> None:
    # API 2.0 answers a device-range refusal 409 (it was 422): code that catches
    # UnprocessableEntityError for it keeps working, and a ConflictError handler (interlocks,
    # busy, lease) does not take it by surprise.
    message = "x_mm=80 is outside the allowed range [-50, 50] mm"
    doc = problem(
        409,
        detail=message,
        reason="range.stage_travel",
        errors=[{"field": "body.x_mm", "rule": "range.stage_travel", "message": message}],
    )
    e = error_from_response(409, doc, method="POST", url=URL, request_id=None)
    assert type(e) is DeviceRangeError
    assert isinstance(e, UnprocessableEntityError)
    assert not isinstance(e, ConflictError)
    assert (e.status_code, e.reason, e.field) == (409, "range.stage_travel", "x_mm")
    assert str(e) == f"{message} (reason range.stage_travel)"


@pytest.mark.parametrize("reason", ["interlock.busy", "lease.held", "device.unsupported", None])
def test_a_conflict_without_a_range_reason_stays_a_conflict(reason: str | None) -> None:
    doc = problem(409, detail="no", **({"reason": reason} if reason else {}))
    e = error_from_response(409, doc, method="POST", url=URL, request_id=None)
    assert type(e) is ConflictError


def test_a_range_refusal_without_a_named_field_has_none() -> None:
    doc = problem(409, detail="fov_um=1e9 is outside the allowed range", reason="range.optics")
    e = error_from_response(409, doc, method="POST", url=URL, request_id=None)
    assert isinstance(e, DeviceRangeError)
    assert e.field is None


def test_a_field_error_the_detail_does_not_say_is_added_with_the_callers_name() -> None:
    doc = problem(
        422,
        title="Invalid",
        detail="the request is invalid",
        errors=[{"field": "body.fov_um", "rule": "greater_than", "message": "must be > 0"}],
    )
    e = error_from_response(422, doc, method="POST", url=URL, request_id=None)
    assert str(e) == "the request is invalid; fov_um: must be > 0"
