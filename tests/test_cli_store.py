"""The store's commands: analyze --save, history, export, remind; bad databases."""

from __future__ import annotations

import json

from PIL import Image

from tests.test_cli import run


def test_saved_analyses_build_a_history_with_a_growing_target(capsys, tmp_path, sample_poses):
    db = tmp_path / "me.db"
    for _ in range(2):
        code, _, err = run(capsys, "analyze", str(sample_poses), "--save", "--db", str(db), "-q")
        assert code == 0, err
    code, out, err = run(
        capsys, "history", "--db", str(db), "--json", "--plot", str(tmp_path / "p.png")
    )
    assert code == 0, err
    h = json.loads(out)
    assert len(h["sessions"]) == 2 and h["streak_days"] == 1
    assert h["completed_reps"] == 4
    assert h["next"]["hold_target_s"] == 20.0  # two clean sessions in a row
    assert Image.open(tmp_path / "p.png").size[0] > 500
    code, out, _ = run(capsys, "history", "--db", str(db))
    assert code == 0 and "Next hold target: 20 s" in out and "Streak: 1 day" in out
    # the third analysis is judged against the new target, and says so
    code, out, _ = run(capsys, "analyze", str(sample_poses), "--save", "--db", str(db))
    assert code == 0 and "hold target 20 s" in " ".join(out.split())


def test_with_landmarks_keeps_the_poses(capsys, tmp_path, sample_poses):
    from backstretch.store import Store

    db = tmp_path / "me.db"
    code, _, err = run(
        capsys, "analyze", str(sample_poses), "--save", "--with-landmarks", "--db", str(db), "-q"
    )
    assert code == 0, err
    with Store(str(db)) as store:
        (s,) = store.sessions()
        data = store.landmarks(s.id)
    assert data is not None and data[:2] == b"\x1f\x8b"  # gzip
    code, _, err = run(capsys, "analyze", str(sample_poses), "--with-landmarks", "--db", str(db))
    assert code == 2 and "--save" in err


def test_export_json_and_csv(capsys, tmp_path, monkeypatch, sample_poses):
    monkeypatch.setenv("BACKSTRETCH_DB", str(tmp_path / "env.db"))
    assert run(capsys, "analyze", str(sample_poses), "--save", "-q")[0] == 0
    code, out, _ = run(capsys, "export", "--format", "json")
    doc = json.loads(out)
    assert doc["export_version"] == 1 and len(doc["sessions"][0]["reps"]) == 2
    code, out, _ = run(capsys, "export", "--format", "csv", "-o", str(tmp_path / "csv"))
    assert code == 0
    reps = (tmp_path / "csv" / "repetitions.csv").read_text().splitlines()
    assert reps[0].startswith("session_id,index") and len(reps) == 3
    code, _, err = run(capsys, "export", "--format", "xml")
    assert code == 2 and "csv or json" in err


def test_remind_writes_a_daily_calendar_event(capsys, tmp_path):
    from icalendar import Calendar

    out = tmp_path / "r.ics"
    code, _, _ = run(capsys, "remind", "--daily", "07:45", "-o", str(out))
    assert code == 0
    (event,) = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart").hour == 7 and event.decoded("dtstart").minute == 45
    assert event["rrule"]["FREQ"] == ["DAILY"]
    code, _, err = run(capsys, "remind", "--daily", "25:00", "-o", str(out))
    assert code == 2 and "HH:MM" in err


def test_bad_databases_give_exit_2_and_stay_untouched(capsys, tmp_path, sample_poses):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database")
    for args in (
        ["history"],
        ["analyze", str(sample_poses), "--save"],
        ["export"],
        ["serve", "--no-browser"],
    ):
        code, _, err = run(capsys, *args, "--db", str(bad))
        assert code == 2 and "not an SQLite database" in " ".join(err.split()), args
    assert bad.read_text() == "not a database"
    code, _, err = run(capsys, "history", "--db", "postgresql+psycopg://u:pw@127.0.0.1:9/x")
    assert code == 2 and "127.0.0.1" in err and ":pw@" not in err
