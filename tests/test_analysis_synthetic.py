"""Table-driven analysis tests over synthetic performances with known truth."""

from __future__ import annotations

import pytest

from backstretch.analysis.faults import HAND_RULES
from backstretch.exercise import FAULT_CODES
from backstretch.pose.synthetic import (
    NON_STRETCH,
    Camera,
    Performer,
    non_stretch_script,
    stretch_script,
)
from tests.builders import run

VIEWS = {"front": 0.0, "oblique": 45.0, "side": 90.0}
#: Seen from the side these look like one faulty attempt (bent elbows), since the hands' gap
#: cannot be measured there: counted as a repetition (a known limit, in the README).
SIDE_VIEW_LIMITS = {"carry_box", "arm_across_chest"}


def _check_against_truth(analysis, truth, hold_tol=1.0, time_tol=0.8):
    r = analysis.report
    assert r.summary.rep_count == truth["rep_count"]
    for got, exp in zip(r.reps, truth["reps"], strict=True):
        assert abs(got.start_s - exp["start_s"]) <= time_tol, (got.start_s, exp["start_s"])
        assert abs(got.end_s - exp["end_s"]) <= 1.5, (got.end_s, exp["end_s"])
        assert abs(got.hold_s - exp["hold_s"]) <= hold_tol, (got.hold_s, exp["hold_s"])
        assert sorted({f.code for f in got.faults}) == exp["faults"]
        assert got.completed == (not exp["faults"])
    assert r.summary.completed_count == truth["completed_count"]
    assert r.summary.fault_codes == truth["fault_codes"]


@pytest.mark.parametrize("view", VIEWS)
def test_clean_three_reps_of_20s(ex, view):
    perf = Performer(stretch_script(3, 20.0), camera=Camera(yaw=VIEWS[view]), seed=1)
    analysis, truth = run(perf, ex)
    _check_against_truth(analysis, truth)
    r = analysis.report
    assert r.camera_view == view
    assert r.summary.completed_count == 3 and r.summary.set_complete
    assert r.summary.score >= 90
    assert all(rep.confidence > 0.8 for rep in r.reps)


@pytest.mark.parametrize("view", VIEWS)
def test_short_holds_are_not_completed(ex, view):
    perf = Performer(stretch_script(2, 9.0), camera=Camera(yaw=VIEWS[view]), seed=2)
    analysis, _truth = run(perf, ex)
    assert analysis.report.summary.rep_count == 2
    for rep in analysis.report.reps:
        assert not rep.completed
        assert "hold_too_short" in {f.code for f in rep.faults}
        assert rep.hold_s < ex.targets.hold_s


#: The synthetic body acts every fault of the body's landmarks; its hands are not modelled
#: (the hand checks: tests/test_hands.py, on rendered hands).
CASES = [(code, view) for code in FAULT_CODES if code not in HAND_RULES for view in VIEWS]


@pytest.mark.parametrize(("code", "view"), CASES)
def test_each_fault_in_each_view(ex, code, view):
    """The fault is found in rep 1 where the view can see it, never in the clean rep 2."""
    perf = Performer(
        stretch_script(2, 17.0, faults={0: code}), camera=Camera(yaw=VIEWS[view]), seed=3
    )
    analysis, truth = run(perf, ex)
    _check_against_truth(analysis, truth)
    rule_views = ex.faults.rule(code).views
    skipped = {c.check for c in analysis.report.checks_skipped}
    assert (code in skipped) == (view not in rule_views)
    if code in truth["reps"][0]["faults"]:
        found = [f for f in analysis.report.reps[0].faults if f.code == code]
        assert found and found[0].message and found[0].tip
        assert found[0].start_s >= analysis.report.reps[0].start_s


@pytest.mark.parametrize("kind", NON_STRETCH)
@pytest.mark.parametrize("view", VIEWS)
def test_movements_that_are_not_the_stretch_give_no_reps(ex, kind, view):
    if view == "side" and kind in SIDE_VIEW_LIMITS:
        pytest.xfail("known limit: from the side the hands' gap lies along the line of sight")
    perf = Performer(non_stretch_script(kind), camera=Camera(yaw=VIEWS[view]), seed=4)
    analysis, _ = run(perf, ex)
    assert analysis.report.summary.rep_count == 0
    assert analysis.report.summary.score == 0


def test_idle_person_gives_no_reps(ex):
    script = stretch_script(0)
    script.segments[0] = type(script.segments[0])(30.0, "rest")
    analysis, _ = run(Performer(script, seed=5), ex)
    assert analysis.report.summary.rep_count == 0
    said = [w for w in analysis.report.warnings if "never came up" in w]
    assert said, analysis.report.warnings  # and how high they got: hanging, under 20 deg
    assert int(said[0].split("at most about ")[1].split(" deg")[0]) < 20


@pytest.mark.parametrize(
    "kw",
    [
        {"noise_px": 3.0, "world_noise_m": 0.012},
        {"dropout": 0.15},
        {"mirror": True},
        {"mirror": True, "dropout": 0.1, "noise_px": 2.5},
        {"camera": Camera(yaw=-45.0)},
        {"camera": Camera(yaw=45.0, fps=15.0)},
    ],
    ids=["noise", "dropouts", "mirrored", "mirrored-noisy-dropouts", "other-side", "15fps"],
)
def test_robust_to_noise_dropouts_and_mirroring(ex, kw):
    perf = Performer(stretch_script(3, 20.0), seed=6, **kw)
    analysis, truth = run(perf, ex)
    _check_against_truth(analysis, truth, hold_tol=1.2)


def test_mirrored_input_gives_the_same_answer(ex):
    script = stretch_script(2, 18.0, faults={1: "hands_apart"})
    a, _ = run(Performer(script, seed=8), ex)
    b, _ = run(Performer(script, seed=8, mirror=True), ex)
    assert [r.hold_s for r in a.report.reps] == pytest.approx(
        [r.hold_s for r in b.report.reps], abs=0.3
    )
    assert a.report.summary.fault_codes == b.report.summary.fault_codes
    assert a.report.camera_view == b.report.camera_view


def test_more_reps_than_asked_is_noted(ex):
    analysis, _ = run(Performer(stretch_script(4, 16.0), seed=9), ex)
    s = analysis.report.summary
    assert s.completed_count == 4 and s.set_complete
    assert "more than" in s.note


def test_frame_faults_stop_the_hold_timer_only_while_they_last(ex):
    """Bent elbows for part of the hold: the hold counts only the good part."""
    from backstretch.pose.synthetic import Segment

    script = stretch_script(1, 20.0)
    hold = next(i for i, s in enumerate(script.segments) if s.label == "hold")
    script.segments[hold : hold + 1] = [
        Segment(8.0, "position", {}, "hold"),
        Segment(0.5, "position", {"elbow_flex": 70.0}),
        Segment(5.0, "position", {}),
        Segment(0.5, "position", {"elbow_flex": 0.0}),
        Segment(8.0, "position", {}),
    ]
    analysis, _ = run(Performer(script, seed=10), ex)
    rep = analysis.report.reps[0]
    bent = [f for f in rep.faults if f.code == "elbows_bent"]
    assert len(bent) == 1
    assert 4.5 <= bent[0].end_s - bent[0].start_s <= 6.5
    assert rep.position_s - 7.0 <= rep.hold_s <= rep.position_s - 4.5
    assert analysis.timeline.hold_clock.max() == pytest.approx(rep.hold_s, abs=0.05)
