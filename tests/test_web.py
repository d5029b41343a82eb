"""The web app with its real parts: FastAPI's test client, the real WebSocket protocol, real
JPEG frames of a real clip through MediaPipe, real uploads of real videos."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from backstretch.pose.synthetic import Camera, Performer, stretch_script
from backstretch.pose.video import VideoReader, VideoWriter, encode_jpeg, resize_to_height
from backstretch.types import SKELETON
from backstretch.web import create_app

pytestmark = pytest.mark.slow
LOCAL = "http://127.0.0.1:8000"  # the address `backstretch serve` answers on
WS = "ws://127.0.0.1:8000/ws/live"


@pytest.fixture(scope="module")
def client(ex):
    app = create_app(ex, max_upload_mb=2, max_frame_bytes=300_000)
    with TestClient(app, base_url=LOCAL) as c:
        yield c


@pytest.fixture(scope="module")
def jpegs(data) -> list[tuple[float, bytes]]:
    return [
        (vf.t, encode_jpeg(resize_to_height(vf.image, 480)))
        for vf in VideoReader(data / "pose_squats.mp4", rgb=True)
    ]


def frame_msg(t: float, jpeg: bytes) -> bytes:
    return struct.pack("<d", t) + jpeg


def hello(ws) -> None:
    assert ws.receive_json()["type"] == "hello"


def test_the_page_has_its_test_hooks(client, ex):
    page = client.get("/")
    assert page.status_code == 200
    for hook in ("start", "phase", "hold-seconds", "rep-count", "cue", "stop", "summary"):
        assert f'data-testid="{hook}"' in page.text
    assert client.get("/static/app.js").status_code == 200
    card = client.get("/api/exercise").json()
    assert card["targets"]["hold_s"] == ex.targets.hold_s
    assert len(card["skeleton"]) == len(SKELETON)


def test_real_frames_give_landmarks_framing_and_no_phantom_reps(client, jpegs):
    with client.websocket_connect(WS) as ws:
        hello(ws)
        ws.send_bytes(frame_msg(0.001, jpegs[0][1]))
        first = ws.receive_json()
        assert first["type"] == "state" and first["phase"] == "setup"
        assert first["landmarks"] is not None and len(first["landmarks"]) == 33
        ws.send_text(json.dumps({"type": "start"}))
        assert ws.receive_json()["type"] == "started"
        states = []
        for t, jpeg in jpegs[1:]:
            ws.send_bytes(frame_msg(t + 0.001, jpeg))
            states.append(ws.receive_json())
        assert all(s["type"] == "state" for s in states)
        assert sum(s["landmarks"] is not None for s in states) == len(states)
        assert {s["phase"] for s in states} <= {"rest", "raising", "position", "releasing"}
        assert states[-1]["view"] in ("front", "oblique")
        ws.send_text(json.dumps({"type": "stop", "reason": "done"}))
        summary = ws.receive_json()
        assert summary["type"] == "summary" and summary["summary"]["rep_count"] == 0


@pytest.mark.parametrize(
    ("message", "code", "words"),
    [
        (b"\x00\x01", "bad_frame", "8 bytes of capture time"),
        (struct.pack("<d", 5.0) + b"not a picture at all", "bad_frame", "not a picture"),
        (struct.pack("<d", float("nan")) + b"x" * 50, "bad_frame", "not a time"),
        (struct.pack("<d", 1.0) + b"\xff" * 400_000, "bad_frame", "at most 300000"),
        ("{not json", "bad_json", "not valid JSON"),
        ('{"type": "dance"}', "bad_message", "unknown message type"),
        ('{"type": "pain", "rating": 11, "where": "neck"}', "bad_message", "rating"),
        ('{"type": "stop", "reason": "bored"}', "bad_message", "reason"),
        ('{"type": "landmarks", "t": 1.0, "image": [], "visibility": []}', "bad_message", "image"),
    ],
)
def test_bad_messages_get_an_error_and_the_session_goes_on(client, jpegs, message, code, words):
    with client.websocket_connect(WS) as ws:
        hello(ws)
        if isinstance(message, bytes):
            ws.send_bytes(message)
        else:
            ws.send_text(message)
        err = ws.receive_json()
        assert err["type"] == "error" and err["code"] == code
        assert words in err["message"]
        ws.send_bytes(frame_msg(10.0, jpegs[0][1]))  # still serving
        ok = ws.receive_json()
        assert ok["type"] == "state" and ok["landmarks"] is not None


def test_time_must_move_forward(client, jpegs):
    with client.websocket_connect(WS) as ws:
        hello(ws)
        ws.send_bytes(frame_msg(2.0, jpegs[0][1]))
        assert ws.receive_json()["type"] == "state"
        ws.send_bytes(frame_msg(1.0, jpegs[1][1]))
        err = ws.receive_json()
        assert err["code"] == "bad_frame" and "not after" in err["message"]


def test_a_second_live_client_is_told_the_coach_is_busy(client, jpegs):
    with client.websocket_connect(WS) as first:
        hello(first)
        with client.websocket_connect(WS) as second:
            err = second.receive_json()
            assert err["type"] == "error" and err["code"] == "busy"
        first.send_bytes(frame_msg(1.0, jpegs[0][1]))
        assert first.receive_json()["type"] == "state"
    with client.websocket_connect(WS) as third:  # free again once the first left
        hello(third)


def test_landmarks_from_the_client_drive_the_same_session(client, ex):
    """A client that runs the pose model itself sends landmarks; a full rep is counted."""
    perf = Performer(stretch_script(1, 16.0), camera=Camera(yaw=45.0, fps=10.0), seed=11)
    with client.websocket_connect(WS) as ws:
        hello(ws)
        ws.send_text(json.dumps({"type": "start"}))
        assert ws.receive_json()["type"] == "started"
        states = []
        for f in perf.frames():
            if f.image is None or f.visibility is None:
                continue
            ws.send_text(
                json.dumps(
                    {
                        "type": "landmarks",
                        "t": f.t + 0.01,
                        "image": f.image.tolist(),
                        "visibility": f.visibility.tolist(),
                        "width": perf.info.width,
                        "height": perf.info.height,
                    }
                )
            )
            states.append(ws.receive_json())
        assert {"rest", "raising", "position", "releasing"} <= {s["phase"] for s in states}
        assert max(s["hold_s"] for s in states) >= ex.targets.hold_s
        assert states[-1]["rep_count"] == 1
        ws.send_text(json.dumps({"type": "pain", "rating": 3, "where": "neck", "note": "tight"}))
        summary = ws.receive_json()
        assert summary["type"] == "summary" and summary["stopped"] == "pain"
        assert summary["pain"]["rating"] == 3 and summary["safety"] == ex.safety
        assert summary["reps"][0]["completed"]


def wait_for(client, job_id: str, timeout: float = 60.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/api/uploads/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"upload {job_id} did not finish in {timeout} s")


def test_an_uploaded_video_is_analysed_with_progress_and_a_report(client, data):
    with (data / "pose_squats.mp4").open("rb") as fh:
        res = client.post("/api/uploads", files={"file": ("squats.mp4", fh, "video/mp4")})
    assert res.status_code == 202, res.text
    job = wait_for(client, res.json()["id"])
    assert job["status"] == "done" and job["progress"] == 1.0
    assert job["frames_done"] == job["frames_total"] == 65
    assert job["summary"]["rep_count"] == 0
    report = client.get(job["report_url"])
    assert report.status_code == 200 and "squats.mp4" in report.text
    assert not list(Path("/tmp").glob("backstretch-*.mp4")), "the upload was not deleted"


def _upload(client, name: str, payload: bytes):
    return client.post("/api/uploads", files={"file": (name, payload, "video/mp4")})


@pytest.mark.parametrize(
    ("name", "payload", "status", "words"),
    [
        ("notes.txt", b"hello", 415, "not a video type"),
        ("notes.mp4", b"this is not a video\n" * 50, 422, "notes.mp4: cannot be opened"),
        ("empty.mp4", b"", 422, "empty"),
        ("huge.mp4", b"\x00" * (3 * 1024 * 1024), 413, "2 MB"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(client, name, payload, status, words):
    res = _upload(client, name, payload)
    assert res.status_code == status
    assert words in res.json()["detail"]


def test_an_upload_without_a_person_fails_with_the_reason(client, tmp_path):
    path = tmp_path / "room.mp4"
    with VideoWriter(path, 10.0, 320, 240) as w:
        for i in range(20):
            w.write(np.full((240, 320, 3), 60 + i, dtype=np.uint8))
    res = _upload(client, "room.mp4", path.read_bytes())
    assert res.status_code == 202
    job = wait_for(client, res.json()["id"])
    assert job["status"] == "failed" and "room.mp4: no person was found" in job["error"]
    assert client.get(f"/api/uploads/{job['id']}/report").status_code == 409


def test_unknown_uploads_and_forms(client):
    assert client.get("/api/uploads/nope").status_code == 404
    res = client.post("/api/uploads", data={"other": "x"})
    assert res.status_code == 400 and "named 'file'" in res.json()["detail"]


def test_oversized_messages_over_a_real_socket_leave_the_server_serving(server, jpegs):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = server.replace("http", "ws") + "ws/live"
    with connect(url, max_size=None) as ws:
        assert json.loads(ws.recv())["type"] == "hello"
        ws.send(struct.pack("<d", 1.0) + b"\xff" * (3 << 20))  # over our 2 MB frame limit
        err = json.loads(ws.recv())
        assert err["code"] == "bad_frame" and "at most" in err["message"]
        ws.send(frame_msg(2.0, jpegs[0][1]))
        assert json.loads(ws.recv())["type"] == "state"
        ws.send(b"\x00" * (9 << 20))  # over the socket's own limit: the server hangs up
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    with connect(url, max_size=None) as ws:  # and serves the next client
        assert json.loads(ws.recv())["type"] == "hello"
        ws.send(frame_msg(1.0, jpegs[0][1]))
        assert json.loads(ws.recv())["type"] == "state"


def _landmarks(f, perf, offset: float = 0.0) -> str:
    return json.dumps(
        {"type": "landmarks", "t": f.t + 0.01 + offset, "image": f.image.tolist(),
         "visibility": f.visibility.tolist(), "world": f.world.tolist(),
         "width": perf.info.width, "height": perf.info.height}
    )  # fmt: skip


def _one_rep(ws, seed: int) -> dict:
    """Start, do one clean repetition, stop; returns the summary."""
    perf = Performer(stretch_script(1, 16.0), camera=Camera(yaw=45.0, fps=10.0), seed=seed)
    ws.send_text(json.dumps({"type": "start"}))
    started = ws.receive_json()
    assert started["type"] == "started" and started["stored"]
    for f in perf.frames():
        if f.image is not None:
            ws.send_text(_landmarks(f, perf, offset=100.0 * seed))  # the clock goes on
            assert ws.receive_json()["type"] == "state"
    ws.send_text(json.dumps({"type": "stop", "reason": "done"}))
    summary = ws.receive_json()
    assert summary["type"] == "summary"
    return summary


def test_live_sessions_are_stored_and_can_be_discarded(ex, tmp_path):
    from backstretch.store import Store

    db = str(tmp_path / "live.db")
    app = create_app(ex, store=Store(db))
    with TestClient(app, base_url=LOCAL) as c:
        assert c.get("/api/history").json()["sessions"] == []
        with c.websocket_connect(WS) as ws:
            hello(ws)
            first = _one_rep(ws, seed=1)
            assert first["session_id"] is not None and first["previous"] is None
            ws.send_text(json.dumps({"type": "discard"}))
            assert ws.receive_json()["type"] == "discarded"
            second = _one_rep(ws, seed=2)
            ws.send_text(json.dumps({"type": "save"}))
            assert ws.receive_json() == {"type": "saved", "session_id": second["session_id"]}
            third = _one_rep(ws, seed=3)
            assert third["previous"]["completed_count"] == 1  # compared with the second
        history = c.get("/api/history").json()
        assert [s["id"] for s in history["sessions"]] == [second["session_id"], third["session_id"]]
        assert all(s["kind"] == "live" and s["reps"][0]["completed"] for s in history["sessions"])
        page = c.get("/history")
        assert page.status_code == 200 and 'data-testid="next-target"' in page.text
        assert "data:image/png;base64," in page.text
    with Store(db) as store:  # the same, read from the file afterwards
        assert len(store.sessions()) == 2


def test_without_a_store_there_is_no_history(client):
    res = client.get("/history")
    assert res.status_code == 404 and "keeps no sessions" in res.json()["detail"]
