"""PhaseMachine on synthetic timelines: dips, re-entry, stalls, clock jumps, pose loss, gate.

Each timeline is a list of segments ``(seconds, elevation[, gate])`` turned into frames at a
given frame rate. An elevation of ``None`` makes no frames for that long (a stall; negative
seconds make the clock jump backwards); a pair ``(a, b)`` is a linear ramp.
"""

from __future__ import annotations

import math

import pytest

from backstretch.analysis.phases import MAX_STEP_S, Episode, Phase, PhaseMachine
from backstretch.exercise import builtin_exercise

D = builtin_exercise().detection
UP = 85.0  # well inside the stretch position
DOWN = 10.0  # arms hanging
MID = (D.rest_deg + D.exit_deg) / 2  # below exit_deg, above rest_deg: a dip, not arms down
LOW = D.rest_deg - 10  # arms down
BETWEEN = (D.exit_deg + D.enter_deg) / 2  # inside the hysteresis band
NAN = math.nan
FPS = [10.0, 30.0]

Frame = tuple[float, float, bool]


def timeline(*segments: tuple, fps: float) -> tuple[list[Frame], float]:
    """Frames ``(t, elevation, gate)`` and the time just after the last one."""
    frames: list[Frame] = []
    t = 0.0
    for seg in segments:
        dur, elev = seg[0], seg[1]
        gate = seg[2] if len(seg) > 2 else True
        if elev is None:
            t += dur
            continue
        n = round(dur * fps)
        for i in range(n):
            if isinstance(elev, tuple):
                e = elev[0] + (elev[1] - elev[0]) * i / max(n - 1, 1)
            else:
                e = elev
            frames.append((t + i / fps, e, gate))
        t += n / fps
    return frames, t


def feed(*segments: tuple, fps: float) -> PhaseMachine:
    """The machine after the frames, before :meth:`PhaseMachine.finish`."""
    frames, _ = timeline(*segments, fps=fps)
    m = PhaseMachine(D)
    for t, e, g in frames:
        m.update(t, e, g)
    return m


def run(*segments: tuple, fps: float) -> tuple[PhaseMachine, list[Phase], list[Episode]]:
    frames, end = timeline(*segments, fps=fps)
    m = PhaseMachine(D)
    phases = [m.update(t, e, g) for t, e, g in frames]
    return m, phases, m.finish(end)


def tol(fps: float) -> float:
    return 2.0 / fps + 1e-9


def test_premises():
    assert D.rest_deg < MID < D.exit_deg <= BETWEEN < D.enter_deg < UP
    assert max(LOW, DOWN) < D.rest_deg
    assert D.min_position_s == 5.0 and D.max_gap_s < 3.0
    assert MAX_STEP_S == 0.5


@pytest.mark.parametrize("fps", [*FPS, 15.0])
@pytest.mark.parametrize("hold_s", [5.0, 20.0])
def test_clean_hold_is_one_episode(fps, hold_s):
    _, _, eps = run((1.0, DOWN), (hold_s, UP), (1.0, DOWN), fps=fps)
    assert len(eps) == 1
    ep = eps[0]
    assert ep.position_s == pytest.approx(hold_s, abs=tol(fps))
    assert ep.start_t == pytest.approx(1.0) and ep.enter_t == pytest.approx(1.0)
    assert ep.exit_t == pytest.approx(1.0 + hold_s, abs=tol(fps))
    assert ep.exit_t <= ep.end_t <= ep.exit_t + tol(fps)


