"""The hands (issue 11): fingers interlaced and palms turned away, read by MediaPipe Hands on
rendered clips of the hands set (``benchmarks/data/hands``: real pixels through the real
models), and the checks' abstentions."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from backstretch.analysis.faults import HAND_RULES
from backstretch.pipeline import analyze_source, open_source
from backstretch.pose.replay import open_recording
from backstretch.pose.synthetic import Camera, Performer, stretch_script
from backstretch.pose.video import VideoReader
from backstretch.types import PoseFrame
from studio.body import GRIP_FAULTS
from tests.builders import run

HANDS = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "hands"
CODES = HAND_RULES


def clip(grip: str, body: str, yaw: int, split: str = "test") -> Path:
    return HANDS / f"hands-{split}-{grip}-{body}-{yaw}.landmarks.jsonl.gz"


def _hand_faults(path: Path, ex) -> tuple[set[str], dict[str, str]]:
    r = analyze_source(open_source(path), ex).report
    assert r.summary.rep_count == 1, r.warnings
    return {f.code for f in r.reps[0].faults} & set(CODES), {
        c.check: c.reason for c in r.checks_skipped if c.check in CODES
    }


def test_the_hands_set_has_every_grip_in_every_view_on_bodies_of_both_splits():
    import json

    truths = [json.loads(p.read_text()) for p in HANDS.glob("*.truth.json")]
    cells = {(t["split"], t["style"]["grip"], t["camera_yaw_deg"]) for t in truths}
    for split in ("tune", "test"):
        for grip in GRIP_FAULTS:
            for yaw in (0, 25, 45, 70):
                assert (split, grip, yaw) in cells
    bodies = {s: {json.dumps(t["body"], sort_keys=True) for t in truths if t["split"] == s}
              for s in ("tune", "test")}  # fmt: skip
    assert len(bodies["tune"]) == len(bodies["test"]) == 2
    assert not bodies["tune"] & bodies["test"]
    for t in truths:  # the video and its poses (hand readings included) are kept beside
        assert (HANDS / t["video"]).stat().st_size > 0
        assert clip(t["style"]["grip"], "", 0).parent.joinpath(
            f"{t['name']}.landmarks.jsonl.gz").exists()  # fmt: skip
    size = sum(p.stat().st_size for p in HANDS.iterdir())
    assert size <= 40 * 1024 * 1024  # small enough to clone (31 MB measured)


def test_the_hand_model_reads_where_the_palms_face_on_real_pixels():
    """MediaPipe Hands on the video's own pictures: palms turned away read out of the body's
    front, palms turned towards the body the other way (the same body, camera and scene)."""
    from backstretch.pose.mediapipe_pose import MediaPipeHandReader

    reader = MediaPipeHandReader()
    faces = {}
    try:
        for grip in ("interlaced_palms_away", "interlaced_palms_body"):
            frames = open_recording(clip(grip, "eli", 0)).frames()
            held = [f for f in frames if f.hands is not None and (f.hands.score > 0).any()]
            want = held[len(held) // 2]  # a moment in the middle of the hold
            with VideoReader(HANDS / f"hands-test-{grip}-eli-0.mp4", rgb=True) as video:
                image = next(v.image for v in video if v.index == want.index)
            reading = reader.read(image, PoseFrame(want.index, want.t, want.image,
                                                   want.visibility, want.world))  # fmt: skip
            assert reading is not None and (reading.score > 0).any()
            faces[grip] = reading
    finally:
        reader.close()
    # the body faces the camera (-z): a palm turned away from the body faces the camera
    away = np.nanmean(faces["interlaced_palms_away"].palm[:, 2])
    body = np.nanmean(faces["interlaced_palms_body"].palm[:, 2])
    assert away < -0.5 < 0.5 < body, (away, body)


@pytest.mark.parametrize(("yaw", "least"), [(0, 15), (25, 10)])
def test_each_grip_gets_its_verdict_or_a_reason(ex, yaw, least):
    """Every test clip from the front and from a 25 deg turn: each hand check is judged or
    skipped with its reason. The right grip is judged fault-free on both bodies; where the
    palms are judged, the verdict is right; linked fingers are misjudged at most twice (pressed
    palms and palms towards the body are the hard grips: 2 of 17 measured from the front).
    ``least`` of the 20 checks (2 codes x 5 grips x 2 bodies) are judged (17 and 12 measured).
    """
    judged, wrong = 0, []
    for grip, want in GRIP_FAULTS.items():
        for body in ("eli", "fay"):
            found, skipped = _hand_faults(clip(grip, body, yaw), ex)
            for code in CODES:
                if code in skipped:
                    assert "not seen clearly" in skipped[code], skipped[code]
                    continue
                judged += 1
                if (code in found) != (code in want):
                    assert code == "fingers_not_linked", (grip, body, found)
                    wrong.append((grip, body))
            if grip == "interlaced_palms_away":
                assert not skipped and not found
    assert judged >= least, judged
    assert len(wrong) <= 2, wrong


@pytest.mark.parametrize("yaw", [45, 70])
def test_turned_further_the_hand_checks_are_skipped_with_the_reason(ex, yaw):
    for grip in GRIP_FAULTS:
        found, skipped = _hand_faults(clip(grip, "fay", yaw), ex)
        assert not found
        assert set(skipped) == set(CODES)
        assert all("one hand hides the other" in why for why in skipped.values()), skipped


def test_without_pictures_the_hand_checks_are_skipped_with_the_reason(ex):
    """Landmarks alone (a recording without hand readings, pose in the browser) cannot show the
    fingers: the checks say so, and the repetition still counts and holds."""
    analysis, _ = run(Performer(stretch_script(1, 17.0), camera=Camera(yaw=0.0), seed=3), ex)
    r = analysis.report
    assert r.summary.rep_count == 1 and r.reps[0].completed
    why = {c.check: c.reason for c in r.checks_skipped}
    for code in CODES:
        assert "not read" in why[code] and "pictures" in why[code]


def test_hands_too_small_in_the_picture_are_skipped_with_the_reason(ex, tmp_path):
    """The same clip filmed on an old 320x240 webcam: the hands are a few pixels long."""
    src = HANDS / "hands-test-fists-fay-0.mp4"
    small = tmp_path / "small.mp4"
    with VideoReader(src) as video:
        out = cv2.VideoWriter(str(small), cv2.VideoWriter_fourcc(*"mp4v"), video.info.fps,
                              (320, 240))  # fmt: skip
        for v in video:
            out.write(cv2.resize(v.image, (320, 240), interpolation=cv2.INTER_AREA))
        out.release()
    r = analyze_source(open_source(small, stride=1), ex).report
    assert r.summary.rep_count == 1
    why = {c.check: c.reason for c in r.checks_skipped}
    for code in CODES:
        assert "pixels long" in why[code], why.get(code)
    assert not {f.code for f in r.reps[0].faults} & set(CODES)


def _live(path: Path, ex):
    from backstretch.session import LiveSession

    src = open_source(path)
    session = LiveSession(ex, src.info.width, src.info.height)
    cues = set()
    for frame in src.frames:
        if session.started_t is None:
            session.start(frame.t)
        state = session.push(frame)
        if state.cue is not None:
            cues.add(state.cue.text)
    return session.stop(), cues


def test_the_live_coach_judges_the_hands_it_is_sent_and_says_so(ex):
    """Frames that carry hand readings (the server's own pose model, or a recording of it):
    the live coach gives the grip's faults as the offline analysis does, and says them."""
    fists, cues = _live(clip("fists", "eli", 0), ex)
    assert {f.code for r in fists.reps for f in r.faults} >= set(CODES)
    assert ex.faults.rule("fingers_not_linked").message in cues or (
        ex.faults.rule("palms_not_away").message in cues
    )
    right, cues = _live(clip("interlaced_palms_away", "fay", 0), ex)
    assert right.summary.rep_count == 1
    assert not {f.code for r in right.reps for f in r.faults} & set(CODES)
    assert not {c.check for c in right.checks_skipped} & set(CODES)
    side, _ = _live(clip("fists", "fay", 70), ex)
    why = {c.check: c.reason for c in side.checks_skipped}
    assert all("one hand hides the other" in why[c] for c in CODES), why


def test_the_html_report_shows_the_hand_faults_and_plots_the_hands(ex):
    from backstretch.report.html import render_html
    from backstretch.report.plots import measures_png

    fists = analyze_source(open_source(clip("fists", "eli", 0)), ex)
    page = render_html(fists, ex)
    for code in CODES:
        assert code in page and ex.faults.rule(code).message in page
    # two more panels (palms, fingers) than for the same body's landmarks without hand readings
    plain = analyze_source(open_source(clip("fists", "eli", 0)), ex)
    plain.features.palm_away[:] = np.nan
    tall = cv2.imdecode(np.frombuffer(measures_png(fists, ex), np.uint8), cv2.IMREAD_COLOR)
    short = cv2.imdecode(np.frombuffer(measures_png(plain, ex), np.uint8), cv2.IMREAD_COLOR)
    assert tall.shape[0] > short.shape[0] * 1.2
