"""The command line, in-process for most tests and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from backstretch import __version__
from backstretch.cli import main
from backstretch.pose.video import VideoReader, encode_jpeg
from tests.conftest import DATA


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"backstretch {__version__}"


def test_show_prints_the_exercise_card(capsys, ex):
    code, out, _ = run(capsys, "show")
    assert code == 0
    for step in ex.steps:
        assert step.title in out
    assert "Safety" in out and "15-30 s" in out


def test_sample_writes_json_html_and_annotated_video(capsys, tmp_path):
    j, h, v = tmp_path / "r.json", tmp_path / "r.html", tmp_path / "r.mp4"
    code, out, err = run(capsys, "analyze", "--sample", "--json", str(j), "--html", str(h),
                         "--annotate", str(v))  # fmt: skip
    assert code == 0, err
    report = json.loads(j.read_text())
    assert report["schema_version"] == 1 and report["exercise"] == "back-stretch"
    assert report["summary"]["rep_count"] == 2 and report["summary"]["completed_count"] == 2
    for key in ("fps", "frames", "duration_s", "width", "height"):
        assert key in report["video"]
    rep = report["reps"][0]
    for key in ("index", "start_s", "hold_start_s", "hold_end_s", "end_s", "position_s",
                "hold_s", "completed", "confidence", "faults"):  # fmt: skip
        assert key in rep
    html = h.read_text()
    assert "data:image/png;base64," in html and "Repetitions" in html
    assert v.stat().st_size > 10_000
    import av

    with av.open(str(v)) as played:  # H.264, which browsers play (mp4v they do not)
        assert played.streams.video[0].codec_context.name == "h264"
        assert played.streams.video[0].frames > 100
    assert "score" in out and "Set complete" in out


def test_json_to_stdout_is_pure_json(capsys, sample_poses):
    code, out, _ = run(capsys, "analyze", str(sample_poses), "--json", "-")
    assert code == 0
    assert json.loads(out)["summary"]["rep_count"] == 2


def test_landmarks_recorded_then_replayed(capsys, tmp_path):
    rec = tmp_path / "sample.jsonl.gz"
    code, _, _ = run(capsys, "analyze", "--sample", "-q", "--save-landmarks", str(rec))
    assert code == 0 and rec.exists()
    code, out, _ = run(capsys, "analyze", str(rec), "--json", "-", "-q")
    assert code == 0 and json.loads(out)["summary"]["completed_count"] == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["analyze"], "give a VIDEO"),
        (["analyze", "MISSING.mp4"], "MISSING.mp4: file not found"),
        (
            ["analyze", "--sample", "--exercise", "MISSING.toml"],
            "MISSING.toml: exercise file not found",
        ),
        (["analyze", "--sample", "--stride", "0"], "stride"),
        (["analyze", "x.jsonl"], "x.jsonl: file not found"),
    ],
)
def test_bad_input_exits_2_with_a_message(capsys, args, needle):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert needle in " ".join(err.split())
    assert "Traceback" not in err


def test_bad_files_exit_2(capsys, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("hello\n" * 50)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    toml = tmp_path / "bad.toml"
    toml.write_text("schema_version = 1\nunknown_key = 3\n")
    photo = tmp_path / "photo.mp4"  # a picture of a person under a video's name
    frame = next(iter(VideoReader(DATA / "pose_squats.mp4", rgb=True))).image
    photo.write_bytes(encode_jpeg(frame))
    for args, needle in [
        ([str(text)], "cannot be opened"),
        ([str(empty)], "empty"),
        ([str(photo)], "a single picture, not a video"),
        (["--sample", "--exercise", str(toml)], "unknown_key: unknown key"),
    ]:
        code, _, err = run(capsys, "analyze", *args)
        assert code == 2 and needle in " ".join(err.split())


def test_real_subprocess_smoke(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "backstretch", "analyze", "--sample", "--json", str(out), "-q"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # -q: no progress, and none of the native libraries' log lines
    loud = subprocess.run(
        [sys.executable, "-m", "backstretch", "analyze", "--sample", "-q", "--verbose"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert loud.returncode == 0 and "TensorFlow Lite" in loud.stderr  # --verbose shows them
    assert json.loads(out.read_text())["summary"]["rep_count"] == 2
    bad = subprocess.run(
        [sys.executable, "-m", "backstretch", "analyze", str(tmp_path / "nope.mp4")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 2 and "nope.mp4" in bad.stderr and "Traceback" not in bad.stderr


def test_serve_starts_a_real_server_and_refuses_a_busy_port():
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "backstretch", "serve", "--no-browser", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    assert json.loads(r.read())["ok"] is True
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        second = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert f"port {port} is in use on 127.0.0.1" in " ".join(second.stderr.split())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
