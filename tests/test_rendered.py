"""The rendered benchmark set: every truth file is valid and matches its clip and its poses,
the set covers what it must (bodies, styles, cameras, codecs, faults, 25+ non-stretch
movements), the two splits differ in performance style, and the accuracy benchmark over the
whole test split (from the kept poses, so it runs in a minute) meets floors at the targets."""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from backstretch.analysis.faults import HAND_RULES
from backstretch.analysis.judge import RestBaseline, arm_height
from backstretch.exercise import FAULT_CODES, builtin_exercise
from backstretch.pipeline import analyze_source, open_source
from backstretch.pose.replay import open_recording
from backstretch.pose.video import VideoReader
from studio.truth import ClipTruth

ROOT = Path(__file__).resolve().parent.parent
RENDERED = ROOT / "benchmarks" / "data" / "rendered"
TRUTHS = sorted(RENDERED.glob("*.truth.json"))


def load(p: Path) -> ClipTruth:
    return ClipTruth.model_validate_json(p.read_text())


@pytest.mark.parametrize("path", TRUTHS, ids=[p.name for p in TRUTHS])
def test_each_truth_file_is_valid_and_matches_its_clip(path):
    t = load(path)
    video = RENDERED / t.video
    assert video.exists() and path.name == f"{t.name}.truth.json"
    info = VideoReader(video).info
    assert (info.width, info.height) == (t.width, t.height)
    assert info.fps == pytest.approx(t.fps, rel=0.01)
    assert abs(info.frames - t.frames) <= 1
    rows = (RENDERED / f"{t.name}.csv").read_text().splitlines()
    assert len(rows) == t.frames + 1 and rows[0].startswith("t,phase,elevation")
    poses = open_recording(RENDERED / f"{t.name}.landmarks.jsonl.gz")
    assert abs(poses.info.frames - t.frames) <= 1
    assert (poses.info.width, poses.info.height) == (t.width, t.height)


def test_the_set_covers_bodies_styles_cameras_faults_and_movements():
    truths = [load(p) for p in TRUTHS]
    assert len(truths) >= 140
    assert len({json.dumps(t.body, sort_keys=True) for t in truths}) >= 8
    assert len({t.camera_yaw_deg for t in truths}) >= 10
    assert {t.camera["codec"] for t in truths} == {"h264", "mp4v", "vp9"}
    fps = {t.fps for t in truths}
    assert min(fps) <= 10 and max(fps) >= 60
    assert any(t.height > t.width and t.height >= 1920 for t in truths)  # a phone held upright
    assert any(t.width <= 320 for t in truths)  # an old webcam
    faults = Counter(c for t in truths for c in t.fault_codes)
    assert all(faults[c] >= 4 for c in FAULT_CODES if c not in HAND_RULES), faults
    moves = {t.movement for t in truths if t.kind == "non_stretch"}
    assert len(moves) >= 25
    heads = {t.style.get("head") for t in truths if t.kind == "stretch"}
    assert heads == {"bowed", "neutral", "tucked"}
    size = sum(p.stat().st_size for p in RENDERED.iterdir())
    # clips and their landmarks stay small enough to clone (114 MB with the holdout split)
    assert size <= 120 * 1024 * 1024


def test_the_splits_differ_in_style_and_bodies_not_only_in_camera():
    """Each split's ways of rounding the back and its bodies are its own (the holdout split,
    rendered after the thresholds were chosen, has neither the tune's nor the test's)."""
    truths = [load(p) for p in TRUTHS]
    splits = ("tune", "test", "holdout")
    fam = {s: {t.family for t in truths if t.split == s and t.kind == "stretch"} for s in splits}
    bodies = {s: {json.dumps(t.body, sort_keys=True) for t in truths if t.split == s}
              for s in splits}  # fmt: skip
    for a, b in (("tune", "test"), ("tune", "holdout"), ("test", "holdout")):
        assert fam[a] and fam[b] and not fam[a] & fam[b], (a, b)
        assert bodies[a] and bodies[b] and not bodies[a] & bodies[b], (a, b)


