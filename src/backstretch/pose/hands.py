"""The hands read beside the pose (issue 11): the hand model looks only where it can decide
something, once a second while both arms are raised in front and the body faces the camera
enough for both hands to show.

Wraps any :class:`~backstretch.pose.base.PoseEstimator`; the hand model itself is in
:mod:`backstretch.pose.mediapipe_pose` (the one module that imports mediapipe).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import numpy as np

from backstretch.pose.base import PoseEstimator
from backstretch.types import HandReading, PoseFrame, UInt8Array
from backstretch.types import Landmark as L

#: How often the hands are read while the arms are up: a reading costs about two poses'
#: time, and a grip is held all through the stretch.
HANDS_HZ = 1.0
#: Both wrists at most this far below the shoulders, in shoulder-to-hip lengths of the
#: picture: the hands are up (at the navel, the lowest recognisable attempt, about 0.8).
RAISED_MAX_DROP = 0.9
#: The hands are not read with the body turned further than this from the camera (deg): the
#: checks are not made there (``max_yaw_deg`` of the hand rules, 42, plus a margin).
READ_MAX_YAW = 50.0


class HandReader(Protocol):
    def read(self, image: UInt8Array, pose: PoseFrame) -> HandReading | None: ...

    def close(self) -> None: ...


def arms_raised(f: PoseFrame) -> bool:
    """Whether both wrists are up in front of the body, from the picture landmarks."""
    if f.image is None:
        return False
    y = np.asarray(f.image)[:, 1]
    shoulders = (y[L.LEFT_SHOULDER] + y[L.RIGHT_SHOULDER]) / 2
    torso = (y[L.LEFT_HIP] + y[L.RIGHT_HIP]) / 2 - shoulders
    if not np.isfinite(torso) or torso <= 0:
        return False
    drop = max(y[L.LEFT_WRIST], y[L.RIGHT_WRIST]) - shoulders
    return bool(drop <= RAISED_MAX_DROP * torso)


def body_turn(f: PoseFrame) -> float:
    """The body's turn from the camera (deg; 0 facing it, 90 side-on) from the world
    landmarks' shoulder and hip lines (NaN without them)."""
    if f.world is None:
        return float("nan")
    w = np.asarray(f.world, dtype=np.float64)
    across = (w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER]) + (w[L.LEFT_HIP] - w[L.RIGHT_HIP])
    return float(np.degrees(np.arctan2(abs(across[2]), abs(across[0]))))


class WithHands:
    """A pose estimator that also reads the hands (at most ``hz`` times a second, only while
    the arms are raised); the hand model starts at its first use."""

    def __init__(
        self, pose: PoseEstimator, reader: Callable[[], HandReader], hz: float = HANDS_HZ
    ) -> None:
        self.pose = pose
        self._make = reader
        self._reader: HandReader | None = None
        self._every = 1.0 / hz
        self._last = -np.inf

    def process(self, image: UInt8Array, t: float, index: int) -> PoseFrame:
        f = self.pose.process(image, t, index)
        if t - self._last < self._every or not arms_raised(f) or body_turn(f) > READ_MAX_YAW:
            return f
        if self._reader is None:
            self._reader = self._make()
        self._last = t
        hands = self._reader.read(image, f)
        return replace(f, hands=hands) if hands is not None else f

    def close(self) -> None:
        try:
            self.pose.close()
        finally:
            if self._reader is not None:
                self._reader.close()
