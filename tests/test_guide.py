"""Guided practice: the state machine driven by a fake clock, and the real program in a real
terminal (tmux) with its keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from backstretch.session.guide import STEP_SECONDS, GuideMachine, guide_plan
from backstretch.store import Store


def run_clock(m: GuideMachine, until: float, step: float = 0.25) -> None:
    t = 0.0
    m.tick(t)
    while t < until and not m.finished:
        t += step
        m.tick(t)


def test_the_plan_follows_the_exercise(ex):
    plan = guide_plan(ex, reps=2, hold_s=20.0)
    assert [s.kind for s in plan] == [
        "warm_up", "ready", "raise", "round", "hold", "release", "rest",
        "ready", "raise", "round", "hold", "release",
    ]  # fmt: skip
    titles = {s.title for s in ex.steps}
    assert all(s.title in titles for s in plan if s.kind not in ("warm_up", "rest"))
    assert [s.seconds for s in plan if s.kind == "hold"] == [20.0, 20.0]


def test_a_full_guided_session_hands_out_each_rep(ex):
    got = []
    m = GuideMachine(ex, reps=2, hold_s=15.0, on_rep=got.append)
    run_clock(m, 200.0)
    assert m.ended_by == "done" and len(got) == 2
    assert all(r.hold_s == pytest.approx(15.0) and r.completed for r in got)
    assert got[0].hold_start_s == pytest.approx(
        STEP_SECONDS["warm_up"]
        + STEP_SECONDS["ready"]
        + STEP_SECONDS["raise"]
        + STEP_SECONDS["round"]
    )
    assert m.summary().rep_count == 2


def test_pause_stops_the_clock_and_breathing_paces_the_hold(ex):
    m = GuideMachine(ex, reps=1, hold_s=15.0)
    m.tick(0.0)
    v = m.tick(5.0)
    assert v.step is not None and v.step.kind == "warm_up" and v.left_s == pytest.approx(5.0)
    m.toggle_pause()
    v = m.tick(50.0)
    assert v.paused and v.left_s == pytest.approx(5.0)
    m.toggle_pause()
    m.tick(50.0)
    hold_at = 5.0 + STEP_SECONDS["ready"] + STEP_SECONDS["raise"] + STEP_SECONDS["round"]
    v = m.tick(50.0 + hold_at + 1.0)
    assert v.step is not None and v.step.kind == "hold"
    assert v.breath is not None and v.breath.phase == "in"
    v = m.tick(50.0 + hold_at + ex.targets.breath_in_s + 1.0)
    assert v.breath is not None and v.breath.phase == "out"


def test_pain_and_quit_end_at_once(ex):
    for end in ("stop_for_pain", "quit"):
        m = GuideMachine(ex, reps=2, hold_s=15.0)
        run_clock(m, 30.0)
        getattr(m, end)()
        v = m.tick(31.0)
        assert v.finished and len(m.reps) == 0


needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("BACKSTRETCH_CI"),
    reason="tmux is not installed",
)


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def wait_screen(name: str, text: str, timeout: float = 20.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        screen = tmux("capture-pane", "-p", "-t", name)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


@needs_tmux
@pytest.mark.slow
def test_the_real_program_in_a_terminal_pauses_and_records_a_pain_stop(tmp_path):
    db = tmp_path / "g.db"
    name = f"guide{time.monotonic_ns()}"
    cmd = (f"{sys.executable} -m backstretch guide --db {db} --no-voice --reps 2 "
           f"--time-scale 4; echo EXITED $?; sleep 60")  # fmt: skip
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "32", cmd)
    try:
        wait_screen(name, "Warm up")
        tmux("send-keys", "-t", name, " ")
        wait_screen(name, "PAUSED")
        tmux("send-keys", "-t", name, " ")
        wait_screen(name, "Hold and breathe")
        wait_screen(name, "Breathe")
        tmux("send-keys", "-t", name, "p")
        wait_screen(name, "How much does it hurt")
        tmux("send-keys", "-t", name, "6", "Enter")
        wait_screen(name, "Where")
        tmux("send-keys", "-t", name, "2", "Enter")
        wait_screen(name, "Anything else")
        tmux("send-keys", "-t", name, "sharp", "Enter")
        screen = wait_screen(name, "EXITED")
        assert "EXITED 0" in screen and "Stopped for pain" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    with Store(str(db)) as store:
        (s,) = store.sessions()
    assert s.kind == "guided" and not s.verified and s.pain_stop and s.finished
    assert s.score is None
    assert (s.pains[0].rating, s.pains[0].location, s.pains[0].note) == (6, "lower back", "sharp")
