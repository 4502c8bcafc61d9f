"""Schemathesis hooks for the project's CLI run (`make fuzz`), loaded with SCHEMATHESIS_HOOKS.

A fresh Idempotency-Key per request in every phase: the fuzzer reuses small keys such as "0"
across paths and bodies, which the server rightly refuses with 422 `idempotency.mismatch`.
Lease secrets are learned from every session start and sent with that session's commands, so
that a case reaches the command's behaviour instead of 403 `lease.not_holder`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis

_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")
_SECRETS: dict[str, str] = {}


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers
    if headers is not None:
        key = headers.get("Idempotency-Key")
        # A schema-valid key is replaced; an invalid one is a negative case and stays.
        if isinstance(key, str) and _IDEMPOTENCY_KEY.fullmatch(key):
            headers["Idempotency-Key"] = uuid.uuid4().hex
    params = case.path_parameters or {}
    session_id = params.get("session_id")
    if session_id is None and "operation_id" in params and _SECRETS:
        session_id = next(reversed(_SECRETS))
    secret = _SECRETS.get(session_id) if isinstance(session_id, str) else None
    if secret is not None:
        if case.headers is None:
            case.headers = {}
        case.headers["Lease-Secret"] = secret


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    if response.status_code != 201:
        return
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("lease_secret"), str):
        _SECRETS[str(body["id"])] = body["lease_secret"]
