"""The session store against real SQLite and real PostgreSQL: migrations, the write path,
reads, crash safety, and databases that cannot be used."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect

from backstretch.errors import StoreError
from backstretch.pose.synthetic import Camera, Performer, stretch_script
from backstretch.store import Store
from backstretch.store.models import Base
from backstretch.store.progress import history
from tests.builders import run
from tests.test_web import _landmarks

CAM = Camera(yaw=45.0, fps=10.0)


def analysed(ex, faults=None, seed=0):
    return run(Performer(stretch_script(2, 16.0, faults=faults), camera=CAM, seed=seed), ex)[0]


def test_migrations_from_empty_build_exactly_the_model(db_url):
    with Store(db_url) as store:
        assert store.tables() == {*Base.metadata.tables, "alembic_version"}
        insp = inspect(store.engine)
        for name, table in Base.metadata.tables.items():
            assert {c["name"] for c in insp.get_columns(name)} == set(table.columns.keys())
    with Store(db_url) as again:  # opening twice migrates nothing and loses nothing
        assert again.tables() == {*Base.metadata.tables, "alembic_version"}


def test_a_saved_analysis_reads_back_the_same(db_url, ex):
    a = analysed(ex, faults={0: "elbows_bent"})
    with Store(db_url) as store:
        sid = store.save_report(a.report, ex.targets.hold_s)
        (s,) = store.sessions()
    assert s.id == sid and s.kind == "video" and s.finished
    assert s.score == a.report.summary.score
    assert len(s.reps) == len(a.report.reps) == 2
    for got, want in zip(s.reps, a.report.reps, strict=True):
        assert got.hold_s == want.hold_s and got.completed == want.completed
        assert [f.code for f in got.faults] == [f.code for f in want.faults]
    assert "elbows_bent" in s.fault_codes


def test_each_rep_is_committed_as_it_comes(db_url, ex):
    a = analysed(ex)
    writer = Store(db_url)
    reader = Store(db_url)  # another connection pool, as another process would have
    sid = writer.begin("live", ex.id, 15.0)
    writer.add_rep(sid, a.report.reps[0])
    (s,) = reader.sessions()
    assert len(s.reps) == 1 and not s.finished
    writer.add_pain(sid, 4, "neck", "tight")
    writer.finish(sid, a.report.summary, pain_stop=True)
    (s,) = reader.sessions()
    assert s.finished and s.pain_stop and s.pains[0].rating == 4
    writer.delete(sid)
    assert reader.sessions() == []
    with reader.engine.connect() as conn:  # the delete cascaded
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM repetitions").scalar() == 0
    writer.close()
    reader.close()


def test_history_and_exports_from_real_analyses(db_url, ex, tmp_path):
    now = datetime(2026, 11, 20, 18, 0)
    with Store(db_url) as store:
        for day, faults in [(3, None), (2, None), (1, {0: "hands_apart"}), (0, None)]:
            a = analysed(ex, faults=faults, seed=day)
            store.save_report(a.report, 15.0, started_at=now - timedelta(days=day))
        sessions = store.sessions()
    h = history(sessions, ex, now=now + timedelta(hours=1))
    assert [s.started_at for s in h.sessions] == sorted(s.started_at for s in sessions)
    assert h.streak_days == 4
    assert h.completed_reps == sum(s.completed_count for s in sessions)
    assert h.plan.hold_target_s == 20.0  # two clean sessions in a row, then a fault
    from backstretch.store.export import write_csv

    files = {p.name: p.read_text().splitlines() for p in write_csv(sessions, tmp_path / "csv")}
    assert len(files["sessions.csv"]) == 5 and len(files["repetitions.csv"]) == 9
    assert any("hands_apart" in line for line in files["faults.csv"])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql+psycopg://me:secret@127.0.0.1:9/nothing", "127.0.0.1"),
        ("nosuchdb://x", "cannot use this database"),
    ],
)
def test_an_unusable_url_is_refused_clearly(url, words):
    with pytest.raises(StoreError) as err:
        Store(url)
    assert words in str(err.value) and "secret" not in str(err.value)


def test_a_file_that_is_not_a_database_is_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my notes, not a database\n" * 10)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store(str(path))
    assert path.read_bytes() == before


def test_a_damaged_database_is_refused_and_left_untouched(tmp_path, ex):
    path = tmp_path / "damaged.db"
    with Store(str(path)) as store:
        store.save_report(analysed(ex).report, 15.0)
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # keep the header, ruin the schema page
    path.write_bytes(bytes(raw))
    for extra in (".db-wal", ".db-shm"):
        (tmp_path / f"damaged{extra}").unlink(missing_ok=True)
    with pytest.raises(StoreError, match=r"damaged\.db: cannot .* malformed"):
        Store(str(path)).sessions()
    assert path.read_bytes() == bytes(raw)


def test_a_read_only_database_says_so_and_keeps_its_data(tmp_path, ex):
    path = tmp_path / "ro.db"
    with Store(str(path)) as store:
        store.save_report(analysed(ex).report, 15.0)
    before = path.read_bytes()
    # read-only the way SQLite sees it (chmod does not stop root, who runs CI)
    ro = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert len(ro.sessions()) == 1
    with pytest.raises(StoreError, match="read-only"):
        ro.begin("video", ex.id, 15.0)
    ro.close()
    assert path.read_bytes() == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_kill_9_during_a_live_session_keeps_the_finished_reps(tmp_path):
    """A real server process is killed in the middle of the third repetition."""
    from websockets.sync.client import connect

    db = tmp_path / "crash.db"
    port = _free_port()
    cmd = [sys.executable, "-m", "backstretch", "serve", "--no-browser", "--port", str(port),
           "--db", str(db)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    perf = Performer(stretch_script(3, 16.0), camera=CAM, seed=21)
    third_starts = perf.truth()["reps"][2]["start_s"]
    try:
        deadline = time.monotonic() + 90  # a loaded CI machine starts Python slowly
        while True:
            try:
                ws = connect(f"ws://127.0.0.1:{port}/ws/live", legacy=True)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert json.loads(ws.recv())["type"] == "hello"
        ws.send(json.dumps({"type": "start"}))
        assert json.loads(ws.recv())["type"] == "started"
        for f in perf.frames():
            if f.image is None or f.visibility is None:
                continue
            ws.send(_landmarks(f, perf))
            json.loads(ws.recv())
            if f.t > third_starts + 8.0:  # well into the third hold
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store(str(db)) as store:
        (s,) = store.sessions()
    assert s.kind == "live" and not s.finished  # cut off: never closed
    assert len(s.reps) == 2 and all(r.completed for r in s.reps)


def test_the_default_store_lives_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("BACKSTRETCH_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with Store() as store:
        assert store.where.endswith("backstretch/backstretch.db")
        assert (tmp_path / "data" / "backstretch" / "backstretch.db").exists()
    with create_engine(f"sqlite:///{tmp_path / 'data/backstretch/backstretch.db'}").connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
