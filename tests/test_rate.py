"""The adaptive analysis rate (pose/rate.py): few frames posed while the person is still,
every frame around a movement, and the same analysis as posing every frame."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from backstretch.analysis.engine import analyze_frames
from backstretch.pipeline import analyze_source, open_source
from backstretch.pose.rate import KEY_POINTS, STILL_TOLERANCE, RateStats, pose_adaptively
from backstretch.pose.synthetic import Camera, Performer, Style, stretch_script
from backstretch.pose.video import read_ahead
from backstretch.types import Landmark, PoseFrame

NO_PICTURE = np.zeros((1, 1, 3), dtype=np.uint8)


def _adaptive(perf: Performer) -> tuple[list[PoseFrame], list[PoseFrame], set[int], RateStats]:
    """Every frame of the performance, and what the adaptive rate makes of it (with the set of
    frames it asked the pose model for)."""
    every = list(perf.frames())
    asked: set[int] = set()

    def pose(image: np.ndarray, t: float, index: int) -> PoseFrame:
        asked.add(index)
        return every[index]

    stats = RateStats()
    items = ((f.index, f.t, NO_PICTURE) for f in every)
    info = perf.info
    out = list(pose_adaptively(items, pose, info.width, info.height, stats=stats))
    return every, out, asked, stats


def _perf(style: Style = Style(), yaw: float = 45.0, faults=None, **kw) -> Performer:  # noqa: B008
    script = stretch_script(2, 17.0, faults=faults or {}, style=style, **kw)
    # a steadier model than the default (1.5 px): the rendered clips' jitter in a still hold
    # is 0.001-0.07 torso lengths; 1.5 px is 0.02 here, drawn afresh every frame
    return Performer(script, camera=Camera(yaw=yaw, fps=15.0), noise_px=0.4, seed=3)


def test_a_still_person_is_posed_sparsely_and_skipped_frames_stay_close():
    every, out, asked, stats = _adaptive(_perf())
    assert [f.index for f in out] == [f.index for f in every]  # one frame out per frame in
    assert stats.frames == len(every) and stats.posed == len(asked)
    assert stats.posed < 0.55 * stats.frames  # the holds and rests are mostly skipped
    assert stats.posed > 0.2 * stats.frames  # ... and the movements are not
    width, height = _perf().info.width, _perf().info.height
    size = np.array([width, height])
    keys = list(KEY_POINTS)
    for a, b in zip(every, out, strict=True):
        if b.index in asked:
            assert b is a
            continue
        assert a.image is not None and b.image is not None
        torso = np.linalg.norm(
            (a.image[[11, 12], :2].mean(0) - a.image[[23, 24], :2].mean(0)) * size
        )
        err = np.linalg.norm((a.image[keys, :2] - b.image[keys, :2]) * size, axis=1).max()
        assert err <= STILL_TOLERANCE * torso, (b.index, err / torso)


def test_every_frame_of_a_fast_release_is_posed():
    perf = _perf(faults={0: "release_too_fast"})
    every, _, asked, _ = _adaptive(perf)
    rep = perf.script.reps[0]
    release = [f.index for f in every if rep.hold_end_s + 0.15 <= f.t <= rep.end_s]
    assert release and set(release) <= asked


CASES = {
    "clean-oblique": {},
    "clean-front-slow": {"style": Style(head="neutral", lead="mixed", tempo=1.5), "yaw": 0.0},
    "clean-side-fast": {"style": Style(lead="protraction", tempo=0.7), "yaw": 90.0},
    "release_too_fast": {"faults": {1: "release_too_fast"}},
    "jerky_movement": {"faults": {0: "jerky_movement"}},
    "hold_too_short": {"faults": {0: "hold_too_short"}},
    "elbows_bent": {"faults": {1: "elbows_bent"}, "yaw": 60.0},
}


@pytest.mark.parametrize("case", CASES)
def test_the_analysis_is_the_same_as_posing_every_frame(ex, case):
    perf = _perf(**CASES[case])
    every, out, _, _ = _adaptive(perf)
    want = analyze_frames(every, perf.info, ex).report
    got = analyze_frames(out, perf.info, ex).report
    assert got.summary.rep_count == want.summary.rep_count >= 2
    assert [r.faults for r in got.reps] == [r.faults for r in want.reps]
    assert [r.completed for r in got.reps] == [r.completed for r in want.reps]
    for g, w in zip(got.reps, want.reps, strict=True):
        assert abs(g.hold_s - w.hold_s) <= 0.2, (g.hold_s, w.hold_s)


def test_nobody_in_view_is_posed_every_frame():
    """No person: nothing to compare, so nothing is skipped (a person may step in)."""
    perf = _perf()
    n = perf.info.frames
    stats = RateStats()
    items = ((i, i / 15.0, NO_PICTURE) for i in range(n))
    out = list(pose_adaptively(items, lambda img, t, i: PoseFrame(i, t), 640, 480, stats=stats))
    assert len(out) == n and stats.posed == n


def test_only_the_upper_body_in_view_is_posed_every_frame():
    """Without hips there is no torso to measure a movement by: it abstains and poses all."""
    every = list(_perf().frames())
    hips = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
    for f in every:
        assert f.visibility is not None
        f.visibility[hips] = 0.1
    stats = RateStats()
    items = ((f.index, f.t, NO_PICTURE) for f in every)
    list(pose_adaptively(items, lambda img, t, i: every[i], 640, 480, stats=stats))
    assert stats.posed == len(every)


def test_read_ahead_keeps_order_raises_where_it_failed_and_stops_when_closed():
    assert list(read_ahead(iter(range(50)), depth=3)) == list(range(50))

    def broken():
        yield 1
        yield 2
        raise ValueError("damaged at frame 3")

    got = []
    with pytest.raises(ValueError, match="damaged at frame 3"):
        for x in read_ahead(broken()):
            got.append(x)
    assert got == [1, 2]

    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    before = threading.active_count()
    it = read_ahead(endless(), depth=2)
    assert next(it) == 0 and next(it) == 1
    it.close()
    assert closed.is_set()  # the reader was closed in its own thread, and the thread ended
    assert threading.active_count() == before


@pytest.mark.slow
def test_the_sample_video_by_default_poses_fewer_frames_with_the_same_result(ex):
    """The real pose model on the built-in sample: the default (adaptive) against posing
    every analysed frame."""
    src = open_source(None)
    got = analyze_source(src, ex).report
    every = analyze_source(open_source(None, stride=src.stride), ex).report
    assert src.rate is not None and src.rate.posed < 0.7 * src.rate.frames
    assert got.summary.rep_count == every.summary.rep_count == 2
    assert [r.faults for r in got.reps] == [r.faults for r in every.reps]
    for g, w in zip(got.reps, every.reps, strict=True):
        assert abs(g.hold_s - w.hold_s) <= 0.2
