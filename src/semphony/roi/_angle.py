"""What the search knows of the specimen's angle after L0, and how finer levels correct it.

L0 searches the angle over ±20°; each finer level measures the residual angle from the offsets of
tiles across its first image (`registration.residual_rotation_deg`) and takes up its weighted
share (a Kalman step: a sparse field's fit is noisier than its standard error says, and applied
in full it undid a better coarser measurement). Before a match is accepted, the final image's own
residual angle must be within `ACCEPT_ANGLE_DEG`: off the overview L0 sees only part of its
reference and can latch an angle 1.1-1.6° off, which no finer level takes up on the way.
"""

from __future__ import annotations

__all__ = ["ACCEPT_ANGLE_DEG", "MAX_RESIDUAL_DEG", "REFINE_MAX_DEG", "AngleEstimate"]

# The L0 angle's uncertainty (its measured p95 error is about 0.1°), and the error every tile fit
# has beyond its standard error (texture: 0.02° off at 0.004° claimed).
_L0_SIGMA_DEG = 0.1
_FIT_FLOOR_DEG = 0.01
# A finer level's residual beyond this is not taken up on the way (a periodic lattice's tiles can
# latch a neighbouring cell: taken up, 10 of the 60 off-the-overview cases were lost, 9 of them
# on the lattice); the final image's is, up to `MAX_RESIDUAL_DEG` (tile fits are small-angle
# fits), and then verified again.
REFINE_MAX_DEG = 1.0
MAX_RESIDUAL_DEG = 3.0
# An accepted match leaves the image within this angle of its reference (half the benchmark's
# 0.2° bound on a right match: a fit's own error must not carry it over).
ACCEPT_ANGLE_DEG = 0.1


class AngleEstimate:
    """The uncertainty of the angle the scan rotation carries, updated by each finer level."""

    def __init__(self) -> None:
        self.variance = _L0_SIGMA_DEG**2  # deg²

    def take_up(self, measured_deg: float, error_deg: float) -> float | None:
        """The share of a measured residual angle to turn by (None: the fit is not trusted)."""
        if abs(measured_deg) > REFINE_MAX_DEG:
            return None
        variance = error_deg**2 + _FIT_FLOOR_DEG**2
        gain = self.variance / (self.variance + variance)
        self.variance *= 1.0 - gain
        return gain * measured_deg
