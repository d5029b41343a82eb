"""Live coach latency: a loopback client sends a real clip at 30 fps to `backstretch serve`.

    python benchmarks/bench_live.py [VIDEO] [--seconds 20] [--fps 30] [--browser] [--browser-pose]

The client behaves like the page: it sends the newest camera frame (640x480 JPEG, quality
75) only when the answer to the last one has arrived, so frames are dropped, never queued.
Prints, from this one run: the server's processing time per frame (p50/p95), the time from
a frame's capture to its feedback (p50/p95), served fps over offered fps, and the server's
time against a bare MediaPipe call on the same frames in this process (the overhead of
decoding, measuring and coaching), and that call with the hand model beside it (issue 11:
the hands read once a second while the arms are up; target: p95 at most 5 ms more). Targets:
server p95 < 40 ms, frame-to-feedback p95 < 100 ms. With ``--browser``, the same clip also
plays as the camera of the real page in headless Chromium, which reports its own
capture-to-feedback times (JPEG encoding included).
With ``--browser-pose``, the page runs the pose model itself against ``serve --pose browser``
(the default): frames analysed / frames offered by the camera, capture-to-feedback and the
in-page pose time (target: analysed / offered >= 0.5 at 30 fps).
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from websockets.sync.client import connect

from backstretch.pose.base import PoseEstimator
from backstretch.pose.hands import WithHands
from backstretch.pose.mediapipe_pose import MediaPipeHandReader, MediaPipePoseEstimator
from backstretch.pose.video import (
    VideoReader,
    decode_image,
    encode_jpeg,
    resize_to_height,
    write_y4m,
)

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = HERE.parent / "tests" / "data" / "sports2d_demo.mp4"


def camera_frames(video: Path) -> list[bytes]:
    """The clip as a 640x480 webcam would give it (centre crop to 4:3), JPEG-compressed."""
    out = []
    for vf in VideoReader(video, rgb=True):
        h, w = vf.image.shape[:2]
        cw = min(w, h * 4 // 3)
        x0 = (w - cw) // 2
        img = resize_to_height(vf.image[:, x0 : x0 + cw], 480)
        out.append(encode_jpeg(np.ascontiguousarray(img[:, :640]), quality=75))
    return out


def pose_ms(frames: list[bytes], hands: bool = False) -> np.ndarray:
    """Time per frame of the pose model alone, or (``hands``) with the hand model reading the
    hands once a second while the arms are up, as the server does."""
    est: PoseEstimator = MediaPipePoseEstimator()
    if hands:
        est = WithHands(est, MediaPipeHandReader)
    times = []
    try:
        for i, jpeg in enumerate(frames):
            rgb = decode_image(jpeg)
            t0 = time.perf_counter()
            est.process(rgb, i / 30.0, i)
            times.append(time.perf_counter() - t0)
    finally:
        est.close()
    return np.array(times) * 1000.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, pose: str = "server") -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "backstretch", "serve", "--no-browser", "--port", str(port),
           "--pose", pose, "--no-store"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def run_client(
    port: int, frames: list[bytes], seconds: float, fps: float
) -> dict[str, list[float]]:
    server_ms: list[float] = []
    feedback_ms: list[float] = []
    with connect(f"ws://127.0.0.1:{port}/ws/live", max_size=None) as ws:
        assert json.loads(ws.recv())["type"] == "hello"
        ws.send(json.dumps({"type": "start"}))
        assert json.loads(ws.recv())["type"] == "started"
        # warm-up: the first frames load the model
        for i in range(5):
            ws.send(struct.pack("<d", 0.001 * (i + 1)) + frames[i])
            ws.recv()
        t0 = time.perf_counter()
        k = 0
        while True:
            now = time.perf_counter()
            k = max(k, int((now - t0) * fps))  # the newest frame the camera has given
            capture = t0 + k / fps
            if capture > now:
                time.sleep(capture - now)
            if capture - t0 >= seconds:
                break
            ws.send(struct.pack("<d", 1.0 + capture - t0) + frames[k % len(frames)])
            reply = json.loads(ws.recv())
            while reply["type"] != "state":  # a summary may follow a state; skip it
                reply = json.loads(ws.recv())
            feedback_ms.append((time.perf_counter() - capture) * 1000.0)
            server_ms.append(float(reply["server_ms"]))
            k += 1
    return {"server": server_ms, "feedback": feedback_ms}


def run_browser(port: int, frames: list[bytes], seconds: float, fps: float) -> dict[str, float]:
    """The real page in headless Chromium, the clip as its camera; the page's own numbers
    (with a ``--pose browser`` server, the page poses the frames itself)."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        cam = Path(tmp) / "camera.y4m"
        write_y4m((decode_image(j) for j in frames), cam, round(fps))
        args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={cam}",
        ]  # fmt: skip
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("[data-testid=start]:not([disabled])")
            deadline = time.monotonic() + 60
            while page.evaluate("window.backstretchStats().pose") == "browser" and not (
                page.evaluate("window.backstretchStats().poseReady")
            ):
                assert time.monotonic() < deadline, "the page's pose model did not load"
                page.wait_for_timeout(200)
            page.click("[data-testid=start]")
            page.wait_for_timeout(2000)  # warm-up
            before = page.evaluate("window.backstretchStats()")
            page.evaluate("app.feedbackMs.length = 0; app.poseMs.length = 0")
            page.wait_for_timeout(seconds * 1000)
            stats: dict[str, float] = page.evaluate("window.backstretchStats()")
            browser.close()
    stats["warmup_frames"] = before["frames"]
    stats["offered"] -= before["offered"]
    return stats


