"""Speed: analyse time against a bare MediaPipe loop on the same video, and the engine alone.

    python benchmarks/bench_speed.py [VIDEO]

Prints ratios measured side by side in this one run (targets: analyse --every-frame / bare
<= 1.05; the default analyse / bare <= 0.5 on a 30 fps recording of the stretch, 720p or
larger; the hand model adds <= 15 % to the default analysis; engine >= 50,000 frames/s).
The default keeps about 15 frames a second and poses only the ones around a movement
(``pose/rate.py``). The video: a 30 fps 1280x720 render of the stretch
(``benchmarks/data/rate``; all six, with accuracy: ``bench_rate.py``). Each timing is the
best of ``--repeat`` alternating runs.
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

from backstretch.analysis.engine import analyze_series
from backstretch.exercise import builtin_exercise
from backstretch.pipeline import analyze_source, default_estimator, open_source
from backstretch.pose.synthetic import Performer, stretch_script
from backstretch.types import PoseSeries

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = HERE / "data" / "rate" / "rate-clean-fay-45-1.mp4"
#: A view where the hand checks are made (the body turned about 30 deg): the hands are read.
HANDS_VIDEO = HERE / "data" / "rate" / "rate-clean-eli-25-8.mp4"


def bare_mediapipe(video: Path) -> int:
    """What any MediaPipe program must do: decode, convert, run the model."""
    cap = cv2.VideoCapture(str(video))
    pose = mp.solutions.pose.Pose(model_complexity=1)
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        n += 1
    pose.close()
    cap.release()
    return n


def ours(video: Path, stride: int | None = 1, hands: bool = True) -> int:
    est = partial(default_estimator, hands=hands)
    analysis = analyze_source(open_source(video, stride=stride, estimator=est), builtin_exercise())
    return analysis.report.video.frames


def timed(fn, *args) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--engine-minutes", type=float, default=10.0)
    args = ap.parse_args()

    bare_t, ours_t, auto_t, no_hands_t, hv_t, hv_no_t = [], [], [], [], [], []
    for _ in range(args.repeat):
        t, n_bare = timed(bare_mediapipe, args.video)
        bare_t.append(t)
        t, n_ours = timed(ours, args.video)
        ours_t.append(t)
        t, n_auto = timed(ours, args.video, None)
        auto_t.append(t)
        t, _ = timed(ours, args.video, None, False)
        no_hands_t.append(t)
        t, _ = timed(ours, HANDS_VIDEO, None)
        hv_t.append(t)
        t, _ = timed(ours, HANDS_VIDEO, None, False)
        hv_no_t.append(t)
    assert n_bare == n_ours, (n_bare, n_ours)
    b, o, a, nh = min(bare_t), min(ours_t), min(auto_t), min(no_hands_t)
    print(f"video: {args.video.name}, {n_bare} frames")
    print(f"bare MediaPipe loop          : {b:7.2f} s  ({1000 * b / n_bare:5.1f} ms/frame)")
    print(f"analyse --every-frame        : {o:7.2f} s  ({1000 * o / n_ours:5.1f} ms/frame)")
    print(f"analyse (default, {n_auto} frames): {a:7.2f} s")
    print(f"ratio every-frame / bare     : {o / b:7.3f}   (target <= 1.05)")
    print(f"ratio default / bare         : {a / b:7.3f}   (target <= 0.5)")
    print(f"analyse (default) without the hand model: {nh:7.2f} s")
    print(f"time the hand checks add     : {a / nh - 1:7.1%}   (target <= 15 %; a 45 deg view)")
    hv, hv_no = min(hv_t), min(hv_no_t)
    print(f"{HANDS_VIDEO.name}, default, with / without the hand model: {hv:.2f} s / {hv_no:.2f} s")
    print(f"time the hand checks add     : {hv / hv_no - 1:7.1%}   (target <= 15 %; hands read)")

    reps = max(1, int(args.engine_minutes * 60 / 30))
    perf = Performer(stretch_script(reps, 20.0, rest_s=4.0))
    series = PoseSeries.from_frames(list(perf.frames()))
    ex = builtin_exercise()
    best = min(
        timed(lambda: len(analyze_series(series, perf.info, ex).series))[0] for _ in range(3)
    )
    fps = len(series) / best
    print(
        f"engine alone        : {len(series)} frames ({len(series) / 30 / 60:.1f} min at 30 fps) "
        f"in {best:.3f} s = {fps:,.0f} frames/s (target >= 50,000)"
    )
    print(f"engine / real time  : {fps / 30:,.0f}x")
    _ = np  # numpy is imported for MediaPipe's sake


if __name__ == "__main__":
    main()