@pytest.mark.slow
def test_accuracy_on_the_test_split_meets_the_floors():
    """The whole test split through the analysis (from the kept poses): the floors sit at the
    issue's targets where they are met, and just under the measured value where not, so a
    regression fails here (the full tables: python benchmarks/accuracy.py)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "accuracy.py"), "--split", "test", "--json"],
        capture_output=True, text=True, timeout=1200, check=True,
    )  # fmt: skip
    res = json.loads(out.stdout)
    allg = res["groups"]["all"]
    assert allg["rep_exact_pct"] >= FLOORS["rep_exact_pct"]
    assert allg["completed_exact_pct"] >= FLOORS["completed_exact_pct"]
    assert allg["hold_mae_s"] <= FLOORS["hold_mae_s"]
    for body in ("eli", "fay", "hana"):  # the bodies the pose model follows well
        assert res["groups"][f"body:{body}"]["hold_mae_s"] <= FLOORS["hold_mae_s_good_bodies"]
    for code, f in res["faults"].items():
        assert f["f1"] >= FLOORS["f1"], (code, f)
    phantoms = {k for k, v in res["phantom_rendered"].items() if v}
    assert phantoms <= set(KNOWN_PHANTOMS), res["phantom_rendered"]
    assert sum(res["phantom_real"].values()) == 0, res["phantom_real"]


#: At the targets where met, just under the values measured where not (2026-12-07: rep
#: 100 %, completed 100 %, hold MAE 0.66 s, worst F1 0.80). The studio's child body gus
#: (0.84 m) stands and holds its hands in proportion to its size, so its clean sets are clean
#: in the truth; the model's poses of that body miss its hands apart at 50 deg.
FLOORS: dict = {"rep_exact_pct": 98.0, "completed_exact_pct": 95.0, "hold_mae_s": 1.0,
                "hold_mae_s_good_bodies": 1.0, "f1": 0.75}  # fmt: skip
#: Non-stretch clips that are known to count a repetition, and why (none since the envelope
#: sees the elbows held down by the sides: a phone or hands pressed together at the chest).
KNOWN_PHANTOMS: dict[str, str] = {}


def _report(clip: str):
    """The analysis of a rendered clip from its kept poses."""
    path = RENDERED / f"{clip}.landmarks.jsonl.gz"
    return analyze_source(open_source(path), builtin_exercise()).report


#: (clip, fault, flagged): the model's poses of real renders, each judged by the whole analysis.
#: A child's straight arms read 140-153 deg in the picture at the elbow (3-D: straight), and an
#: upright child turned 53-64 deg reads 8-15 deg of sideways lean; the real faults beside them
#: must still be found.
AGREEMENT = [
    ("test-clean-gus-25-6", "elbows_bent", False),
    ("test-clean-gus-40-10", "elbows_bent", False),
    ("test-elbows_bent-hana-60-1", "elbows_bent", True),  # 60 deg, bent to about 120
    ("tune-elbows_bent-ben-70-2", "elbows_bent", True),
    ("test-clean-gus-40-10", "trunk_leaning", False),
    ("test-stance_too_narrow-gus-50-2", "trunk_leaning", False),
    ("test-trunk_leaning-eli-40-0", "trunk_leaning", True),
    ("tune-trunk_leaning-ana-35-0", "trunk_leaning", True),
    # a wide stance turns the shoulders 25 deg in the stretch: across their line the trunk's
    # forward incline read 10-12 deg sideways; across the hips' line 7.7
    ("test-stance_too_wide-hana-25-1", "trunk_leaning", False),
    # the release's pace: a jerky hold at 24 fps whose jitter read a peak lowering speed of
    # 266 deg/s (over the old 240), and a fast release at 10 fps
    ("holdout-jerky_movement-kim-45-0", "release_too_fast", False),
    ("test-release_too_fast-eli-80-2", "release_too_fast", True),
    # hanging arms read 19-23 deg from the side on fay: the repetition still ends, and the
    # rest posture after it lets the rounding be judged
    ("test-no_rounding-fay-80-2", "no_rounding", True),
    ("test-clean-fay-75-5", "no_rounding", False),
    # the arms' height from the picture: chest-high arms on short, heavy and tall bodies are
    # not faulted (the 3-D reading made them too low or too high); real ones still are
    ("holdout-release_too_fast-jun-10-0", "arms_too_low", False),
    ("holdout-stance_too_narrow-lou-10-0", "arms_too_low", False),
    ("holdout-clean-kim-10-2", "arms_too_high", False),
    ("test-trunk_leaning-eli-40-0", "arms_too_high", False),
    ("holdout-arms_too_low-lou-50-1", "arms_too_low", True),
    ("test-arms_too_low-eli-15-0", "arms_too_low", True),
    ("holdout-arms_too_high-kim-30-0", "arms_too_high", True),
    ("test-arms_too_high-hana-15-0", "arms_too_high", True),
    # the feet's gap from the picture, undone for the turn: a wide stance at 45 deg that the
    # 3-D ankles read 1.16 (limit 1.38), and shoulder-width feet turned far (59-63 deg)
    ("holdout-stance_too_wide-kim-30-1", "stance_too_wide", True),
    ("tune-stance_too_wide-ben-45-2", "stance_too_wide", True),
    ("test-clean-gus-40-10", "stance_too_wide", False),
    ("tune-arms_too_low-cleo-60-1", "stance_too_wide", False),
    ("test-stance_too_narrow-eli-25-1", "stance_too_narrow", True),
    ("holdout-clean-kim-10-2", "stance_too_narrow", False),
    # the rounding undone for the turn read at rest, not in the stretch: the real straight
    # backs are still found (35-55 deg, where the two turns differ most) ...
    ("tune-no_rounding-ben-35-0", "no_rounding", True),
    ("holdout-no_rounding-ivo-40-0", "no_rounding", True),
    ("test-no_rounding-fay-50-0", "no_rounding", True),
    ("test-no_rounding-hana-55-1", "no_rounding", True),
    # ... and wide stances filmed at 15 and 25 deg, read turned 38-41 deg in the stretch and
    # 7-14 at rest, are not given a straight back (they are seen from the front)
    ("test-stance_too_wide-fay-15-0", "no_rounding", False),
    ("test-stance_too_wide-hana-25-1", "no_rounding", False),
]


@pytest.mark.parametrize(
    ("clip", "code", "flagged"), AGREEMENT, ids=[f"{c}:{f}" for c, f, _ in AGREEMENT]
)
def test_picture_readings_fault_only_where_the_view_can_trust_them(clip, code, flagged):
    report = _report(clip)
    assert report.reps, clip
    found = any(f.code == code for rep in report.reps for f in rep.faults)
    assert found == flagged, [(f.code, f.confidence) for rep in report.reps for f in rep.faults]


#: Clips whose arms' height is read from the picture against the arms' length at rest, in
#: the frames the truth holds the stretch position: bodies, styles and views (front, oblique,
#: side), faulty heights included. Measured: within 1-5 deg from the side and at an angle
#: (11 on arms held high from the side), 7-14 from the front; the pose model's 3-D arm read
#: 4-26 deg low on the same frames. (Seen head-on, hands far over the shoulders read 15-20 deg
#: off either way: 124 as 140 on hana, 126 as 105 on dev.)
ARM_HEIGHTS = [
    "tune-clean-cleo-15-6",  # front
    "holdout-arms_too_high-ivo-45-1",  # oblique, hands over the shoulders
    "holdout-release_too_fast-jun-10-0",  # front, a short body: 3-D read 53 for 78.5
    "holdout-stance_too_narrow-lou-10-0",  # front, a heavy body: 3-D read 59 for 73.5
    "test-arms_too_low-eli-75-2",  # side, hands at the belly
    "tune-arms_too_high-dev-90-2",  # side
    "test-clean-hana-75-7",  # side
    "holdout-arms_too_low-lou-50-1",  # oblique
    "test-clean-eli-5-0",  # front
]


@pytest.mark.parametrize("clip", ARM_HEIGHTS)
def test_the_arms_height_is_read_from_the_picture_closer_than_in_3d(clip):
    analysis = analyze_source(
        open_source(RENDERED / f"{clip}.landmarks.jsonl.gz"), builtin_exercise()
    )
    f = analysis.features
    with (RENDERED / f"{clip}.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    t = np.array([float(r["t"]) for r in rows])
    truth = np.interp(f.t, t, [float(r["elevation"]) for r in rows])
    phase = np.array([r["phase"] for r in rows])[np.clip(np.searchsorted(t, f.t), 0, len(t) - 1)]
    held = phase == "position"
    assert held.sum() >= 20
    true = float(np.median(truth[held]))
    picture = float(np.nanmedian(f.arm_height[held]))
    in_3d = float(np.nanmedian(f.elevation[held]))
    assert abs(picture - true) < abs(in_3d - true), (picture, in_3d, true)
    assert abs(picture - true) <= 15.0, (picture, true)


def test_a_rest_arm_that_looked_short_is_not_trusted():
    """A rest posture whose arm looked short (it hung bent): from the side the held arm
    (here at belly height, where a short length reads far too low) is seen at its full
    length, so the reading holds."""
    f = analyze_source(
        open_source(RENDERED / "test-arms_too_low-eli-75-2.landmarks.jsonl.gz"), builtin_exercise()
    ).features
    rest = np.nan_to_num(f.elevation, nan=90.0) < 24.0
    good, short = RestBaseline(keep=len(f)), RestBaseline(keep=len(f))
    good.observe_all(f, rest)
    bent = dataclasses.replace(
        f, left_arm_2d=f.left_arm_2d * 0.7, right_arm_2d=f.right_arm_2d * 0.7
    )
    short.observe_all(bent, rest)
    held = np.nan_to_num(f.elevation) > 45.0  # hands at the belly (57 deg), from the side
    assert held.sum() >= 20
    right, wrong = arm_height(f, good)[held], arm_height(f, short)[held]
    assert 50.0 < np.nanmedian(right) < 62.0
    assert abs(np.nanmedian(wrong) - np.nanmedian(right)) < 3.0


@pytest.mark.parametrize(
    ("clip", "low"),
    [("holdout-release_too_fast-jun-10-0", False), ("test-arms_too_low-eli-15-0", True)],
)
def test_the_live_coach_reads_the_arms_height_as_the_offline_analysis_does(clip, low):
    """Chest-high arms of a short body seen from the front (the 3-D arm read 53 deg for 78)
    and hands at the belly: the live coach, fed the same poses, agrees with the analysis."""
    for reps in (_report(clip).reps, _live(clip).reps):
        assert len(reps) == 1
        assert any(f.code == "arms_too_low" for f in reps[0].faults) == low


def test_the_live_coach_reads_a_far_turned_stance_as_the_offline_analysis_does():
    """A child turned 59 deg: over the live window's 2.5 s the turn's estimate wanders, and
    undoing it fully made its shoulder-width feet a wide stance live (not offline)."""
    for reps in (_report("test-clean-gus-40-10").reps, _live("test-clean-gus-40-10").reps):
        assert len(reps) == 2
        assert not any(f.code == "stance_too_wide" for r in reps for f in r.faults)


def test_the_rounding_is_undone_for_the_turn_at_rest_offline_and_live():
    """A child turned 40 deg, read turned further with its arms forward: undoing the
    shoulders' travel for that turn read its rounding weakly and paused both holds 3.6-4.2 s.
    With the turn read at rest both holds are within 1.5 s of the truth (live, the second
    still loses 5 s to short pauses, as before). A wide stance filmed at 15 deg, read turned
    38 deg in the stretch and 7 at rest, is not judged for the rounding, offline or live."""
    truth = load(RENDERED / "test-clean-gus-40-10.truth.json")
    reps = _report("test-clean-gus-40-10").reps
    assert len(reps) == len(truth.reps) == 2
    for got, want in zip(reps, truth.reps, strict=True):
        assert abs(got.hold_s - want.hold_s) <= 1.5, (got.hold_s, want.hold_s)
    skipped = {c.check: c.reason for c in _report("test-stance_too_wide-fay-15-0").checks_skipped}
    assert "turned only 7 deg" in skipped["no_rounding"], skipped
    live = {c.check: c.reason for c in _live("test-stance_too_wide-fay-15-0").checks_skipped}
    assert "standing at rest the body was turned only" in live["no_rounding"], live


def _live(clip: str):
    """The live coach's summary of a rendered clip, fed its kept poses frame by frame."""
    from backstretch.session import LiveSession

    src = open_source(RENDERED / f"{clip}.landmarks.jsonl.gz")
    live = LiveSession(builtin_exercise(), src.info.width, src.info.height)
    for frame in src.frames:
        if live.started_t is None:
            live.start(frame.t)
        live.push(frame)
    return live.stop()


