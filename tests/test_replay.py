"""Landmark recordings: round trip, Keraal files, bad files, the replay estimator."""

from __future__ import annotations

import numpy as np
import pytest

from backstretch.analysis.engine import analyze_frames
from backstretch.errors import LandmarkFileError
from backstretch.pose.base import PoseEstimator
from backstretch.pose.replay import ReplayEstimator, open_recording, write_landmarks
from backstretch.pose.synthetic import Performer, stretch_script


@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.gz"])
def test_round_trip_gives_the_same_analysis(ex, tmp_path, name):
    perf = Performer(stretch_script(2, 16.0), dropout=0.05, seed=11)
    frames = list(perf.frames())
    path = tmp_path / name
    assert write_landmarks(path, perf.info, frames) == len(frames)
    rec = open_recording(path)
    assert rec.info.fps == perf.info.fps and rec.info.width == 640
    back = list(rec.frames())
    assert [f.detected for f in back] == [f.detected for f in frames]
    i = next(k for k, f in enumerate(frames) if f.detected)
    assert np.allclose(back[i].image, frames[i].image, atol=1e-4)
    a = analyze_frames(iter(frames), perf.info, ex).report
    b = analyze_frames(rec.frames(), rec.info, ex).report
    assert [r.hold_s for r in a.reps] == pytest.approx([r.hold_s for r in b.reps], abs=0.05)


@pytest.mark.parametrize("move", ["CTK", "ELK", "RTK"])
def test_keraal_recordings_load_and_give_no_reps(ex, data, move):
    path = next((data / "keraal").glob(f"G3-BP-{move}-*.json"))
    rec = open_recording(path)
    frames = list(rec.frames())
    assert len(frames) == rec.info.frames > 150
    assert all(f.detected for f in frames)
    report = analyze_frames(iter(frames), rec.info, ex).report
    assert report.summary.rep_count == 0


def test_replay_estimator_follows_the_protocol():
    perf = Performer(stretch_script(1, 5.0), seed=1)
    frames = list(perf.frames())[:3]
    est = ReplayEstimator(frames)
    assert isinstance(est, PoseEstimator)
    img = np.zeros((4, 4, 3), dtype=np.uint8)
    out = [est.process(img, i / 30, i) for i in range(4)]
    assert out[0].detected and not out[3].detected


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "not a landmark recording"),
        ('{"format": "other"}\n', "no 'backstretch.landmarks' header"),
        ('{"format": "backstretch.landmarks", "version": 9}\n', "version 9"),
        ('{"format": "backstretch.landmarks", "version": 1, "fps": 30}\n', "bad header"),
    ],
)
def test_bad_recordings_are_refused(tmp_path, content, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(LandmarkFileError, match=reason):
        open_recording(path)


def test_bad_frame_line_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    head = '{"format": "backstretch.landmarks", "version": 1, "fps": 30, "width": 1, "height": 1}'
    path.write_text(head + '\n{"i": 0, "t": 0, "image": [[1, 2]]}\n')
    with pytest.raises(LandmarkFileError, match=r"bad.jsonl:2"):
        list(open_recording(path).frames())


def test_bad_keraal_file(tmp_path):
    path = tmp_path / "k.json"
    path.write_text('{"nothing": 1}')
    with pytest.raises(LandmarkFileError, match="Keraal"):
        open_recording(path)


def test_a_pose_window_reads_as_the_series_of_its_last_seconds():
    """Frames appended one by one (people found and not, with and without world landmarks,
    past the arrays' first size) read as PoseSeries.from_frames of the frames still inside."""
    from backstretch.types import PoseFrame, PoseSeries, PoseWindow

    rng = np.random.default_rng(3)
    frames = []
    for i in range(400):
        t = i / 30.0
        if i % 17 == 5:
            frames.append(PoseFrame(i, t))  # nobody
            continue
        img = rng.random((33, 3)).astype(np.float32)
        vis = rng.random(33).astype(np.float32)
        world = None if 200 <= i < 210 else rng.random((33, 3)).astype(np.float32)
        frames.append(PoseFrame(i, t, img, vis, world))
    w = PoseWindow(2.5, capacity=16)
    for k, f in enumerate(frames):
        w.append(f)
        inside = [g for g in frames[: k + 1] if f.t - g.t <= 2.5]
        got, want = w.series(), PoseSeries.from_frames(inside)
        assert len(w) == len(inside)
        for a, b in ((got.t, want.t), (got.image, want.image), (got.visibility, want.visibility),
                     (got.world, want.world)):  # fmt: skip
            np.testing.assert_array_equal(a, b)
        assert got.has_world == want.has_world
