"""Exports of the stored sessions (JSON, CSV) and a calendar file for a daily reminder."""

from __future__ import annotations

import csv
import json
import re
import sys
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from backstretch.errors import InputError
from backstretch.store.repository import StoredSession

EXPORT_VERSION = 1


def write_json_export(sessions: list[StoredSession], path: Path | None) -> None:
    doc = {"export_version": EXPORT_VERSION, "sessions": [s.as_dict() for s in sessions]}
    text = json.dumps(doc, indent=2) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_csv(sessions: list[StoredSession], folder: Path) -> list[Path]:
    """sessions.csv, repetitions.csv, faults.csv and pain_reports.csv, joined by session id."""
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        "sessions": (
            ["session_id", "kind", "exercise", "started_at_utc", "ended_at_utc", "source",
             "camera_view", "hold_target_s", "score", "rep_count", "completed_count",
             "set_complete", "pain_stop", "verified"],
            [],
        ),
        "repetitions": (
            ["session_id", "index", "start_s", "hold_start_s", "hold_end_s", "end_s",
             "position_s", "hold_s", "completed", "confidence", "peak_reach"],
            [],
        ),
        "faults": (["session_id", "rep_index", "code", "start_s", "end_s"], []),
        "pain_reports": (["session_id", "reported_at_utc", "rating", "location", "note"], []),
    }  # fmt: skip
    for s in sessions:
        tables["sessions"][1].append(
            [s.id, s.kind, s.exercise, s.started_at.isoformat(),
             s.ended_at.isoformat() if s.ended_at else "", s.source or "", s.camera_view or "",
             s.hold_target_s, "" if s.score is None else s.score, s.rep_count,
             s.completed_count, s.set_complete, s.pain_stop, s.verified]
        )  # fmt: skip
        for r in s.reps:
            tables["repetitions"][1].append(
                [s.id, r.index, r.start_s, r.hold_start_s, r.hold_end_s, r.end_s,
                 r.position_s, r.hold_s, r.completed, r.confidence, r.peak_reach]
            )  # fmt: skip
            for f in r.faults:
                tables["faults"][1].append([s.id, r.index, f.code, f.start_s, f.end_s])
        for p in s.pains:
            tables["pain_reports"][1].append(
                [s.id, p.reported_at.isoformat(), p.rating, p.location, p.note]
            )
    paths = []
    for name, (header, rows) in tables.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        paths.append(path)
    return paths


def parse_clock(text: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise InputError(f"--daily wants a time of day as HH:MM (24 h), not {text!r}")
    return time(int(m[1]), int(m[2]))


def reminder_ics(daily: str, minutes: int, start: date | None = None) -> bytes:
    """A calendar with one event repeating every day at ``daily`` (local time), with an alert."""
    from icalendar import Alarm, Calendar, Event

    at = parse_clock(daily)
    first = datetime.combine(start or date.today() + timedelta(days=1), at)
    cal = Calendar()
    cal.add("prodid", "-//backstretch//daily reminder//EN")
    cal.add("version", "2.0")
    ev = Event()
    ev.add("uid", f"{uuid.uuid4()}@backstretch")
    ev.add("dtstamp", datetime.now().astimezone())
    ev.add("summary", "Back Stretch")
    ev.add(
        "description",
        "Time for your Back Stretch: warm up, then 2-3 slow repetitions. "
        "Run `backstretch serve` or `backstretch guide`.",
    )
    ev.add("dtstart", first)  # floating local time: the reminder follows you across time zones
    ev.add("duration", timedelta(minutes=minutes))
    ev.add("rrule", {"freq": "daily"})
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Back Stretch time")
    alarm.add("trigger", timedelta(minutes=0))
    ev.add_component(alarm)
    cal.add_component(ev)
    return bytes(cal.to_ical())
