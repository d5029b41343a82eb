"""Pose in the browser (``--pose browser``), server side: the model files served from the
package, pictures refused, many people at once, each in their own session."""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import zipfile

import pytest
from fastapi.testclient import TestClient

from backstretch.pose.mediapipe_pose import POSE_TASK_SHA256
from backstretch.pose.synthetic import Camera, Performer, stretch_script
from backstretch.web import create_app
from backstretch.web.browser_pose import VENDOR
from backstretch.web.load import JudgeRate

LOCAL = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000/ws/live"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pose-cache")


@pytest.fixture(scope="module")
def app(ex, cache):
    return create_app(ex, pose="browser", max_clients=3, pose_cache=cache)


@pytest.fixture
def client(app):
    with TestClient(app, base_url=LOCAL) as c:
        yield c


def _hello(ws) -> dict:
    msg = ws.receive_json()
    assert msg["type"] == "hello"
    return msg


def _landmarks(f, info) -> str:
    msg = {"type": "landmarks", "t": f.t + 0.01, "width": info.width, "height": info.height}
    if f.image is not None:
        msg |= {"image": f.image.tolist(), "visibility": f.visibility.tolist(),
                "world": f.world.tolist()}  # fmt: skip
    return json.dumps(msg)


def test_the_model_bundle_is_built_from_the_wheel_and_served(client, cache):
    got = client.get("/vendor/pose_landmarker_full.task")
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == POSE_TASK_SHA256
    with zipfile.ZipFile(next(cache.glob("*.task"))) as z:
        assert sorted(z.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())


def test_the_runtime_is_served_from_the_package_gzipped(client):
    mjs = client.get("/vendor/tasks-vision/vision_bundle.mjs")
    assert mjs.status_code == 200 and "javascript" in mjs.headers["content-type"]
    assert "PoseLandmarker" in mjs.text
    sums = dict(
        reversed(line.split(maxsplit=1))
        for line in (VENDOR / "SHA256SUMS").read_text().splitlines()
    )
    for name in ("vision_wasm_internal.wasm", "vision_wasm_nosimd_internal.wasm"):
        raw = client.get(
            f"/vendor/tasks-vision/wasm/{name}", headers={"accept-encoding": "identity"}
        )
        assert raw.status_code == 200
        assert raw.headers["content-type"] == "application/wasm"
        assert raw.headers["content-encoding"] == "gzip"
        # the test client has already undone the gzip: these are the published bytes
        assert hashlib.sha256(raw.content).hexdigest() == sums[f"wasm/{name}"]
        assert raw.content[:4] == b"\0asm"
    gz = (VENDOR / "wasm" / "vision_wasm_internal.wasm.gz").read_bytes()
    assert gzip.decompress(gz)[:4] == b"\0asm"


@pytest.mark.parametrize(
    "path",
    ["/vendor/tasks-vision/../../app.js", "/vendor/tasks-vision/SHA256SUMS",
     "/vendor/tasks-vision/LICENSE", "/vendor/tasks-vision/nothing.wasm",
     "/vendor/tasks-vision/%2e%2e/%2e%2e/index.html"],
)  # fmt: skip
def test_nothing_else_is_served_from_the_vendor_folder(client, path):
    assert client.get(path).status_code == 404


def test_pictures_are_refused_and_landmarks_count_a_repetition(client, ex, app):
    perf = Performer(stretch_script(1, 16.0), camera=Camera(yaw=45.0, fps=10.0), seed=5)
    before = client.get("/api/health").json()
    assert before["pose"] == "browser" and before["pictures_received"] == 0
    with client.websocket_connect(WS) as ws:
        assert _hello(ws)["pose"] == "browser"
        ws.send_bytes(struct.pack("<d", 1.0) + b"\xff\xd8\xff" + bytes(100))
        err = ws.receive_json()
        assert err["type"] == "error" and err["code"] == "pictures_refused"
        assert "browser" in err["message"]
        ws.send_text(json.dumps({"type": "start"}))
        assert ws.receive_json()["type"] == "started"
        states = []
        for f in perf.frames():
            ws.send_text(_landmarks(f, perf.info))
            states.append(ws.receive_json())
        assert states[-1]["rep_count"] == 1
        assert max(s["hold_s"] for s in states) >= ex.targets.hold_s
    assert client.get("/api/health").json()["pictures_received"] == 0


def test_nobody_in_the_picture_is_a_frame_without_landmarks(client):
    with client.websocket_connect(WS) as ws:
        _hello(ws)
        ws.send_text(json.dumps({"type": "start", "demo": True}))
        ws.receive_json()
        for k in range(5):
            ws.send_text(json.dumps({"type": "landmarks", "t": 1.0 + k / 10}))
            state = ws.receive_json()
            assert state["type"] == "state" and state["landmarks"] is None
        ws.send_text(json.dumps({"type": "landmarks", "t": 2.0, "image": [[0.5, 0.5, 0]] * 33}))
        err = ws.receive_json()
        assert err["code"] == "bad_frame" and "visibility" in err["message"]