def row(label: str, ms: np.ndarray, note: str = "") -> None:
    print(f"{label:34}{np.percentile(ms, 50):8.1f}{np.percentile(ms, 95):8.1f}{note}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--browser", action="store_true", help="also measure in headless Chromium")
    ap.add_argument(
        "--browser-pose",
        action="store_true",
        help="also measure the page posing in Chromium (serve --pose browser)",
    )
    args = ap.parse_args()
    frames = camera_frames(args.video)
    pose_ms(frames, hands=True)  # warm-up: the first run of a process is the slowest
    bare = pose_ms(frames)
    with_hands = pose_ms(frames, hands=True)
    port = free_port()
    proc = start_server(port)
    try:
        res = run_client(port, frames, args.seconds, args.fps)
        page = run_browser(port, frames, args.seconds, args.fps) if args.browser else None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    server, feedback = np.array(res["server"]), np.array(res["feedback"])
    served = len(server) / args.seconds
    print(
        f"clip: {args.video.name}, {len(frames)} frames as 640x480 JPEG, offered {args.fps:g} fps"
    )
    print(f"{'':34}{'p50':>8}{'p95':>8}")
    row("bare MediaPipe (this process), ms", bare)
    row("... and the hand model, ms", with_hands)
    extra = np.percentile(with_hands, 95) - np.percentile(bare, 95)
    print(
        f"hand model's extra time per frame: p95 {extra:.1f} ms (target <= 5), mean "
        f"{with_hands.mean() - bare.mean():.1f} ms, max {with_hands.max():.1f} ms"
    )
    row("server processing per frame, ms", server, "  (target p95 < 40)")
    row("frame to feedback, ms", feedback, "  (target p95 < 100)")
    print(
        f"server / bare MediaPipe (p50): {np.percentile(server, 50) / np.percentile(bare, 50):.2f}"
    )
    print(f"served / offered fps: {served:.1f} / {args.fps:g} = {served / args.fps:.2f}")
    if args.browser_pose:
        port = free_port()
        proc = start_server(port, "browser")
        try:
            own = run_browser(port, frames, args.seconds, args.fps)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        print(
            f"pose in Chromium (capture -> pose in the page -> landmarks -> server -> page), ms: "
            f"p50 {own['p50']:.1f}, p95 {own['p95']:.1f}; pose alone p50 {own['poseP50']:.1f}, "
            f"p95 {own['poseP95']:.1f}; frames analysed / offered by the camera: "
            f"{own['frames']} / {own['offered']} = {own['frames'] / max(own['offered'], 1):.2f}"
            "  (target >= 0.5)"
        )
    if page is not None:
        fps = page["frames"] / args.seconds
        print(
            f"in Chromium (capture -> JPEG -> server -> page), ms: p50 {page['p50']:.1f}, "
            f"p95 {page['p95']:.1f}; served / offered fps: {fps:.1f} / {args.fps:g} = "
            f"{fps / args.fps:.2f}"
        )


if __name__ == "__main__":
    main()