#: (clip, the repetition's faults, or None for no repetition): the envelope's "one thing
#: wrong with the arms" reads the hands' height as arms_too_low does, from the picture. A
#: child's chest-high hands held apart, which the 3-D arm read at 54-58 deg (low, so two
#: things wrong), are one faulty repetition; carrying a box at the chest (low, bent and
#: apart) is still none, in every split.
ONE_THING_WRONG = [
    ("test-hands_apart-gus-10-0", {"hands_apart"}),
    ("test-hands_apart-eli-30-1", {"hands_apart"}),
    ("tune-move-carry_box-ben-45", None),
    ("test-move-carry_box-gus-50", None),
    ("holdout-move-carry_box-lou-15", None),
]


@pytest.mark.parametrize(("clip", "faults"), ONE_THING_WRONG, ids=[c for c, _ in ONE_THING_WRONG])
def test_the_envelope_reads_the_hands_height_as_the_fault_does(clip, faults):
    for reps in (_report(clip).reps, _live(clip).reps):
        if faults is None:
            assert reps == []
        else:
            assert len(reps) == 1
            assert faults <= {f.code for f in reps[0].faults}, reps[0].faults


def test_arms_that_never_come_up_are_said_so_and_a_low_repetition_is_still_counted():
    """Hands kept by the hips (the picture reads them at most 20 deg from hanging; an upright
    phone, from the front): no repetition, and the report says how high the arms got. Hands
    at belly height beside it are a repetition with arms_too_low, and no such warning."""
    low = _report("holdout-arms_too_low-jun-15-0")
    assert low.reps == []
    said = [w for w in low.warnings if "never came up" in w]
    assert said and 10 <= int(said[0].split("at most about ")[1].split(" deg")[0]) <= 30
    belly = _report("test-arms_too_low-eli-15-0")
    assert len(belly.reps) == 1 and "arms_too_low" in {f.code for f in belly.reps[0].faults}
    assert not [w for w in belly.warnings if "never came up" in w]


