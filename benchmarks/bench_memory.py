"""Memory: peak RSS analysing a 10-minute video against a 1-minute one (target: flat, < 500 MB).

    python benchmarks/bench_memory.py

Makes the two videos by looping a real clip (tests/data/pose_squats.mp4, 5 fps, scaled to
360x640), then analyses each in a fresh process and reads its peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backstretch.pose.video import VideoReader, VideoWriter

HERE = Path(__file__).resolve().parent
CLIP = HERE.parent / "tests" / "data" / "pose_squats.mp4"


def make_video(path: Path, minutes: float) -> int:
    import cv2

    frames = [cv2.resize(f.image, (360, 640)) for f in VideoReader(CLIP)]
    fps = 5.0
    n = int(minutes * 60 * fps)
    with VideoWriter(path, fps, 360, 640) as w:
        for i in range(n):
            w.write(frames[i % len(frames)])
    return n


def peak_rss_mb(video: Path) -> tuple[float, float]:
    code = (
        "import sys; from backstretch.cli import main; "
        f"sys.exit(main(['analyze', {str(video)!r}, '-q']))"
    )
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024.0, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--short", type=float, default=1.0, help="minutes")
    ap.add_argument("--long", type=float, default=10.0, help="minutes")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        short, long_ = Path(tmp) / "short.mp4", Path(tmp) / "long.mp4"
        n_s, n_l = make_video(short, args.short), make_video(long_, args.long)
        rss_s, t_s = peak_rss_mb(short)  # first: RUSAGE_CHILDREN keeps the maximum so far
        rss_l, t_l = peak_rss_mb(long_)
    print(f"{args.short:4.1f} min video ({n_s} frames): peak RSS {rss_s:7.1f} MB, {t_s:6.1f} s")
    print(f"{args.long:4.1f} min video ({n_l} frames): peak RSS {rss_l:7.1f} MB, {t_l:6.1f} s")
    print(f"ratio long/short: {rss_l / rss_s:.3f}   (target: flat, long < 500 MB)")


if __name__ == "__main__":
    main()
