"""Progress from stored sessions: streaks, sessions per week, trends, and the hold target
that grows with clean sessions and steps back after pain (rules from the exercise TOML).

Pure functions over :class:`StoredSession` lists (oldest first), so they are table-tested
without a database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from backstretch.exercise.schema import Exercise
from backstretch.store.repository import StoredSession


def local_time(utc: datetime) -> datetime:
    """A stored (naive UTC) moment in this computer's time zone (naive again, for plotting)."""
    return utc.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def local_day(utc: datetime) -> date:
    """The calendar day, in this computer's time zone, of a stored (naive UTC) moment."""
    return local_time(utc).date()


def streak(days: list[date], today: date) -> int:
    """Days in a row with a session, ending today (or yesterday: today is not over yet)."""
    have = set(days)
    day = today if today in have else today - timedelta(days=1)
    n = 0
    while day in have:
        n += 1
        day -= timedelta(days=1)
    return n


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def per_week(days: list[date], today: date, weeks: int = 8) -> list[tuple[date, int]]:
    """Sessions in each of the last ``weeks`` weeks (Monday first), oldest week first."""
    counts = Counter(week_start(d) for d in days)
    this = week_start(today)
    return [
        (w, counts.get(w, 0)) for w in (this - timedelta(weeks=k) for k in range(weeks - 1, -1, -1))
    ]


def trend(values: list[float]) -> float | None:
    """Least-squares change per session (None with fewer than 2 values)."""
    if len(values) < 2:
        return None
    slope = np.polyfit(np.arange(len(values), dtype=float), np.asarray(values, dtype=float), 1)[0]
    return float(slope)


def is_clean(s: StoredSession) -> bool:
    """A clean session: finished, verified, set complete, no fault and no pain."""
    return s.finished and s.verified and s.set_complete and not s.fault_codes and not s.pain_stop


@dataclass
class Plan:
    """What the next session should aim for, and why."""

    hold_target_s: float
    clean_in_a_row: int
    advice: list[str] = field(default_factory=list)
    lighter: bool = False
    stop_and_see_professional: bool = False
    pain_reports_recent: int = 0


def plan(sessions: list[StoredSession], ex: Exercise, now: datetime | None = None) -> Plan:
    """Replay the rules over the finished sessions to get the next hold target."""
    rules, start, cap = ex.progression, ex.targets.hold_s, ex.targets.hold_max_s
    target, clean, lighter = start, 0, False
    went_up = False
    for s in sessions:
        if not s.finished and not s.pain_stop:
            continue
        went_up = False
        if s.pain_stop or s.pains:
            target = max(start, target - rules.pain_step_back_s)
            clean, lighter = 0, True
        elif is_clean(s):
            clean += 1
            lighter = False
            if clean >= rules.clean_sessions_to_step:
                went_up = target < cap
                target = min(cap, target + rules.step_s)
                clean = 0
        elif s.verified:
            clean, lighter = 0, False
    now = now or datetime.now(UTC).replace(tzinfo=None)
    since = now - timedelta(days=rules.pain_window_days)
    recent = sum(1 for s in sessions for p in s.pains if p.reported_at >= since)
    out = Plan(hold_target_s=target, clean_in_a_row=clean, lighter=lighter)
    out.pain_reports_recent = recent
    if recent >= rules.pain_reports_to_stop:
        out.stop_and_see_professional = True
        out.advice.append(
            rules.say_see_professional.format(count=recent, days=rules.pain_window_days)
        )
    elif lighter:
        out.advice.append(rules.say_lighter.format(target=target))
    elif went_up:
        out.advice.append(rules.say_target_up.format(target=target))
    return out


def with_hold_target(ex: Exercise, hold_s: float) -> Exercise:
    """The exercise with another hold target (what a repetition must reach to count)."""
    return ex.model_copy(update={"targets": ex.targets.model_copy(update={"hold_s": hold_s})})


@dataclass
class History:
    sessions: list[StoredSession]
    streak_days: int
    per_week: list[tuple[date, int]]
    completed_reps: int
    hold_trend_s: float | None  # change of the best hold per session, s per session
    reach_trend: float | None  # change of the best reach per session, torso lengths per session
    plan: Plan

    def as_dict(self) -> dict[str, object]:
        return {
            "sessions": [s.as_dict() for s in self.sessions],
            "streak_days": self.streak_days,
            "per_week": [{"week": w.isoformat(), "sessions": n} for w, n in self.per_week],
            "completed_reps": self.completed_reps,
            "hold_trend_s_per_session": self.hold_trend_s,
            "reach_trend_per_session": self.reach_trend,
            "next": {
                "hold_target_s": self.plan.hold_target_s,
                "clean_in_a_row": self.plan.clean_in_a_row,
                "lighter": self.plan.lighter,
                "stop_and_see_professional": self.plan.stop_and_see_professional,
                "pain_reports_recent": self.plan.pain_reports_recent,
                "advice": self.plan.advice,
            },
        }


def history(sessions: list[StoredSession], ex: Exercise, now: datetime | None = None) -> History:
    now = now or datetime.now(UTC).replace(tzinfo=None)
    days = [local_day(s.started_at) for s in sessions]
    today = local_day(now)
    done = [s for s in sessions if s.reps]
    return History(
        sessions=sessions,
        streak_days=streak(days, today),
        per_week=per_week(days, today),
        completed_reps=sum(s.completed_count for s in sessions),
        hold_trend_s=trend([s.best_hold_s for s in done]),
        reach_trend=trend([r for s in done if (r := s.best_reach) is not None]),
        plan=plan(sessions, ex, now),
    )
