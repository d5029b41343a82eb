"""The phase machine alone: hysteresis, dwell, gaps, gate."""

from __future__ import annotations

import math

import pytest

from backstretch.analysis.phases import Phase, PhaseMachine


def feed(ex, samples, gate=True, fps=30.0):
    m = PhaseMachine(ex.detection)
    phases = [m.update(i / fps, e, gate) for i, e in enumerate(samples)]
    return m, phases, m.finish(len(samples) / fps)


def test_hysteresis_stops_flicker_at_the_threshold(ex):
    d = ex.detection
    up = [10.0] * 30 + [d.enter_deg + 5] * 150
    jitter = [d.enter_deg - 3 + (6 if i % 2 else 0) for i in range(150)]  # flickers across enter
    down = [10.0] * 30
    _m, phases, eps = feed(ex, up + jitter + down)
    assert len(eps) == 1
    pos = [p for p in phases if p is Phase.POSITION]
    assert len(pos) >= 290  # never left the position while jittering above exit_deg


def test_short_raise_is_not_a_rep(ex):
    short = int(ex.detection.min_position_s * 30) - 10
    _, _, eps = feed(ex, [10.0] * 30 + [85.0] * short + [10.0] * 30)
    assert eps == []


@pytest.mark.parametrize("gap_s", [0.3, 0.9])
def test_lost_pose_keeps_the_phase(ex, gap_s):
    n = int(gap_s * 30)
    _, _phases, eps = feed(
        ex, [10.0] * 30 + [85.0] * 90 + [math.nan] * n + [85.0] * 90 + [10.0] * 30
    )
    assert len(eps) == 1
    assert eps[0].position_s >= 4.0 + gap_s - 0.2


def test_gate_blocks_the_position(ex):
    _, phases, eps = feed(ex, [10.0] * 30 + [85.0] * 300 + [10.0] * 30, gate=False)
    assert eps == [] and Phase.POSITION not in phases


def test_rep_still_in_progress_at_the_end_counts(ex):
    _, _, eps = feed(ex, [10.0] * 30 + [85.0] * 200)
    assert len(eps) == 1 and eps[0].position_s > 6
