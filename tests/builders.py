"""Builders: synthetic performances analysed, with their truth."""

from __future__ import annotations

from typing import Any

from backstretch.analysis.engine import Analysis, analyze_frames
from backstretch.exercise import Exercise
from backstretch.pose.synthetic import FormLimits, Performer


def limits_for(ex: Exercise) -> FormLimits:
    """The good-form limits of an exercise, in the synthetic body's terms.

    Rounding and the hand gap are judged on the true pose with the body-terms limits (7 deg of
    upper-back flexion, hands 0.4 torso lengths apart): the exercise's thresholds for those two
    are calibrated to what the pose model reads from pixels, a different scale."""
    f = ex.faults
    body_terms = FormLimits()
    return FormLimits(
        min_elevation=f.arms_too_low.min_deg,
        max_elevation=f.arms_too_high.max_deg,
        min_straightness=f.elbows_bent.straightness_min,
        max_hands_gap=body_terms.max_hands_gap,
        min_rounding=body_terms.min_rounding,
        min_stance=f.stance_too_narrow.min_width,
        max_stance=f.stance_too_wide.max_width,
        max_lean=f.trunk_leaning.max_forward_deg,
        front_max_yaw=ex.view.front_max_deg,
        side_min_yaw=ex.view.side_min_deg,
    )


def run(perf: Performer, ex: Exercise) -> tuple[Analysis, dict[str, Any]]:
    return analyze_frames(perf.frames(), perf.info, ex), perf.truth(limits_for(ex))


def run_live(perf: Performer, ex: Exercise) -> tuple[Any, dict[str, Any]]:
    """The same performance coached live, frame by frame; the summary has ``summary`` and
    ``reps`` like a report."""
    from backstretch.session import LiveSession

    session = LiveSession(ex, perf.info.width, perf.info.height)
    for frame in perf.frames():
        if session.started_t is None:
            session.start(frame.t)
        session.push(frame)
    return session.stop(), perf.truth(limits_for(ex))
