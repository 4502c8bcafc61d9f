"""The confidence model: evidence in units of the null ceiling of its size, a calibrated
probability that rises with it, and a gate that `Registration.passed` follows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from semphony.roi import EVIDENCE_GATE, register
from semphony.roi._confidence import NULL_CEILINGS, PLATT, ceiling, confidence, evidence
from semphony.roi._synthetic import degrade, field, specimen


def test_evidence_is_psr_times_agreement_over_the_ceiling_of_its_size() -> None:
    assert evidence(13.0, 4.0, 256) == pytest.approx(52.0 / NULL_CEILINGS[256])
    assert evidence(13.0, 4.0, 512) == pytest.approx(52.0 / NULL_CEILINGS[512])
    # Between the measured sizes the ceiling is interpolated in log2(size), clamped outside.
    middle = ceiling(362)
    assert min(NULL_CEILINGS.values()) < middle < max(NULL_CEILINGS.values())
    assert ceiling(128) == NULL_CEILINGS[256]
    assert ceiling(4096) == NULL_CEILINGS[512]
    # A negative PSR or agreement is no evidence at all, never a negative one.
    assert evidence(-3.0, 4.0, 256) == 0.0
    assert evidence(3.0, -4.0, 256) == 0.0


@pytest.mark.parametrize("side", sorted({*PLATT, 128, 362, 2048}))
def test_confidence_is_a_probability_rising_with_the_evidence(side: int) -> None:
    values = [confidence(e, side) for e in (0.0, 0.1, 0.5, 1.0, EVIDENCE_GATE, 3.0, 10.0, 1e6)]
    assert values[0] == 0.0
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)
    assert values[-1] > values[1]
    assert all(math.isfinite(v) for v in values)


def test_passed_follows_the_evidence_gate() -> None:
    rng = np.random.default_rng(3)
    texture, other = specimen(1024, seed=4), specimen(1024, seed=5)
    reference = field(texture, centre_xy=(512.0, 512.0), shape=(256, 256))
    moved = degrade(field(texture, centre_xy=(540.0, 500.0), shape=(256, 256)), rng=rng, dose=3.0)
    unrelated = degrade(field(other, centre_xy=(512.0, 512.0), shape=(256, 256)), rng=rng, dose=3.0)

    same, different = register(reference, moved), register(reference, unrelated)

    for result in (same, different):
        assert result.passed == (result.evidence >= EVIDENCE_GATE)
        assert result.confidence == pytest.approx(confidence(result.evidence, 256))
    assert same.passed
    assert not different.passed
    assert same.confidence > 0.9
    assert different.confidence < 0.5