#: (clip, repetitions): a child filmed from the front, whose hips the model guesses 0.48 torso
#: lengths forward of its feet (forward-back lies along the line of sight there), still counts;
#: whole-body leans against a wall, seen from the side, still do not.
LEANS = [
    ("test-stance_too_narrow-gus-5-0", 1),
    ("tune-move-wall_lean-ben-65", 0),
    ("test-move-wall_push-fay-55", 0),
    ("tune-move-wall_push-ana-80", 0),
]


@pytest.mark.parametrize(("clip", "reps"), LEANS, ids=[c for c, _ in LEANS])
def test_a_whole_body_lean_is_judged_only_where_the_view_shows_it(clip, reps):
    report = _report(clip)
    assert report.summary.rep_count == reps, report.summary


#: (clip, flagged) live: a fast release at 10 fps, which the live coach's peak speed (a slope
#: over 0.25 s) missed, and a slow one by a person 69 px tall (the report refuses so small a
#: person; the live coach judges it), whose pose drops in 0.34 s at the end of a 1.9 s
#: release (its fall reads 0.20 s, the slowest of tune's live ones).
LIVE_RELEASES = [("test-release_too_fast-eli-80-2", True), ("tune-clean-dev-60-7", False)]


@pytest.mark.parametrize(("clip", "flagged"), LIVE_RELEASES, ids=[c for c, _ in LIVE_RELEASES])
def test_the_live_coach_times_the_release(clip, flagged):
    reps = _live(clip).reps
    codes = {f.code for r in reps for f in r.faults}
    assert len(reps) == 1 and ("release_too_fast" in codes) is flagged, codes
