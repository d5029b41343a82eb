"""Progress rules, table-driven on plain stored sessions (no database needed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from backstretch.store.progress import per_week, plan, streak, trend
from backstretch.store.repository import StoredFault, StoredPain, StoredRep, StoredSession

T0 = datetime(2026, 11, 1, 9, 0)


def sess(day: int, kind: str = "clean", verified: bool = True) -> StoredSession:
    """One session on day ``day``: clean, faulty, short (set not complete) or pain."""
    faults = [StoredFault("elbows_bent", 5.0, 6.0)] if kind == "faulty" else []
    reps = [
        StoredRep(i, 0.0, 1.0, 17.0, 19.0, 17.0, 16.0, True, 0.9, 1.3, faults if i == 1 else [])
        for i in (1, 2)
    ]
    pains = [StoredPain(T0 + timedelta(days=day), 5, "lower back", "")] if kind == "pain" else []
    return StoredSession(
        id=day, kind="live", exercise="back-stretch", started_at=T0 + timedelta(days=day),
        ended_at=T0 + timedelta(days=day, minutes=5), source=None, camera_view="oblique",
        hold_target_s=15.0, score=90, rep_count=2, completed_count=2 if kind != "short" else 0,
        set_complete=kind in ("clean", "faulty"), pain_stop=kind == "pain", verified=verified,
        reps=reps, pains=pains,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kinds", "target", "says"),
    [
        ([], 15.0, None),
        (["clean"], 15.0, None),
        (["clean", "clean"], 20.0, "goes up to 20 s"),
        (["clean", "faulty", "clean"], 15.0, None),  # not in a row
        (["clean", "short", "clean", "clean"], 20.0, "goes up to 20 s"),
        (["clean"] * 4, 25.0, "goes up to 25 s"),
        (["clean"] * 10, 30.0, None),  # capped at hold_max_s: nothing new to say
        (["clean", "clean", "pain"], 15.0, "lighter range"),  # steps back after pain ...
        (["clean"] * 4 + ["pain"], 20.0, "hold only 20 s"),
        (["pain"], 15.0, "lighter range"),  # ... never below the start
        (["pain", "clean"], 15.0, None),  # a clean session after pain: back to normal
    ],
)
def test_the_hold_target_grows_with_clean_sessions_and_steps_back_after_pain(
    ex, kinds, target, says
):
    p = plan([sess(i, k) for i, k in enumerate(kinds)], ex, now=T0 + timedelta(days=30))
    assert p.hold_target_s == target
    assert p.lighter == (kinds[-1:] == ["pain"])
    if says is None:
        assert p.advice == []
    else:
        assert len(p.advice) == 1 and says in p.advice[0]


def test_unverified_guided_sessions_neither_count_nor_reset(ex):
    kinds = [sess(0), sess(1, verified=False), sess(2)]
    assert plan(kinds, ex, now=T0 + timedelta(days=3)).hold_target_s == 20.0


@pytest.mark.parametrize(
    ("pain_days", "stop"), [([0, 1], False), ([0, 3, 6], True), ([0, 8, 9], False)]
)
def test_repeated_pain_within_a_week_advises_stopping(ex, pain_days, stop):
    sessions = [sess(d, "pain") for d in pain_days]
    p = plan(sessions, ex, now=T0 + timedelta(days=max(pain_days), hours=1))
    assert p.stop_and_see_professional == stop
    assert any("professional" in a for a in p.advice) == stop


@pytest.mark.parametrize(
    ("days", "today", "n"),
    [
        ([], date(2026, 11, 5), 0),
        ([date(2026, 11, 5)], date(2026, 11, 5), 1),
        ([date(2026, 11, 3), date(2026, 11, 4)], date(2026, 11, 5), 2),  # today not done yet
        ([date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5)], date(2026, 11, 5), 2),
        ([date(2026, 11, 1)], date(2026, 11, 5), 0),
    ],
)
def test_streak(days, today, n):
    assert streak(days, today) == n


def test_sessions_per_week_and_trends():
    weeks = per_week(
        [date(2026, 11, 2), date(2026, 11, 4), date(2026, 10, 28)], date(2026, 11, 5), 3
    )
    assert [n for _, n in weeks] == [0, 1, 2]
    assert weeks[-1][0] == date(2026, 11, 2)  # a Monday
    assert trend([15.0, 17.0, 19.0]) == pytest.approx(2.0)
    assert trend([15.0]) is None
