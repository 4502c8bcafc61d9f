"""semphony: script a scanning electron microscope safely from typed Python.

The public face is assembled here; everything else lives in underscore-private modules
or in the public submodules `semphony.models`, `semphony.types`, `semphony.client`,
`semphony.guardrails`, `semphony.testing` and `semphony.roi`.
"""

from semphony._client import AsyncSemphony, Semphony
from semphony._exceptions import SemphonyApiError, SemphonyError, SemphonyGuardrailException
from semphony.guardrails import (
    ChamberBeamGuardrail,
    GuardrailRule,
    GuardrailViolation,
    ImagingGuardrails,
    StageAbsoluteLimits,
    StageRelativeLimits,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncSemphony",
    "ChamberBeamGuardrail",
    "GuardrailRule",
    "GuardrailViolation",
    "ImagingGuardrails",
    "Semphony",
    "SemphonyApiError",
    "SemphonyError",
    "SemphonyGuardrailException",
    "StageAbsoluteLimits",
    "StageRelativeLimits",
    "__version__",
]
