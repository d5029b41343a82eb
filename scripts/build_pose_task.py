"""Build the browser's pose model bundle from the pinned MediaPipe wheel, offline.

    python scripts/build_pose_task.py [--out pose_landmarker_full.task]

``@mediapipe/tasks-vision`` runs a ``.task`` bundle: a zip (uncompressed, 4-byte aligned) of
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``, each carrying TFLite metadata
that says how to normalise the input picture. No package registry ships one, but the wheel
``mediapipe==0.10.21`` ships both models (``pose_detection.tflite`` and the same
``pose_landmark_full.tflite`` the server runs), and its metadata writer and
``model_asset_bundle_utils`` make the bundle: the detector takes pixels as (x - 127.5) / 127.5,
the landmark model as x / 255. ``backstretch serve`` builds it the same way on its first start
(``backstretch.pose.mediapipe_pose.build_pose_task``); this prints its SHA-256, which must be
``POSE_TASK_SHA256``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from backstretch.pose.mediapipe_pose import POSE_TASK_SHA256, build_pose_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("pose_landmarker_full.task"))
    args = ap.parse_args()
    digest = build_pose_task(args.out)
    same = "the expected one" if digest == POSE_TASK_SHA256 else f"NOT {POSE_TASK_SHA256}"
    print(f"{digest}  {args.out}  ({args.out.stat().st_size:,} bytes; {same})")


if __name__ == "__main__":
    main()
