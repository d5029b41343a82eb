"""The pose-estimator protocol: pixels in, one PoseFrame out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from backstretch.types import PoseFrame, UInt8Array


@runtime_checkable
class PoseEstimator(Protocol):
    """Turns one video frame (RGB, uint8, HxWx3) into a PoseFrame.

    Implementations: :class:`~backstretch.pose.mediapipe_pose.MediaPipePoseEstimator`
    (real model) and :class:`~backstretch.pose.replay.ReplayEstimator` (recorded landmarks).
    """

    def process(self, image: UInt8Array, t: float, index: int) -> PoseFrame: ...

    def close(self) -> None: ...
