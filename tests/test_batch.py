"""``backstretch batch``: folders of real videos, a broken file in the middle, resuming after
a killed run, the same reports as ``analyze``, a local process pool and a local Ray."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backstretch.cli import main
from backstretch.pipeline import sample_video

pytestmark = pytest.mark.slow


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def folder(tmp_path, data, sample_poses) -> Path:
    """Two real clips, the sample's recorded poses, and a broken video in a subfolder."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    shutil.copy(data / "pose_squats.mp4", root / "squats.mp4")
    shutil.copy(data / "pose_squats_rotated90.mp4", root / "sub" / "squats.mp4")  # same name
    shutil.copy(sample_poses, root / "sample.jsonl.gz")
    (root / "sub" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    return root


def rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "summary.csv").open(newline="") as fh:
        return {Path(r["video"]).name + ":" + Path(r["video"]).parent.name: r
                for r in csv.DictReader(fh)}  # fmt: skip


def comparable(report: dict) -> dict:
    """A report without what may differ between runs of the same analysis."""
    report = dict(report)
    report.pop("generated_at", None)
    report.pop("analysis_seconds", None)
    return report


def test_a_folder_with_a_broken_file_gives_every_other_report_and_lists_the_error(
    capsys, folder, tmp_path
):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "batch", str(folder), "--out", str(out), "--workers", "2")
    assert code == 2  # some videos failed: the exit status says so
    assert "3 analysed" in " ".join(stdout.split()) and "1 failed" in " ".join(stdout.split())
    assert "broken.mp4" in err
    table = rows(out)
    assert len(table) == 4
    broken = table["broken.mp4:sub"]
    assert broken["status"] == "failed" and "cannot be opened" in broken["error"]
    reports = sorted(p.name for p in out.glob("*.json"))
    assert len(reports) == 3 and "sample.json" in reports  # two squats.mp4: unique names
    assert table["sample.jsonl.gz:in"]["reps"] == "2"
    assert table["sample.jsonl.gz:in"]["completed"] == "2"


def test_batch_reports_equal_analyze_reports(capsys, folder, tmp_path):
    out = tmp_path / "out"
    run(capsys, "batch", str(folder / "squats.mp4"), str(folder / "sample.jsonl.gz"),
        "--out", str(out), "--workers", "1")  # fmt: skip
    for name, source in (("squats.json", folder / "squats.mp4"),
                         ("sample.json", folder / "sample.jsonl.gz")):  # fmt: skip
        code, stdout, _ = run(capsys, "analyze", str(source), "--json", "-", "-q")
        assert code == 0
        alone = comparable(json.loads(stdout))
        batched = comparable(json.loads((out / name).read_text()))
        assert batched == alone


def test_an_interrupted_batch_resumes_where_it_stopped(folder, tmp_path):
    for k in range(3):  # enough work that the first report comes well before the last
        shutil.copy(sample_video(), folder / f"sample{k}.mp4")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "backstretch", "batch", str(folder), "--out", str(out),
           "--workers", "1", "-q"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while not list(out.glob("*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, "no report came"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, as a crash would
    proc.wait(timeout=30)
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    assert 0 < len(first) < 6 and not list(out.glob("*.partial"))  # whole reports only
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2  # the broken file again
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    assert len(after) == 6
    assert all(after[n] == first[n] for n in first)  # not analysed twice
    table = rows(out)
    assert sum(r["status"] == "kept" for r in table.values()) == len(first)


def _ctrl_c_heard() -> None:
    """As from a terminal: Ctrl+C not ignored (a test run started in the background, e.g. with
    nohup, hands its children SIGINT ignored, and Python then keeps it so)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_the_batch_soon_and_says_how_to_go_on(folder, tmp_path):
    """Ctrl+C (SIGINT to the terminal's process group: the batch and its workers) drops the
    videos not started instead of working through them, writes the summary and says so."""
    for k in range(6):
        shutil.copy(sample_video(), folder / f"sample{k}.mp4")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "backstretch", "batch", str(folder), "--out", str(out),
           "--workers", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_ctrl_c_heard)  # fmt: skip
    deadline = time.monotonic() + 300
    while not list(out.glob("*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, "no report came"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    # the videos left would take minutes; the two being analysed are abandoned
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Stopped:" in err and "run the same command again" in " ".join(err.split())
    table = rows(out)
    waiting = [v for v, r in table.items() if r["status"] == "interrupted"]
    assert waiting and all(not r["report"] for r in table.values() if r["status"] != "done")
    assert sum(r["status"] == "done" for r in table.values()) == len(list(out.glob("*.json")))


def test_save_stores_each_session(capsys, folder, tmp_path):
    from backstretch.store import Store

    db = str(tmp_path / "s.db")
    code, _, _ = run(capsys, "batch", str(folder / "sample.jsonl.gz"), str(folder / "squats.mp4"),
                     "--out", str(tmp_path / "out"), "--save", "--db", db)  # fmt: skip
    assert code == 0
    with Store(db) as store:
        sessions = store.sessions()
    assert sorted(s.rep_count for s in sessions) == [0, 2]


def test_nothing_to_do_and_bad_inputs_are_explained(capsys, tmp_path):
    code, _, err = run(capsys, "batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert code == 2 and "no such file, folder or match" in " ".join(err.split())
    assert not (tmp_path / "o").exists()  # nothing made for nothing
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "batch", str(tmp_path), "--out", str(tmp_path / "file"))
    assert code == 2 and "needs a folder" in " ".join(err.split())


def test_on_a_local_ray_the_results_are_the_same(folder, tmp_path):
    ray = pytest.importorskip("ray")
    from backstretch.batch import run_batch

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        res = run_batch([str(folder)], tmp_path / "ray", ray_address="auto")
    finally:
        ray.shutdown()
    local = run_batch([str(folder)], tmp_path / "local", workers=2)
    assert [(i.path, i.status, i.summary) for i in res.items] == [
        (i.path, i.status, i.summary) for i in local.items
    ]
    assert [i.status for i in res.items].count("failed") == 1


def test_reports_inside_the_input_folder_are_not_taken_for_inputs(capsys, folder):
    out = folder / "reports"  # a natural choice: next to the videos
    (folder / "notes.json").write_text("{}")  # a stray .json is not a recording
    first, _, _ = run(capsys, "batch", str(folder), "--out", str(out), "-q")
    again, stdout, _ = run(capsys, "batch", str(folder), "--out", str(out))
    assert first == again == 2  # the broken video, both times
    flat = " ".join(stdout.split())
    assert "4 videos: 0 analysed, 3 already there" in flat, flat
