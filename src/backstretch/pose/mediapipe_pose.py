"""MediaPipe BlazePose (and MediaPipe Hands) adapter: the only module that imports mediapipe.

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
from backstretch.types import HandReading, Landmark, PoseFrame, UInt8Array

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


#: The pose's hand points (wrists, little fingers, index fingers, thumbs), left then right.
_HAND_POINTS = [int(Landmark.LEFT_WRIST), int(Landmark.RIGHT_WRIST), int(Landmark.LEFT_PINKY),
                int(Landmark.RIGHT_PINKY), int(Landmark.LEFT_INDEX), int(Landmark.RIGHT_INDEX),
                int(Landmark.LEFT_THUMB), int(Landmark.RIGHT_THUMB)]  # fmt: skip
#: The hand model looks at a square around the pose's hand points this many times their extent
#: (at least ``_MIN_CROP`` pixels), scaled to ``_CROP`` pixels. Its palm detector needs the
#: forearms in view too: on the tune split's fists and apart hands it found a hand in 9-20 of
#: 18-20 pictures with 2.2 times, in all of them with 3.
_CROP_MARGIN, _MIN_CROP, _CROP = 3.0, 64, 256


class MediaPipeHandReader:
    """MediaPipe Hands (full, shipped in the wheel) on a crop around the person's hands, one
    picture at a time: where each palm faces and where its fingers point (issue 11).

    Linked fingers make one knot of two hands, which the model often reads as one hand; each
    hand found is given to the person's left or right by the nearer pose wrist."""

    def __init__(self, *, min_detection_confidence: float = 0.3) -> None:
        with _native_stderr_silenced():
            import mediapipe as mp

            self._hands: Any = mp.solutions.hands.Hands(
                static_image_mode=True,
                max_num_hands=2,
                model_complexity=1,
                min_detection_confidence=min_detection_confidence,
            )
            self._hands.process(np.zeros((64, 64, 3), np.uint8))

    def read(self, image: UInt8Array, pose: PoseFrame) -> HandReading | None:
        """The hands of the person whose pose is given, in this RGB picture (None: no pose)."""
        import cv2

        if pose.image is None:
            return None
        h, w = image.shape[:2]
        pts = np.asarray(pose.image, np.float64)[_HAND_POINTS, :2] * [w, h]
        if not np.isfinite(pts).all():
            return None
        hand_px = float(np.median(np.linalg.norm(pts[4:6] - pts[0:2], axis=1)))
        side = max(_CROP_MARGIN * float(np.ptp(pts, axis=0).max()), _MIN_CROP)
        x0, y0 = pts.mean(axis=0) - side / 2
        scale = _CROP / side
        # the crop as an affine warp: parts outside the picture come out black
        m = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]])
        crop = cv2.warpAffine(np.ascontiguousarray(image), m, (_CROP, _CROP),
                              flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))  # fmt: skip
        with _native_stderr_silenced():
            res = self._hands.process(crop)
        palm = np.full((2, 3), np.nan)
        along = np.full((2, 3), np.nan)
        score = np.zeros(2)
        found = zip(res.multi_hand_landmarks or [], res.multi_hand_world_landmarks or [],
                    res.multi_handedness or [], strict=False)  # fmt: skip
        for lm, world, handed in found:
            wrist = np.array([lm.landmark[0].x, lm.landmark[0].y]) * _CROP / scale + [x0, y0]
            k = int(np.argmin(np.linalg.norm(pts[0:2] - wrist, axis=1)))  # 0 left, 1 right
            conf = float(handed.classification[0].score)
            if conf <= score[k]:
                continue
            p = np.array([[q.x, q.y, q.z] for q in world.landmark], np.float64)
            n = np.cross(p[5] - p[0], p[17] - p[0]) * (1.0 if k == 1 else -1.0)
            a = p[9] - p[0]
            palm[k] = n / max(float(np.linalg.norm(n)), 1e-9)
            along[k] = a / max(float(np.linalg.norm(a)), 1e-9)
            score[k] = conf
        return HandReading(pose.t, palm, along, score, hand_px)

    def close(self) -> None:
        with _native_stderr_silenced():
            self._hands.close()


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
