"""Hostile and careless input against the real server, CLI and store (issue 10).

Each refusal has a partner that shows the same path still serves the honest request."""

from __future__ import annotations

import json
import resource
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from starlette.testclient import WebSocketDenialResponse

from backstretch.cli import main
from backstretch.errors import StoreError
from backstretch.pose.synthetic import Camera, Performer, stretch_script
from backstretch.pose.video import VideoWriter
from backstretch.store import Store
from backstretch.web import create_app
from tests.builders import run as run_offline

LOCAL = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000/ws/live"
EVIL = "http://evil.example"


@pytest.fixture
def store(tmp_path):
    with Store(str(tmp_path / "h.db")) as s:
        yield s


@pytest.fixture
def client(ex, store):
    app = create_app(ex, store=store, max_upload_mb=2, max_waiting_uploads=2, idle_s=5.0)
    with TestClient(app, base_url=LOCAL) as c:
        yield c


def _hello(ws) -> dict:
    msg = ws.receive_json()
    assert msg["type"] == "hello"
    return msg


# -- Origin, Host, token ----------------------------------------------------------------------
def test_a_foreign_page_cannot_open_the_live_socket(client):
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect(WS, headers={"origin": EVIL}),
    ):
        pass
    assert refused.value.status_code == 403
    with client.websocket_connect(WS, headers={"origin": LOCAL}) as ws:  # our own page can
        _hello(ws)


def test_a_foreign_page_cannot_upload_but_reading_the_page_is_fine(client, data):
    files = {"file": ("squats.mp4", (data / "pose_squats.mp4").read_bytes(), "video/mp4")}
    res = client.post("/api/uploads", files=files, headers={"origin": EVIL})
    assert res.status_code == 403 and "evil.example" in res.json()["detail"]
    assert not any(client.app.state.uploads.folder.iterdir())
    assert client.get("/", headers={"origin": EVIL}).status_code == 200  # GET changes nothing


@pytest.mark.parametrize("path", ["/api/history", "/history", "/"])
def test_dns_rebinding_gets_no_answer(client, path):
    assert client.get(path, headers={"host": "evil.example:8000"}).status_code == 400
    assert client.get(path).status_code == 200
    assert client.get(path, headers={"host": "localhost:8000"}).status_code == 200


def test_the_live_socket_refuses_a_foreign_host(client):
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect("ws://evil.example:8000/ws/live"),
    ):
        pass
    assert refused.value.status_code == 400


def test_security_headers_on_every_answer(client):
    for path in ("/", "/api/exercise", "/nope"):
        h = client.get(path).headers
        assert "script-src 'self'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"


def test_beyond_loopback_every_request_needs_the_token(ex):
    app = create_app(ex, hosts=None, token="s3cret-token")
    with TestClient(app, base_url="http://192.168.1.20:8000") as c:
        assert c.get("/api/exercise").status_code == 401
        assert c.get("/api/exercise?token=wrong").status_code == 401
        first = c.get("/?token=s3cret-token")  # the printed URL: sets the cookie
        assert first.status_code == 200 and "SameSite=Strict" in first.headers["set-cookie"]
        assert c.get("/api/exercise").status_code == 200  # the cookie now carries it
        c.cookies.clear()
        assert c.get("/api/exercise").status_code == 401
        assert c.get("/api/exercise?token=%C3%A9").status_code == 401  # not a 500
        odd = {"cookie": "a@b=1; foo; backstretch_token=s3cret-token"}  # other apps' cookies
        assert c.get("/api/exercise", headers=odd).status_code == 200
        auth = {"authorization": "token s3cret-token"}
        assert c.get("/api/exercise", headers=auth).status_code == 200
        with (
            pytest.raises(WebSocketDenialResponse),
            c.websocket_connect("ws://192.168.1.20:8000/ws/live"),
        ):
            pass
        with c.websocket_connect("ws://192.168.1.20:8000/ws/live", headers=auth) as ws:
            _hello(ws)


