"""A person small in the picture (filmed from far away) is found by looking closer, and the
landmarks come back in the whole frame's coordinates. Real frames, real MediaPipe."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backstretch.pipeline import default_estimator
from backstretch.pose.mediapipe_pose import MediaPipePoseEstimator
from backstretch.pose.video import VideoReader

pytestmark = pytest.mark.slow

FRAME = 22  # pose_squats.mp4: the woman standing


@pytest.fixture(scope="module")
def person(data) -> np.ndarray:
    for vf in VideoReader(data / "pose_squats.mp4", rgb=True):
        if vf.index == FRAME:
            return vf.image
    raise AssertionError("frame not found")


def far_away(person: np.ndarray, height: int, at: tuple[int, int]) -> np.ndarray:
    """A 1280x720 grey room with the person pasted ``height`` pixels high at ``at``."""
    h, w = person.shape[:2]
    small = cv2.resize(person, (round(w * height / h), height), interpolation=cv2.INTER_AREA)
    room = np.full((720, 1280, 3), 118, np.uint8)
    x, y = at
    room[y : y + height, x : x + small.shape[1]] = small
    return room


def test_a_far_away_person_is_found_where_the_whole_frame_finds_nobody(person):
    close = MediaPipePoseEstimator(static_image_mode=True).process(person, 0.0, 0)
    assert close.image is not None
    x0, y0, height = 700, 380, 260  # a little over a third of the frame high, off-centre
    scale = height / person.shape[0]
    room = far_away(person, height, (x0, y0))
    whole = MediaPipePoseEstimator()
    zoom = default_estimator(hands=False)
    found_whole = found_zoom = 0
    for i in range(30):  # 3 s at 10 fps: the whole frame has the first second to itself
        t = i / 10
        found_whole += whole.process(room, t, i).detected
        f = zoom.process(room, t, i)
        if f.image is None:
            continue
        found_zoom += 1
        # where the close-up's landmarks land once pasted into the room, in room pixels
        expect = close.image[:, :2] * (person.shape[1], person.shape[0]) * scale + (x0, y0)
        got = f.image[:, :2] * (1280, 720)
        body = [11, 12, 23, 24, 25, 26]  # shoulders, hips, knees
        err = np.median(np.linalg.norm(got[body] - expect[body], axis=1))
        assert err < 0.05 * height, f"landmarks {err:.1f} px off"
    whole.close()
    assert zoom.crop is not None  # following the person in a crop
    zoom.close()
    assert found_whole == 0, "the whole-frame detector finds them: make the person smaller"
    assert found_zoom >= 18


def test_a_far_away_person_seen_from_the_side_is_found():
    """From the side the far shoulder, hip and ankle are hidden behind the body: a find counts
    when one of each pair is seen (a rendered clip, 6.7 m away, turned 75 deg, whom the whole
    frame never finds; it was refused as 'a person in only 8% of the frames')."""
    from backstretch.pose.video import VideoReader

    clip = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "rendered"
    whole = MediaPipePoseEstimator()
    zoom = default_estimator(hands=False)
    found_whole = found_zoom = 0
    for vf in VideoReader(clip / "holdout-clean-kim-75-6.mp4", rgb=True):
        if vf.index >= 40:  # 4 s at 10 fps
            break
        found_whole += whole.process(vf.image, vf.t, vf.index).detected
        found_zoom += zoom.process(vf.image, vf.t, vf.index).detected
    whole.close()
    assert zoom.crop is not None
    zoom.close()
    assert found_whole == 0, "the whole-frame detector finds them: pick a smaller person"
    assert found_zoom >= 25


def test_nobody_is_still_nobody_and_the_search_is_rate_limited():
    empty = np.full((720, 1280, 3), 118, np.uint8)
    zoom = default_estimator(hands=False)
    frames = [zoom.process(empty, i / 30, i) for i in range(90)]  # 3 s at 30 fps
    assert not any(f.detected for f in frames)
    assert zoom.searches == 2  # after the first second, then once a second, not once a frame
    zoom.close()


def test_a_person_who_fills_the_frame_costs_no_search(person):
    zoom = default_estimator(hands=False)
    assert all(zoom.process(person, i / 10, i).detected for i in range(5))
    assert zoom.searches == 0 and zoom.crop is None
    zoom.close()


def test_a_person_too_small_to_judge_is_refused_with_the_reason(ex):
    """Judging form needs pixels: a person under ``min_person_px`` from nose to ankle gets
    "move closer", and the same performance filmed nearer is judged."""
    from backstretch.errors import NoPersonError
    from backstretch.pose.synthetic import Camera, Performer, stretch_script
    from tests.builders import run

    far = Performer(stretch_script(1, 16.0), camera=Camera(distance=9.0, fps=10.0), seed=3)
    with pytest.raises(NoPersonError, match=r"only \d+ pixels tall.*Move the camera closer"):
        run(far, ex)
    near = Performer(stretch_script(1, 16.0), camera=Camera(distance=3.0, fps=10.0), seed=3)
    assert run(near, ex)[0].report.summary.rep_count == 1


def test_silencing_the_pose_models_from_two_threads_restores_stderr(person):
    """The native-log redirection is process-wide: two threads starting pose models at once
    must leave file descriptor 2 where it was."""
    import os
    import threading

    before = os.fstat(2)

    def work() -> None:
        est = default_estimator(hands=False)
        for i in range(3):
            est.process(person, i / 10, i)
        est.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
