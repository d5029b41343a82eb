"""MediaPipe BlazePose adapter: the only module that imports mediapipe.

Uses the legacy ``solutions.pose`` API with ``model_complexity=1``: the models for it ship
inside the mediapipe 0.10.21 wheel. Complexity 0 and 2 would try to download a model, which
cannot work offline, so they are refused here. The native libraries' start-up chatter
(TFLite and absl lines written straight to the process's stderr) is silenced while the
graph starts (one blank warm-up frame), until it first finds a person, and as it closes;
Python errors still raise as usual.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from backstretch.pose.video import NATIVE_LOGS_ENV
from backstretch.types import PoseFrame, UInt8Array

MODEL_COMPLEXITY = 1


_quiet_lock = threading.Lock()
_quiet_users = 0
_saved_fd: int | None = None


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (C++ logs bypass Python).

    Process-wide, so counted: pose models working in several threads at once (the live coach
    and an upload) share one redirection, undone when the last of them is done."""
    global _quiet_users, _saved_fd
    if os.environ.get(NATIVE_LOGS_ENV) == "1":
        yield
        return
    with _quiet_lock:
        if _quiet_users == 0:
            sys.stderr.flush()
            _saved_fd = os.dup(2)
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
        _quiet_users += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_users -= 1
            if _quiet_users == 0 and _saved_fd is not None:
                ctypes.CDLL(None).fflush(None)  # C streams may hold lines back until exit
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None


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
        self._quiet = True
        with _native_stderr_silenced():
            import mediapipe as mp  # here, so that importing backstretch stays fast

            self._pose: Any = mp.solutions.pose.Pose(
                static_image_mode=static_image_mode,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=smooth_landmarks,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            # The graph opens its models on its own threads; one blank frame waits for them
            # (and their log lines) while stderr is still pointed away. No person: no state.
            self._pose.process(np.zeros((64, 64, 3), np.uint8))

    def process(self, image: UInt8Array, t: float, index: int) -> PoseFrame:
        """Find the pose in one RGB frame (``VideoReader(..., rgb=True)`` gives those)."""
        if self._quiet:  # until the first person: their first landmarks log a warning too
            with _native_stderr_silenced():
                result = self._pose.process(np.ascontiguousarray(image))
            self._quiet = result.pose_landmarks is None
        else:
            result = self._pose.process(np.ascontiguousarray(image))
        return PoseFrame.from_mediapipe(result, index=index, t=t)

    def close(self) -> None:
        with _native_stderr_silenced():  # a graph that never ran starts its models here
            self._pose.close()

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