# -- resource bounds ---------------------------------------------------------------------------
def _png_bomb(side: int) -> bytes:
    """A one-bit PNG of side x side, all black, a few hundred KB (compressed as it streams)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    z = zlib.compressobj(9)
    row = b"\x00" * (1 + side // 8)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_picture_bomb_is_refused_from_its_header(client, data):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB, the peak so far
    with client.websocket_connect(WS) as ws:
        _hello(ws)
        for side in (32000, 8000):  # past Pillow's own bomb limit, and past ours only
            bomb = _png_bomb(side)
            assert len(bomb) < 400_000
            ws.send_bytes(struct.pack("<d", 32000 / side) + bomb)  # 1 s, then 4 s
            err = ws.receive_json()
            assert err["code"] == "bad_frame" and "too large" in err["message"]
        from backstretch.pose.video import VideoReader, encode_jpeg

        frame = next(iter(VideoReader(data / "pose_squats.mp4", rgb=True))).image
        ws.send_bytes(struct.pack("<d", 5.0) + encode_jpeg(frame))  # a real frame works
        assert ws.receive_json()["type"] == "state"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 400, f"the peak memory grew by {grown_mb:.0f} MB"


def _multipart(boundary: str, name: str, size: int, chunk: int = 1 << 20):
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    for _ in range(size // chunk):
        yield b"\x00" * chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_chunked_upload_stops_at_the_limit_and_leaves_nothing(client):
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    res = client.post(
        "/api/uploads", content=_multipart("XyZ", "big.mp4", 6 << 20), headers=headers
    )
    assert res.status_code == 413 and "2 MB" in res.json()["detail"]
    assert not any(client.app.state.uploads.folder.iterdir())


def test_a_video_with_huge_frames_is_refused(client, tmp_path):
    path = tmp_path / "huge.avi"
    with VideoWriter(path, 1.0, 6000, 3000) as w:  # 18 Mpx, a little over 4K x 2
        w.write(np.zeros((3000, 6000, 3), np.uint8))
    files = {"file": ("huge.mp4", path.read_bytes(), "video/mp4")}
    res = client.post("/api/uploads", files=files)
    assert res.status_code == 422 and "6000x3000" in res.json()["detail"]
    assert not any(client.app.state.uploads.folder.iterdir())


def test_the_upload_queue_is_bounded_and_waiting_jobs_stay_known(ex, data):
    app = create_app(ex, max_upload_mb=8, max_waiting_uploads=1)
    clip = (data / "sports2d_demo.mp4").read_bytes()  # 230 frames: seconds of analysis
    files = {"file": ("demo.mp4", clip, "video/mp4")}
    with TestClient(app, base_url=LOCAL) as c:
        first = c.post("/api/uploads", files=files)
        assert first.status_code == 202
        second = c.post("/api/uploads", files=files)
        assert second.status_code == 429 and "waiting" in second.json()["detail"]
        assert len(list(app.state.uploads.folder.iterdir())) <= 1  # the refused one is gone
        deadline = time.monotonic() + 180
        while c.get(f"/api/uploads/{first.json()['id']}").json()["status"] != "done":
            assert time.monotonic() < deadline, "the upload was not analysed"
            time.sleep(0.5)
        assert c.post("/api/uploads", files=files).status_code == 202  # room again


def test_uploaded_files_are_gone_after_shutdown(ex, data):
    app = create_app(ex, max_waiting_uploads=3)
    files = {"file": ("squats.mp4", (data / "pose_squats.mp4").read_bytes(), "video/mp4")}
    with TestClient(app, base_url=LOCAL) as c:
        for _ in range(3):
            assert c.post("/api/uploads", files=files).status_code == 202
        folder = app.state.uploads.folder
        assert any(folder.iterdir())  # the waiting ones
    assert not folder.exists()


def test_a_silent_client_is_let_go_and_the_next_one_is_served(ex):
    app = create_app(ex, idle_s=0.5)
    with TestClient(app, base_url=LOCAL) as c:
        with c.websocket_connect(WS) as ws:
            assert _hello(ws)["idle_s"] == 0.5
            msg = ws.receive_json()
            assert msg["code"] == "idle"
        with c.websocket_connect(WS) as ws:  # not "busy"
            _hello(ws)
            ws.send_text(json.dumps({"type": "start"}))
            assert ws.receive_json()["type"] == "started"


# -- live messages -----------------------------------------------------------------------------
def _landmarks(**over) -> dict:
    msg = {"type": "landmarks", "t": 1.0, "image": [[0.5, 0.5, 0.0]] * 33,
           "visibility": [0.9] * 33}  # fmt: skip
    msg.update(over)
    return msg


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        ("[" * 5000 + "]" * 5000, "bad_", ""),
        (json.dumps(_landmarks(image=[[0.5, 0.5]] * 33)), "bad_message", "image"),
        (json.dumps(_landmarks(image=[[0.5, 0.5, 0.0, 1.0]] * 33)), "bad_message", "image"),
        (json.dumps(_landmarks(visibility=[float("nan")] * 33)), "bad_json", "NaN"),
        (json.dumps(_landmarks()).replace("0.9", "1e999", 1), "bad_message", "finite"),
        (json.dumps(_landmarks(image=[[1e39, 0.5, 0.0]] * 33)), "bad_frame", "finite"),
    ],
)
def test_hostile_live_messages_get_an_error_and_the_session_goes_on(client, raw, code, words):
    with client.websocket_connect(WS) as ws:
        _hello(ws)
        ws.send_text(raw)
        err = ws.receive_json()
        assert err["type"] == "error" and err["code"].startswith(code) and words in err["message"]
        ws.send_text(json.dumps(_landmarks(t=2.0)))
        state = ws.receive_text()
        assert "NaN" not in state and json.loads(state)["type"] == "state"


def _rep_frames(ws, seed: int, offset: float) -> None:
    perf = Performer(stretch_script(1, 16.0), camera=Camera(yaw=45.0, fps=10.0), seed=seed)
    for f in perf.frames():
        if f.image is not None:
            msg = _landmarks(t=f.t + offset, image=f.image.tolist(),
                             visibility=f.visibility.tolist(), world=f.world.tolist(),
                             width=perf.info.width, height=perf.info.height)  # fmt: skip
            ws.send_text(json.dumps(msg))
            assert ws.receive_json()["type"] == "state"


def test_start_spam_and_pain_spam_do_not_fill_the_store(client, store):
    with client.websocket_connect(WS) as ws:
        _hello(ws)
        for _ in range(30):
            ws.send_text(json.dumps({"type": "start"}))
            assert ws.receive_json()["type"] == "started"
        ws.send_text(json.dumps({"type": "stop"}))
        assert ws.receive_json()["type"] == "summary"
        assert store.sessions() == []  # nothing happened: nothing kept
        ws.send_text(json.dumps({"type": "start"}))
        ws.receive_json()
        answers = []
        for _ in range(15):
            ws.send_text(json.dumps({"type": "pain", "rating": 9, "where": "lower back"}))
            answers.append(ws.receive_json())
        assert sum(a["type"] == "summary" for a in answers) == 10
        assert answers[-1]["code"] == "too_many"
    sessions = store.sessions()
    assert len(sessions) == 1 and len(sessions[0].pains) == 10


def test_a_demo_session_is_never_stored_but_a_real_one_is(client, store):
    with client.websocket_connect(WS) as ws:
        _hello(ws)
        ws.send_text(json.dumps({"type": "start", "demo": True}))
        assert ws.receive_json()["stored"] is False
        _rep_frames(ws, seed=4, offset=0.0)
        ws.send_text(json.dumps({"type": "stop"}))
        demo = ws.receive_json()
        assert demo["summary"]["rep_count"] == 1 and demo["session_id"] is None
        assert store.sessions() == []
        ws.send_text(json.dumps({"type": "start"}))
        assert ws.receive_json()["stored"] is True
        _rep_frames(ws, seed=5, offset=100.0)
        ws.send_text(json.dumps({"type": "stop"}))
        assert ws.receive_json()["session_id"] is not None
    assert [s.rep_count for s in store.sessions()] == [1]


# -- CLI ---------------------------------------------------------------------------------------
def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_file_names_with_brackets_are_printed_as_they_are(capsys, sample_poses, tmp_path):
    odd = tmp_path / "old [2026] [" / "tmp].jsonl.gz"  # the path reads "[/tmp]", a closing tag
    odd.parent.mkdir()
    shutil.copy(sample_poses, odd)
    html = tmp_path / "r [2026] [bold].html"
    code, out, err = run(capsys, "analyze", str(odd), "--html", str(html))
    assert code == 0, err
    flat = "".join(out.split())
    assert "r[2026][bold].html" in flat  # nothing read as markup, nothing lost
    code, _, err = run(capsys, "analyze", str(tmp_path / "gone [x].mp4"))
    assert code == 2 and "gone [x].mp4: file not found" in " ".join(err.split())


@pytest.mark.parametrize("option", ["--html", "--json", "--annotate", "--save-landmarks"])
def test_an_output_that_cannot_be_written_is_refused_before_the_analysis(
    capsys, sample_poses, tmp_path, option
):
    db = tmp_path / "s.db"
    started = time.monotonic()
    code, _, err = run(capsys, "analyze", str(sample_poses), option, str(tmp_path), "--save",
                       "--db", str(db))  # fmt: skip
    err = " ".join(err.split())
    assert code == 2 and "is a folder" in err and "internal error" not in err
    assert time.monotonic() - started < 5  # refused before any analysis
    name = {"--annotate": "x.mp4", "--save-landmarks": "x.jsonl.gz"}.get(option, "x")
    code, _, err = run(capsys, "analyze", str(sample_poses), option, str(tmp_path / "no" / name),
                       "--save", "--db", str(db))  # fmt: skip
    assert code == 0, err  # a folder that does not exist yet is made
    with Store(str(db)) as s:
        assert len(s.sessions()) == 1  # stored once, by the run that worked


def test_history_plot_and_export_check_their_output_first(capsys, tmp_path):
    db = str(tmp_path / "s.db")
    code, _, err = run(capsys, "history", "--db", db, "--plot", str(tmp_path))
    assert code == 2 and "is a folder" in " ".join(err.split())
    (tmp_path / "file").write_text("x")
    code, _, err = run(
        capsys, "export", "--db", db, "--format", "csv", "-o", str(tmp_path / "file")
    )
    assert code == 2 and "needs a folder" in " ".join(err.split())
    code, _, err = run(capsys, "export", "--db", db, "--format", "csv", "-o", str(tmp_path / "out"))
    assert code == 0, err


def test_the_sample_cannot_be_saved_as_your_session(capsys, tmp_path):
    code, _, err = run(capsys, "analyze", "--sample", "--save", "--db", str(tmp_path / "s.db"))
    assert code == 2 and "sample" in err
    assert not (tmp_path / "s.db").exists()


def test_serve_beyond_loopback_prints_a_token_url_and_a_warning(tmp_path):
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "backstretch", "serve", "--no-browser", "--no-store",
           "--host", "0.0.0.0", "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        while "live" not in lines[-1] and len(lines) < 12:  # the warning wraps
            lines.append(proc.stdout.readline())
        banner = " ".join(" ".join(lines).split())
        assert f"http://127.0.0.1:{port}/?token=" in banner and "anyone on your network" in banner
        token = banner.split("?token=")[1].split()[0]
        base = f"http://127.0.0.1:{port}/api/exercise"
        deadline = time.monotonic() + 60
        while True:
            try:
                with pytest.raises(urllib.error.HTTPError) as denied:
                    urllib.request.urlopen(base, timeout=2)
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        assert denied.value.code == 401
        with urllib.request.urlopen(f"{base}?token={token}", timeout=5) as ok:
            assert json.loads(ok.read())["id"] == "back-stretch"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- store -------------------------------------------------------------------------------------
def test_a_report_is_stored_in_one_transaction(store, ex):
    perf = Performer(stretch_script(2, 16.0), camera=Camera(yaw=45.0, fps=10.0), seed=0)
    report = run_offline(perf, ex)[0].report
    assert report.reps
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda conn: commits.append(1))
    store.save_report(report, 15.0)
    assert len(commits) == 1
    assert len(store.sessions()[0].reps) == len(report.reps)


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    code = "import sys; from backstretch.store import Store; Store(sys.argv[1]).close()"
    for round_ in range(3):
        db = tmp_path / f"new{round_}.db"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE)
                 for _ in range(3)]  # fmt: skip
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()


def test_a_database_from_a_newer_version_says_so_and_is_left_alone(tmp_path):
    db = tmp_path / "future.db"
    with Store(str(db)) as s, s.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0099'"))
    before = db.read_bytes()
    with pytest.raises(StoreError, match="newer version of backstretch"):
        Store(str(db))
    assert db.read_bytes() == before


def test_a_killed_servers_upload_folder_is_removed_by_the_next_one(ex, tmp_path):
    import os
    import tempfile

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = Path(tempfile.gettempdir()) / f"backstretch-uploads-{dead.pid}-x1"
    orphan.mkdir()
    (orphan / "upload-a.mp4").write_bytes(b"\0" * 100)
    mine = Path(tempfile.gettempdir()) / f"backstretch-uploads-{os.getpid()}-x2"
    mine.mkdir()  # a live server's folder stays
    app = create_app(ex)
    assert not orphan.exists() and mine.exists()
    app.state.uploads.shutdown()
    mine.rmdir()


def test_a_read_only_uri_database_leaves_no_lock_files_around(tmp_path, monkeypatch):
    path = tmp_path / "ro.db"
    Store(str(path)).close()
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    Store(f"sqlite:///file:{path}?mode=ro&uri=true").close()
    made = {p.name for p in set(tmp_path.iterdir()) - before}
    assert made <= {"ro.db-wal", "ro.db-shm"}, made  # SQLite's own; no "file:" folder, no lock


def _big_chunks():
    yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    for _ in range(4):
        yield b"\x00" * (1 << 20)
    yield b"\r\n--B--\r\n"


MULTI = {"content-type": "multipart/form-data; boundary=B"}
#: Every hostile or careless HTTP request of issue 10: (what, method, path, headers, body,
#: status, words in the answer).
BAD_REQUESTS = [
    ("rebinding host", "GET", "/api/history", {"host": "evil.example"}, None, 400, "host"),
    ("rebinding host, page", "GET", "/history", {"host": "evil.example:80"}, None, 400, "host"),
    ("foreign upload", "POST", "/api/uploads", {"origin": EVIL, **MULTI}, b"--B--", 403, "evil"),
    ("not a form", "POST", "/api/uploads", {"content-type": "text/plain"}, b"hi", 400, "multipart"),
    ("no file field", "POST", "/api/uploads", MULTI,
     b'--B\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--B--\r\n', 400, "'file'"),
    ("not a video type", "POST", "/api/uploads", MULTI,
     b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nx\r\n--B--\r\n',
     415, "a.txt"),
    ("not a video", "POST", "/api/uploads", MULTI,
     b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nx\r\n--B--\r\n',
     422, "a.mp4"),
    ("declared too large", "POST", "/api/uploads", {"content-length": str(50 << 20), **MULTI},
     b"", 413, "larger than"),
    ("streamed too large", "POST", "/api/uploads", MULTI, "chunks", 413, "larger than"),
    ("broken form", "POST", "/api/uploads", MULTI, b"--B\r\nnonsense", 400, "file"),
    ("unknown job", "GET", "/api/uploads/0123456789ab", {}, None, 404, "no upload"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "method", "path", "headers", "body", "status", "words"),
                         BAD_REQUESTS, ids=[r[0] for r in BAD_REQUESTS])  # fmt: skip
def test_bad_requests_get_a_clear_4xx_and_stored_data_stays(
    ex, tmp_path, what, method, path, headers, body, status, words
):
    db = tmp_path / "kept.db"
    with Store(str(db)) as s:
        perf = Performer(stretch_script(1, 16.0), camera=Camera(yaw=45.0, fps=10.0), seed=1)
        s.save_report(run_offline(perf, ex)[0].report, 15.0)
    before = _sessions(db)
    app = create_app(ex, store=Store(str(db)), max_upload_mb=2)
    with TestClient(app, base_url=LOCAL) as c:
        content = _big_chunks() if body == "chunks" else body
        res = c.request(method, path, headers=headers, content=content)
        assert res.status_code == status, (what, res.text)
        assert words.lower() in res.json()["detail"].lower()
        assert "content-security-policy" in res.headers
        assert not any(app.state.uploads.folder.iterdir())
        assert c.get("/api/health").status_code == 200  # still serving
    assert _sessions(db) == before


def _sessions(db: Path) -> list[dict]:
    with Store(str(db)) as s:
        return [x.as_dict() for x in s.sessions()]
