"""Landmark accuracy on real pixels: our BlazePose run against the reference landmarks.

    python benchmarks/landmark_accuracy.py

Compares every frame of tests/data/pose_squats.mp4 with pose_squats.full.json (BlazePose
"full" from the JavaScript runtime) and prints the pixel error (median, p90, max).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from backstretch.pose.mediapipe_pose import MediaPipePoseEstimator
from backstretch.pose.video import VideoReader

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main() -> None:
    ref = np.array(json.loads((DATA / "pose_squats.full.json").read_text()))
    errors, missed = [], 0
    with MediaPipePoseEstimator() as est:
        for vf in VideoReader(DATA / "pose_squats.mp4", rgb=True):
            pf = est.process(vf.image, vf.t, vf.index)
            if pf.image is None:
                missed += 1
                continue
            h, w = vf.image.shape[:2]
            errors.append(np.linalg.norm(pf.image[:, :2] * [w, h] - ref[vf.index, :, :2], axis=1))
    err = np.concatenate(errors)
    print(f"frames: {len(errors)} with a pose, {missed} without (reference: {ref.shape[0]})")
    print(f"error (px): median {np.median(err):.2f}, p90 {np.percentile(err, 90):.2f}, "
          f"max {err.max():.1f}   (test threshold: median < 8)")  # fmt: skip


if __name__ == "__main__":
    main()
