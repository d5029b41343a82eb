"""Whether the pose followed one person: a jump of the body in the picture that no movement
makes (the model switched to someone else in the picture, or lost the person and found them
elsewhere)."""

from __future__ import annotations

import numpy as np

from backstretch.types import FloatArray, Landmark, PoseSeries

L = Landmark
_SHOULDERS = [int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)]
_HIPS = [int(L.LEFT_HIP), int(L.RIGHT_HIP)]


def pose_jumps(
    t: FloatArray, image: FloatArray, width: float, height: float, *, max_jump: float,
    max_gap_s: float,
) -> FloatArray:  # fmt: skip
    """The times (of the later frame) where the hip midpoint moves more than ``max_jump``
    torso lengths, in the picture, between two frames with a person at most ``max_gap_s``
    apart. ``image``: (T, 33, >=2) picture landmarks, 0-1, NaN where nobody was found; the
    torso length is the mean of the two frames' (shoulder midpoint to hip midpoint)."""
    xy = np.asarray(image)[:, _SHOULDERS + _HIPS, :2].astype(np.float64) * (width, height)
    found = ~np.isnan(xy[:, 0, 0])
    if found.sum() < 2:
        return np.empty(0)
    t, xy = np.asarray(t, dtype=np.float64)[found], xy[found]
    hips = xy[:, 2:].mean(axis=1)
    torso = np.linalg.norm(xy[:, :2].mean(axis=1) - hips, axis=1)
    moved = np.linalg.norm(np.diff(hips, axis=0), axis=1)
    scale = np.maximum((torso[1:] + torso[:-1]) / 2.0, 1e-6)
    jump = (moved / scale > max_jump) & (np.diff(t) <= max_gap_s)
    return t[1:][jump]


def series_jumps(series: PoseSeries, *, max_jump: float, max_gap_s: float) -> FloatArray:
    """:func:`pose_jumps` over a whole recording."""
    w, h = float(series.extra.get("width", 1)), float(series.extra.get("height", 1))
    return pose_jumps(series.t, series.image, w, h, max_jump=max_jump, max_gap_s=max_gap_s)
