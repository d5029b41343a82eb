"""How many people one server core coaches: landmark clients (pose in the browser) at 30 fps.

    python benchmarks/bench_clients.py [--clients 1 10 50 100 200] [--seconds 10]

``backstretch serve --pose browser`` runs pinned to one core (taskset -c 0); the clients run
here, pinned to the other. Each client is what the page is with ``--pose browser``: it
replays a real performance's landmarks (MediaPipe's poses of a rendered stretch,
``benchmarks/data/rendered``) at 30 fps, over its own WebSocket and session, and sends the
next frame only when the answer to the last one arrived (a late answer drops frames, it
never queues them). Prints per number of clients: answer latency p50/p95, frames answered /
offered, and the server's CPU time per landmark frame (from /proc), for two servers side by
side: the coach as shipped, which judges everyone less often when it is busy
(``web/load.py``), and the same coach with a fixed judge rate. Target: p95 < 50 ms with
20 clients; at least 200 clients on one core at that latency. First, without a server: what
one landmark frame costs the coach in-process, judged and between judgements.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import numpy as np
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backstretch.pose.replay import open_recording  # noqa: E402

PERFORMANCE = ROOT / "benchmarks" / "data" / "rendered" / "test-clean-fay-45-1.landmarks.jsonl.gz"
FPS = 30.0


def messages() -> list[dict]:
    rec = open_recording(PERFORMANCE)
    out = []
    for f in rec.frames():
        msg: dict = {"type": "landmarks", "width": rec.info.width, "height": rec.info.height}
        if f.image is not None and f.visibility is not None:
            msg["image"] = f.image.round(5).tolist()
            msg["visibility"] = f.visibility.round(4).tolist()
            if f.world is not None:
                msg["world"] = f.world.round(5).tolist()
        out.append(msg)
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def client(
    url: str, msgs: list[dict], seconds: float, offset: int, lat: list[float]
) -> tuple[int, int]:
    answered = offered = 0
    async with websockets.connect(url, origin=url.replace("ws://", "http://").rsplit("/ws", 1)[0],
                                  max_size=None) as ws:  # fmt: skip
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "start", "demo": True}))
        assert json.loads(await ws.recv())["type"] == "started"
        start = time.perf_counter()
        k = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + k / FPS
            if now < due:
                await asyncio.sleep(due - now)
            offered = k + 1
            msg = msgs[(offset + k) % len(msgs)] | {"t": round(time.perf_counter() - start + 1, 4)}
            sent = time.perf_counter()
            await ws.send(json.dumps(msg))
            answer = json.loads(await ws.recv())
            lat.append((time.perf_counter() - sent) * 1000)
            assert answer["type"] == "state", answer
            answered += 1
            # the next frame is the newest one at this moment: the ones that passed are dropped
            k = max(k + 1, int((time.perf_counter() - start) * FPS))
    return answered, offered


async def run(url: str, n: int, seconds: float, msgs: list[dict]) -> tuple[list[float], int, int]:
    lat: list[float] = []
    res = await asyncio.gather(*(client(url, msgs, seconds, 37 * i, lat) for i in range(n)))
    return lat, sum(a for a, _ in res), sum(o for _, o in res)


def in_process(msgs: list[dict]) -> None:
    """One connection's LiveConnection.on_text over the performance sent at 30 fps."""
    from backstretch.exercise import load_exercise
    from backstretch.pipeline import default_estimator  # never started: landmarks only
    from backstretch.web.live import LiveConnection

    conn = LiveConnection(load_exercise(), default_estimator, max_frame_bytes=1 << 20)
    conn.on_text(json.dumps({"type": "start", "demo": True}))
    judged: list[float] = []
    between: list[float] = []
    for k, m in enumerate(msgs):
        text = json.dumps(m | {"t": round(1 + k / FPS, 4)})
        before, start = conn.session.frames_judged, time.perf_counter()
        conn.on_text(text)
        took = (time.perf_counter() - start) * 1000
        (judged if conn.session.frames_judged > before else between).append(took)
    print(f"in-process, one connection, {len(msgs)} frames at 30 fps: judged {len(judged)} at "
          f"{np.mean(judged):.2f} ms, between {len(between)} at {np.mean(between):.2f} ms, "
          f"mean {np.mean(judged + between):.2f} ms a frame")  # fmt: skip


@contextlib.contextmanager
def server(exercise: Path | None, clients: int) -> Iterator[tuple[str, int]]:
    """``backstretch serve --pose browser`` pinned to core 0: its WebSocket URL and pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("backstretch")
    cmd = ["taskset", "-c", "0", str(exe), "serve", "--pose", "browser", "--no-browser",
           "--no-store", "--port", str(port), "--max-clients", str(clients + 5)]  # fmt: skip
    if exercise is not None:
        cmd += ["--exercise", str(exercise)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield f"ws://127.0.0.1:{port}/ws/live", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def judge_hz(url: str) -> float:
    health = url.replace("ws://", "http://").replace("/ws/live", "/api/health")
    with urllib.request.urlopen(health, timeout=5) as r:
        return float(json.load(r)["judge_hz"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 10, 20, 50, 100, 200])
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    msgs = messages()
    in_process(msgs)
    # the same coach with its judge rate fixed (never lowered under load), for comparison
    text = (files("backstretch.exercise") / "definitions" / "back_stretch.toml").read_text()
    fixed_toml = re.sub(r"(?m)^judge_busy_share = [0-9.]+", "judge_busy_share = 1.0", text)
    assert fixed_toml != text
    os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory() as tmp:
        fixed_path = Path(tmp) / "fixed_rate.toml"
        fixed_path.write_text(fixed_toml)
        with (
            server(None, max(args.clients)) as (url, pid),
            server(fixed_path, max(args.clients)) as (fixed_url, fixed_pid),
        ):
            print(f"servers pinned to core 0 (one at a time under load), clients to core 1; "
                  f"{args.seconds:g} s per row, 30 fps offered per client; the performance: "
                  f"{PERFORMANCE.name}. 'adaptive': the judge rate lowered when the server is "
                  f"busy (live.judge_busy_share); 'fixed': always the full rate; judge Hz: the "
                  f"rate /api/health gave after the row")  # fmt: skip
            print(f"{'clients':>8} {'server':>9} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'answered/offered':>17} {'CPU ms/frame':>13} {'judge Hz':>9}")  # fmt: skip
            for n in args.clients:
                for name, u, p in (("adaptive", url, pid), ("fixed", fixed_url, fixed_pid)):
                    cpu0 = cpu_seconds(p)
                    lat, answered, offered = asyncio.run(run(u, n, args.seconds, msgs))
                    cpu = cpu_seconds(p) - cpu0
                    p50, p95 = np.percentile(lat, [50, 95])
                    print(f"{n:>8} {name:>9} {p50:>8.1f} {p95:>8.1f} "
                          f"{answered / offered:>17.2f} {1000 * cpu / max(answered, 1):>13.2f} "
                          f"{judge_hz(u):>9.1f}", flush=True)  # fmt: skip
                    time.sleep(2.0)  # the load gone, the adaptive rate climbs back


if __name__ == "__main__":
    main()
