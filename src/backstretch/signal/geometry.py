"""Vector geometry over stacks of points, and the named angle convention.

Convention (the one place it is written down): angles are degrees. The body frame is
y-down like the image and MediaPipe's world landmarks, so "up" is ``(0, -1, 0)``.
Elevation of a limb is measured from straight down (0 = hanging, 90 = horizontal, 180 = up).
Signed inclines are ``atan2(forward component, up component)``: positive leans forward,
wrapped to (-180, 180].
"""

from __future__ import annotations

import numpy as np

from backstretch.types import FloatArray

UP = np.array([0.0, -1.0, 0.0])


def norm(v: FloatArray) -> FloatArray:
    """Length of vectors along the last axis (np.linalg.norm's checks cost twice the sum)."""
    return np.asarray(np.sqrt(np.add.reduce(v * v, axis=-1)))


def unit(v: FloatArray) -> FloatArray:
    n = norm(v)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1e-9, v / n, np.nan)


def dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(np.sum(a * b, axis=-1))


def joint_angle(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Interior angle at ``b`` of the path a-b-c, in [0, 180]; works in 2-D and 3-D."""
    u, v = unit(a - b), unit(c - b)
    return np.degrees(np.arccos(np.clip(dot(u, v), -1.0, 1.0)))


def signed_incline(v: FloatArray, forward: FloatArray, up: FloatArray = UP) -> FloatArray:
    """Angle of ``v`` from ``up`` within the plane of (forward, up); + is towards forward."""
    return np.degrees(np.arctan2(dot(v, forward), dot(v, up)))


def horizontal(v: FloatArray) -> FloatArray:
    """``v`` with its vertical component removed."""
    out = np.array(v, dtype=np.float64, copy=True)
    out[..., 1] = 0.0
    return out
