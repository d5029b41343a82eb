"""Builders: synthetic performances analysed, with their truth."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backstretch.analysis.engine import Analysis, analyze_frames
from backstretch.exercise import Exercise
from backstretch.pose.synthetic import FormLimits, Performer


def limits_for(ex: Exercise) -> FormLimits:
    """Good form in the synthetic body's terms, for the truth of a performance.

    The truth is judged on the true pose with fixed limits (arms at 65-112 deg, elbows
    straighter than about 130 deg, hands within 0.4 torso lengths, 5 deg of upper-back
    flexion, ...): the exercise's thresholds are calibrated to what the pose model reads from
    pixels, a different scale, and tuning them must not move the truth. Only the views come
    from the exercise."""
    return replace(FormLimits(), front_max_yaw=ex.view.front_max_deg,
                   side_min_yaw=ex.view.side_min_deg)  # fmt: skip


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