def test_people_are_coached_at_once_up_to_the_limit_each_in_their_own_session(client, ex):
    """Three people at once (the limit here), each at their own stage of their own stretch;
    a fourth is told the coach is full; a place frees when someone leaves."""
    perfs = [
        Performer(stretch_script(1, 16.0, lead_s=lead), camera=Camera(yaw=yaw, fps=10.0), seed=s)
        for lead, yaw, s in ((2.5, 45.0, 1), (6.0, 0.0, 2), (4.0, 80.0, 3))
    ]
    frames = [list(p.frames()) for p in perfs]
    with (
        client.websocket_connect(WS) as a,
        client.websocket_connect(WS) as b,
        client.websocket_connect(WS) as c,
    ):
        socks = [a, b, c]
        for ws in socks:
            _hello(ws)
        with client.websocket_connect(WS) as d:
            err = d.receive_json()
            assert err["code"] == "full" and "takes 3 people at once" in err["message"]
        assert client.get("/api/health").json()["live_clients"] == 3
        for ws in socks:
            ws.send_text(json.dumps({"type": "start", "demo": True}))
            assert ws.receive_json()["type"] == "started"
        last = [None, None, None]
        phases: list[set[str]] = [set(), set(), set()]
        held = [0.0, 0.0, 0.0]
        for k in range(max(len(f) for f in frames)):
            for i, ws in enumerate(socks):  # interleaved, frame by frame
                if k < len(frames[i]):
                    ws.send_text(_landmarks(frames[i][k], perfs[i].info))
                    last[i] = ws.receive_json()
                    phases[i].add(last[i]["phase"])
                    held[i] = max(held[i], last[i]["hold_s"])
        assert [s["rep_count"] for s in last] == [1, 1, 1]
        assert all({"raising", "position", "releasing"} <= p for p in phases)
        assert min(held) >= ex.targets.hold_s  # each timer ran through its own hold
    with client.websocket_connect(WS) as again:  # everyone left: places are free
        assert _hello(again)["pose"] == "browser"
    assert client.get("/api/health").json()["live_clients"] == 0


def test_a_server_that_poses_pictures_says_so(ex):
    app = create_app(ex, pose="server")
    with TestClient(app, base_url=LOCAL) as c, c.websocket_connect(WS) as ws:
        assert _hello(ws)["pose"] == "server"
        assert c.get("/vendor/pose_landmarker_full.task").status_code == 404
    with pytest.raises(Exception, match="browser' or 'server"):
        create_app(ex, pose="phone")


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _load(rate: JudgeRate, clock: _Clock, seconds: float, share: float, fps: float = 512.0):
    """Frames arriving at ``fps`` for ``seconds``, each keeping the server busy ``share`` of
    its interval (512 a second: exact in binary, so each second ends on a frame)."""
    for _ in range(int(seconds * fps)):
        clock.t += 1.0 / fps
        rate.add(share / fps)


def test_a_busy_server_judges_less_often_and_recovers():
    clock = _Clock()
    rate = JudgeRate(10.0, 4.0, 0.6, clock=clock)
    _load(rate, clock, 5.0, 0.3)
    assert rate.hz() == 10.0  # under the share: the full rate
    _load(rate, clock, 1.0, 0.9)
    assert rate.hz() == pytest.approx(10.0 * 0.6 / 0.9, rel=0.02)
    _load(rate, clock, 10.0, 2.0)  # more than the core has: the floor, not below
    assert rate.hz() == 4.0
    _load(rate, clock, 1.0, 0.1)  # the load goes: a quarter faster a second
    assert rate.hz() == pytest.approx(5.0, rel=0.02)
    clock.t += 10.0  # an idle stretch, then one frame: back to the full rate
    rate.add(0.001)
    assert rate.hz() == 10.0


def test_many_frames_at_once_lower_the_judge_rate_and_still_count_the_repetition(ex, cache):
    """A client sending frames as fast as the answers come keeps the server busy: past the
    busy share (set low here, so the test does not depend on this machine's speed) everyone
    is judged less often, and the repetition is still counted with its hold."""
    live = ex.live.model_copy(update={"judge_busy_share": 0.05, "judge_min_hz": 4.0})
    busy = create_app(ex.model_copy(update={"live": live}), pose="browser", pose_cache=cache)
    # the load looked at every 50 ms, not every second: on any machine the 1,400 frames of
    # two repetitions at 30 fps then last many periods
    busy.state.judge_rate.period_s = 0.05
    perf = Performer(stretch_script(2, 16.0), camera=Camera(yaw=45.0, fps=30.0), seed=5)
    with TestClient(busy, base_url=LOCAL) as client:
        assert client.get("/api/health").json()["judge_hz"] == ex.live.judge_max_hz
        with client.websocket_connect(WS) as ws:
            _hello(ws)
            ws.send_text(json.dumps({"type": "start", "demo": True}))
            assert ws.receive_json()["type"] == "started"
            states = []
            for f in perf.frames():
                ws.send_text(_landmarks(f, perf.info))
                states.append(ws.receive_json())
            health = client.get("/api/health").json()
        assert health["judge_hz"] < ex.live.judge_max_hz
        # at the full rate a 30 fps camera has every 3rd frame judged
        assert health["landmark_frames"] == len(states)
        assert health["landmark_frames_judged"] < 0.6 * len(states) / 3
        assert states[-1]["rep_count"] == 2
        assert max(s["hold_s"] for s in states) >= ex.targets.hold_s
