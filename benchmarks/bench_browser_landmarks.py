"""Same answers both ways: the page's pose model against the server's, on the same frames.

    python benchmarks/bench_browser_landmarks.py [VIDEO] [--frames 90]

Starts ``backstretch serve`` (``--pose browser``), opens its page in headless Chromium, and
feeds the video's frames one by one to a pose landmarker made in the page exactly as the page
makes it (tasks-vision, the bundle the server built, CPU, video mode). The same frames go
through the server's pose path in Python (``MediaPipePoseEstimator``, tracking mode). Prints
the distance between the two in pixels (median and 95th percentile over the visible points
of every frame; target: median <= 5 px) and the frames where only one of them found someone.
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_live import free_port, start_server  # noqa: E402

from backstretch.pose.mediapipe_pose import MediaPipePoseEstimator  # noqa: E402
from backstretch.pose.video import VideoReader, encode_jpeg  # noqa: E402

DEFAULT_VIDEO = ROOT / "benchmarks" / "data" / "rate" / "rate-clean-fay-45-1.mp4"

IN_PAGE = """async (frames) => {
  const vision = await import("/vendor/tasks-vision/vision_bundle.mjs");
  const files = await vision.FilesetResolver.forVisionTasks("/vendor/tasks-vision/wasm");
  const lm = await vision.PoseLandmarker.createFromOptions(files, {
    baseOptions: { modelAssetPath: "/vendor/pose_landmarker_full.task", delegate: "CPU" },
    runningMode: "VIDEO", numPoses: 1,
  });
  const out = [];
  let ts = 1;
  for (const src of frames) {
    const img = new Image();
    img.src = src;
    await img.decode();
    const res = lm.detectForVideo(img, ts);
    ts += 33;
    const p = res.landmarks && res.landmarks[0];
    out.push(p ? p.map((q) => [q.x, q.y, q.visibility ?? 0]) : null);
  }
  lm.close();
  return out;
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--every", type=int, default=3, help="take every Nth frame of the video")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    images = [vf.image for vf in VideoReader(args.video, stride=args.every, rgb=True)]
    images = images[: args.frames]
    h, w = images[0].shape[:2]
    jpegs = [encode_jpeg(im, quality=95) for im in images]
    with MediaPipePoseEstimator() as est:  # the server's pose model, on the decoded JPEGs
        from backstretch.pose.video import decode_image

        py = [est.process(decode_image(j), k / 10.0, k) for k, j in enumerate(jpegs)]
    port = free_port()
    proc = start_server(port, "browser")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            urls = ["data:image/jpeg;base64," + base64.b64encode(j).decode() for j in jpegs]
            started = time.perf_counter()
            js = page.evaluate(IN_PAGE, urls)
            took = time.perf_counter() - started
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    dists, only_one = [], 0
    for a, b in zip(py, js, strict=True):
        if (a.image is None) != (b is None):
            only_one += 1
            continue
        if a.image is None or b is None or a.visibility is None:
            continue
        bb = np.asarray(b, dtype=float)
        seen = (a.visibility >= 0.5) & (bb[:, 2] >= 0.5)
        d = np.linalg.norm((a.image[:, :2] - bb[:, :2]) * [w, h], axis=1)[seen]
        dists.extend(d.tolist())
    d = np.asarray(dists)
    print(f"video: {args.video.name}, {len(images)} frames of {w}x{h} (every {args.every}th), "
          f"as JPEG quality 95 to both")  # fmt: skip
    print(f"page vs server landmarks, px: median {np.median(d):.2f}, p95 "
          f"{np.percentile(d, 95):.2f}, max {d.max():.2f}  (target: median <= 5)")  # fmt: skip
    print(f"frames where only one found a person: {only_one}")
    per = 1000 * took / len(images)
    print(f"in-page pose (with JPEG decoding, model loading included): {per:.0f} ms a frame")


if __name__ == "__main__":
    main()
