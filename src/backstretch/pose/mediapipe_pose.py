"""MediaPipe BlazePose adapter: the only module that imports mediapipe.

Uses the legacy ``solutions.pose`` API with ``model_complexity=1``: the models for it ship
inside the mediapipe 0.10.21 wheel. Complexity 0 and 2 would try to download a model, which
cannot work offline, so they are refused here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backstretch.types import PoseFrame, UInt8Array

MODEL_COMPLEXITY = 1


class MediaPipePoseEstimator:
    """BlazePose (full) on the CPU, in tracking mode for video or static mode for photos."""

    def __init__(
        self,
        *,
        static_image_mode: bool = False,
        smooth_landmarks: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        import mediapipe as mp  # imported here so that importing backstretch stays fast

        self._pose: Any = mp.solutions.pose.Pose(
            static_image_mode=static_image_mode,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def process(self, image: UInt8Array, t: float, index: int) -> PoseFrame:
        """Find the pose in one RGB frame (``VideoReader(..., rgb=True)`` gives those)."""
        result = self._pose.process(np.ascontiguousarray(image))
        return PoseFrame.from_mediapipe(result, index=index, t=t)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
