"""The ways people film, applied to one rendered clean repetition (real pixels through real
MediaPipe): each works, or says clearly why it cannot; never a silent wrong answer.

(A rotate tag is covered by tests/test_real_video.py; far away by tests/test_zoom.py.)"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from backstretch.exercise import Exercise
from backstretch.pipeline import analyze_source, open_source
from backstretch.pose.video import VideoReader, VideoWriter

pytestmark = pytest.mark.slow

RENDERED = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "rendered"
CLIP = "test-clean-fay-45-1"  # one clean repetition, 45 deg, 12 fps, 640x480
OTHER = "test-move-idle_gestures-hana-70"  # another person, not stretching


@pytest.fixture(scope="module")
def clip() -> tuple[list[tuple[float, np.ndarray]], float, float]:
    frames = [(f.t, f.image) for f in VideoReader(RENDERED / f"{CLIP}.mp4")]
    truth = json.loads((RENDERED / f"{CLIP}.truth.json").read_text())
    return frames, 12.0, truth["reps"][0]["hold_s"]


def _write(path: Path, images: list[np.ndarray], fps: float) -> Path:
    h, w = images[0].shape[:2]
    with VideoWriter(path, fps, w, h) as v:
        for im in images:
            v.write(im)
    return path


def _write_vfr(path: Path, items: list[tuple[float, np.ndarray]]) -> Path:
    """An H.264 MP4 whose frames carry uneven timestamps (a phone's variable frame rate)."""
    import av

    h, w = items[0][1].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for t, im in items:
            frame = av.VideoFrame.from_ndarray(im, format="bgr24")
            frame.pts, frame.time_base = int(t * 1000), Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _analyse(path: Path, ex: Exercise):
    return analyze_source(open_source(path), ex).report


def _one_good_rep(report, hold: float, tolerance: float) -> None:
    assert report.summary.rep_count == 1, report.warnings
    rep = report.reps[0]
    assert abs(rep.hold_s - hold) <= tolerance, (rep.hold_s, hold)
    assert [f.code for f in rep.faults] == []


def test_mirrored_by_a_selfie_camera(clip, ex, tmp_path):
    frames, fps, hold = clip
    path = _write(tmp_path / "m.mp4", [cv2.flip(im, 1) for _, im in frames], fps)
    _one_good_rep(_analyse(path, ex), hold, 1.5)


def test_an_old_320x240_webcam(clip, ex, tmp_path):
    frames, fps, hold = clip
    small = [cv2.resize(im, (320, 240), interpolation=cv2.INTER_AREA) for _, im in frames]
    _one_good_rep(_analyse(_write(tmp_path / "w.mp4", small, fps), ex), hold, 1.5)


def test_a_variable_frame_rate_with_dropped_frames(clip, ex, tmp_path):
    frames, _, hold = clip
    uneven = [(t + 0.03 * np.sin(i), im) for i, (t, im) in enumerate(frames) if i % 5 != 2]
    _one_good_rep(_analyse(_write_vfr(tmp_path / "v.mp4", uneven), ex), hold, 1.5)


def test_someone_else_in_the_picture(clip, ex, tmp_path):
    frames, fps, hold = clip
    other = [f.image for f in VideoReader(RENDERED / f"{OTHER}.mp4")]
    wide = [np.hstack([im, other[min(i, len(other) - 1)]]) for i, (_, im) in enumerate(frames)]
    _one_good_rep(_analyse(_write(tmp_path / "two.mp4", wide, fps), ex), hold, 1.5)


def test_a_dim_room_is_judged_with_a_warning_and_no_smoothness_check(clip, ex, tmp_path):
    frames, fps, hold = clip
    rng = np.random.default_rng(0)
    dim = [np.clip(im * 0.25 + rng.normal(0, 4, im.shape), 0, 255).astype(np.uint8)
           for _, im in frames]  # fmt: skip
    report = _analyse(_write(tmp_path / "d.mp4", dim, fps), ex)
    assert any("dark" in w for w in report.warnings)
    assert any(s.check == "jerky_movement" and "dark" in s.reason for s in report.checks_skipped)
    _one_good_rep(report, hold, 3.0)
    bright = _analyse(_write(tmp_path / "b.mp4", [im for _, im in frames], fps), ex)
    assert not any("dark" in w for w in bright.warnings)  # the partner: light enough
    assert not any(s.check == "jerky_movement" for s in bright.checks_skipped)


def test_only_the_upper_body_in_view_is_judged_or_says_why_not(clip, ex, tmp_path):
    frames, fps, hold = clip
    h = frames[0][1].shape[0]
    top = [np.ascontiguousarray(im[: int(h * 0.62)]) for _, im in frames]  # cut at the hips
    report = _analyse(_write(tmp_path / "u.mp4", top, fps), ex)
    if report.summary.rep_count == 1:
        assert abs(report.reps[0].hold_s - hold) <= 1.5
    else:
        said = " ".join(report.warnings)
        assert "out of the picture" in said and "cut off by the edge of the picture" in said
        assert "turned" not in said and "off to one side" not in said  # no guessed reasons
