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


#: The browser's pose model bundle (``@mediapipe/tasks-vision``'s ``.task``: a zip of
#: ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite`` with input metadata),
#: built from this wheel's own models, so the page runs the server's model: (file in the
#: wheel, name in the bundle, input normalisation mean, std, description).
POSE_TASK_MODELS = (
    ("modules/pose_detection/pose_detection.tflite", "pose_detector.tflite", 127.5, 127.5,
     "BlazePose person detector"),
    ("modules/pose_landmark/pose_landmark_full.tflite", "pose_landmarks_detector.tflite", 0.0,
     255.0, "BlazePose GHUM 3D landmarks, full"),
)  # fmt: skip
#: What the bundle built from mediapipe 0.10.21 hashes to (the build is reproducible).
POSE_TASK_SHA256 = "dca7f5a647e142eeeab0841eb6f6ea6a5cd2ce7a13e6bdb1f77ff91458c68bac"


def _with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, "from the mediapipe 0.10.21 wheel")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in writer_utils.get_output_tensor_types(bytearray(model)):
        writer.add_feature_output()
    content, _ = writer.populate()
    return bytes(content)


def build_pose_task(out: str | os.PathLike[str]) -> str:
    """Write the browser's pose model bundle to ``out`` (offline); returns its SHA-256."""
    import hashlib
    import zipfile
    from pathlib import Path

    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    wheel = Path(mediapipe.__file__).parent
    models = {
        inner: _with_metadata((wheel / path).read_bytes(), what, mean, std)
        for path, inner, mean, std, what in POSE_TASK_MODELS
    }
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    # create_model_asset_bundle, with a fixed date in each entry so the build is reproducible
    with model_asset_bundle_utils.AlignZipFile(tmp, mode="w", alignment=4) as zf:
        for inner, content in models.items():
            zf.writestr(zipfile.ZipInfo(inner, date_time=(1980, 1, 1, 0, 0, 0)), content)
    os.replace(tmp, target)
    return hashlib.sha256(target.read_bytes()).hexdigest()