@pytest.mark.parametrize("fps", FPS)
def test_clean_hold_with_ramps(fps):
    """Realistic raise and release (1 s ramps): the position starts and ends at the thresholds."""
    _, _, eps = run(
        (1.0, DOWN), (1.0, (DOWN, UP)), (20.0, UP), (1.0, (UP, DOWN)), (1.0, DOWN), fps=fps
    )
    assert len(eps) == 1
    ep = eps[0]
    assert ep.start_t < ep.enter_t < 2.0  # the raise starts before the position
    assert 22.0 < ep.exit_t < 23.0 and ep.exit_t <= ep.end_t
    # the thresholds sit low in the ramps (enter 30, exit 24 deg of 85): most of each ramp counts
    assert 20.0 <= ep.position_s <= 22.0


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("dip_s", [0.2, 0.4, 1.0])
@pytest.mark.parametrize("dip_deg", [D.rest_deg + 1, MID, D.exit_deg - 1])
@pytest.mark.parametrize("arms_down_at_end", [True, False], ids=["arms-down", "clip-ends-holding"])
def test_dip_above_rest_keeps_one_episode_with_the_final_exit(
    fps, dip_s, dip_deg, arms_down_at_end
):
    """A short dip is one episode; its exit is the last one, also when the clip ends holding."""
    tail = [(1.0, DOWN)] if arms_down_at_end else []
    _, _, eps = run((1.0, DOWN), (10.0, UP), (dip_s, dip_deg), (10.0, UP), *tail, fps=fps)
    assert len(eps) == 1
    ep = eps[0]
    final_exit = 1.0 + 10.0 + dip_s + 10.0  # arms down, or the end of the recording
    assert ep.exit_t == pytest.approx(final_exit, abs=tol(fps))
    assert ep.exit_t - ep.enter_t >= 19.0  # the window the offline analysis judges
    assert ep.position_s >= 19.0
    assert ep.position_s == pytest.approx(20.0, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("dip_s", [0.4, 1.0])
def test_dip_to_rest_splits_the_hold(fps, dip_s):
    _, _, eps = run((1.0, DOWN), (10.0, UP), (dip_s, LOW), (10.0, UP), (1.0, DOWN), fps=fps)
    assert len(eps) == 2
    first, second = eps
    assert first.exit_t == pytest.approx(11.0, abs=tol(fps))
    assert first.end_t < second.start_t
    assert second.enter_t == pytest.approx(11.0 + dip_s, abs=tol(fps))
    assert second.exit_t == pytest.approx(21.0 + dip_s, abs=tol(fps))
    for ep in eps:
        assert ep.position_s == pytest.approx(10.0, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize(
    ("after_deg", "phase", "exit_reset"),
    [
        (UP, Phase.POSITION, True),
        (D.enter_deg, Phase.POSITION, True),  # enter_deg itself is "raised"
        (BETWEEN, Phase.RELEASING, False),  # hysteresis band: not back in the position
        (MID, Phase.REST, 6.0),  # below exit_deg for down_after_s: down, from the dip on
        (LOW, Phase.REST, 6.4),
    ],
)
def test_what_follows_a_dip(fps, after_deg, phase, exit_reset):
    m = feed((1.0, DOWN), (5.0, UP), (0.4, MID), fps=fps)
    assert m.phase is Phase.RELEASING
    assert m.current is not None
    assert m.current.exit_t == pytest.approx(6.0, abs=tol(fps))
    t0 = 6.4
    for i in range(round(2 * fps)):
        m.update(t0 + i / fps, after_deg)
    assert m.phase is phase
    if isinstance(exit_reset, float):  # the repetition ended: at this time
        assert m.current is None
        assert m.episodes[-1].end_t == pytest.approx(exit_reset, abs=tol(fps))
    else:
        assert m.current is not None
        assert math.isnan(m.current.exit_t) is exit_reset
        assert m.counted  # 5 s already held


@pytest.mark.parametrize("fps", FPS)
def test_a_sag_shorter_than_down_after_s_keeps_the_repetition_whole(fps):
    sag = D.down_after_s * 0.75
    _, _, eps = run((1.0, DOWN), (10.0, UP), (sag, MID), (10.0, UP), (1.0, DOWN), fps=fps)
    assert len(eps) == 1
    assert eps[0].position_s == pytest.approx(20.0, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
def test_noisy_hanging_arms_around_rest_deg_stay_at_rest(fps):
    """Arms hanging at 14-23 deg (the pose model's noise across rest_deg): no raise starts."""
    frames, end = timeline((10.0, DOWN), fps=fps)
    m = PhaseMachine(D)
    wobble = [D.rest_deg - 4, D.rest_deg + 5, D.rest_deg + 1, D.rest_deg - 2]
    phases = [m.update(t, wobble[k % 4]) for k, (t, _, _) in enumerate(frames)]
    settled = phases[round(D.down_after_s * fps) + 1 :]
    assert set(settled) == {Phase.REST} and m.current is None
    assert m.finish(end) == []


@pytest.mark.parametrize("fps", FPS)
def test_a_recording_that_ends_with_the_arms_a_little_high_ends_the_repetition_there(fps):
    _, _, eps = run((1.0, DOWN), (10.0, UP), (0.5 * D.down_after_s, MID), fps=fps)
    assert len(eps) == 1
    assert eps[0].end_t == pytest.approx(11.0, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
def test_arms_resting_a_little_above_rest_deg_still_end_each_repetition(fps):
    """Hanging arms read 19-23 deg from the side on some bodies: three repetitions with the
    arms resting there are three, each from its raise to its release."""
    rest = (3.0, MID)
    rep = ((0.5, (MID, UP)), (8.0, UP), (0.5, (UP, MID)))
    _, phases, eps = run(rest, *rep, rest, *rep, rest, *rep, rest, fps=fps)
    assert len(eps) == 3
    assert phases[-1] is Phase.REST
    for k, ep in enumerate(eps):
        raise_t = 3.0 + k * 12.0
        assert raise_t - 1.0 <= ep.start_t <= ep.enter_t <= raise_t + 0.5
        assert raise_t + 8.5 <= ep.exit_t <= ep.end_t <= raise_t + 9.0 + tol(fps)
        assert ep.position_s == pytest.approx(8.5, abs=0.5)


@pytest.mark.parametrize("fps", FPS)
def test_reentry_phase_sequence(fps):
    """rest -> raising/position -> releasing -> position -> releasing -> rest, once each."""
    _, phases, eps = run((1.0, DOWN), (5.0, UP), (0.4, MID), (5.0, UP), (1.0, DOWN), fps=fps)
    runs = [p for i, p in enumerate(phases) if i == 0 or p is not phases[i - 1]]
    assert runs == [
        Phase.REST,
        Phase.POSITION,
        Phase.RELEASING,
        Phase.POSITION,
        Phase.RELEASING,
        Phase.REST,
    ]
    assert len(eps) == 1 and eps[0].exit_t == pytest.approx(11.4, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("stall_s", [5.0, 10.0, 60.0])
def test_stall_during_a_front_raise_is_not_an_episode(fps, stall_s):
    m, _, eps = run((1.0, DOWN), (0.5, UP), (stall_s, None), (0.5, UP), (1.0, DOWN), fps=fps)
    assert eps == []
    assert not m.counted


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("stall_s", [0.6, 10.0, 1000.0])
def test_stall_adds_at_most_the_max_step(fps, stall_s):
    m = feed((1.0, DOWN), (0.5, UP), (stall_s, None), (0.5, UP), fps=fps)
    assert m.phase is Phase.POSITION and m.current is not None
    # 0.5 s of frames on each side (n frames = n - 1 steps each) and one capped step between.
    expected = (0.5 - 1 / fps) + MAX_STEP_S + (0.5 - 1 / fps)
    assert m.current.position_s == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("fps", FPS)
def test_stall_inside_a_long_hold_keeps_the_episode(fps):
    _, _, eps = run((1.0, DOWN), (5.0, UP), (10.0, None), (5.0, UP), (1.0, DOWN), fps=fps)
    assert len(eps) == 1
    assert eps[0].position_s == pytest.approx(10.0 + MAX_STEP_S, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("back_s", [0.1, 3.0, 100.0])
def test_clock_going_backwards_adds_no_time(fps, back_s):
    frames, end = timeline((1.0, DOWN), (4.0, UP), (-back_s, None), (2.0, UP), (1.0, DOWN), fps=fps)
    m = PhaseMachine(D)
    held = []
    for t, e, g in frames:
        m.update(t, e, g)
        if m.current is not None:
            held.append(m.current.position_s)
    assert held == sorted(held)  # never decreases
    eps = m.finish(end)
    assert len(eps) == 1
    # 4 s + 2 s of frames; the backward step itself adds 0 (not -back_s, not a capped step).
    assert eps[0].position_s == pytest.approx(6.0 - 1 / fps, abs=tol(fps))


def test_single_backward_frame_adds_nothing():
    m = PhaseMachine(D)
    for i in range(50):  # 5 s at 10 fps
        m.update(i / 10, UP)
    assert m.current is not None
    before = m.current.position_s
    m.update(2.0, UP)
    assert m.current.position_s == before
    m.update(2.1, UP)
    assert m.current.position_s == pytest.approx(before + 0.1)


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("nan_s", [0.3, 0.5, 3.0, 10.0])
def test_lost_pose_inside_a_hold(fps, nan_s):
    frames, end = timeline((1.0, DOWN), (10.0, UP), (nan_s, NAN), (10.0, UP), (1.0, DOWN), fps=fps)
    m = PhaseMachine(D)
    for t, e, g in frames:
        m.update(t, e, g)
        if math.isnan(e):
            assert m.phase is Phase.POSITION  # a missing pose does not vote
    eps = m.finish(end)
    assert len(eps) == 1
    counted = min(nan_s, D.max_gap_s)
    assert eps[0].position_s == pytest.approx(20.0 + counted, abs=tol(fps))
    if nan_s > D.max_gap_s:
        assert eps[0].position_s < 20.0 + nan_s - 1.0


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize(
    ("raise_s", "is_rep"),
    [(1.0, False), (2.0, False), (4.8, False), (5.5, True), (7.0, True)],
)
def test_front_raise_versus_repetition(fps, raise_s, is_rep):
    assert (raise_s >= D.min_position_s) is is_rep
    _, _, eps = run((1.0, DOWN), (raise_s, UP), (1.0, DOWN), fps=fps)
    assert len(eps) == int(is_rep)
    if is_rep:
        assert eps[0].position_s == pytest.approx(raise_s, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("raise_s", [2.0, 3.5])
def test_counted_flag_follows_the_dwell(fps, raise_s):
    m = feed((1.0, DOWN), (raise_s, UP), fps=fps)
    assert m.counted is (raise_s > D.min_position_s)


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("off_s", [0.2, 1.0, 5.0])
def test_gate_off_in_position_releases(fps, off_s):
    """Gate drops while the arms stay up (e.g. sitting down): RELEASING, exit at the drop."""
    frames, end = timeline((1.0, DOWN), (5.0, UP), (off_s, UP, False), (1.0, DOWN), fps=fps)
    m = PhaseMachine(D)
    for t, e, g in frames:
        m.update(t, e, g)
        if not g:
            assert m.phase is Phase.RELEASING
    eps = m.finish(end)
    assert len(eps) == 1
    assert eps[0].exit_t == pytest.approx(6.0, abs=tol(fps))
    assert eps[0].position_s == pytest.approx(5.0, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
def test_gate_back_on_returns_to_position(fps):
    _, phases, eps = run((1.0, DOWN), (5.0, UP), (1.0, UP, False), (5.0, UP), (1.0, DOWN), fps=fps)
    assert Phase.RELEASING in phases
    assert len(eps) == 1
    assert eps[0].exit_t == pytest.approx(12.0, abs=tol(fps))
    assert eps[0].position_s == pytest.approx(10.0, abs=tol(fps))


@pytest.mark.parametrize("fps", FPS)
def test_gate_off_from_the_start_never_positions(fps):
    _, phases, eps = run((1.0, DOWN), (20.0, UP, False), (1.0, DOWN), fps=fps)
    assert eps == [] and Phase.POSITION not in phases
