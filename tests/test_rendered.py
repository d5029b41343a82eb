"""The rendered benchmark set: every truth file is valid and matches its clip, the set covers
what it must, and the analysis of a few test clips stays above a floor well below the
targets (the full numbers come from benchmarks/accuracy.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from backstretch.exercise import FAULT_CODES
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


def test_the_set_covers_bodies_views_faults_and_movements():
    truths = [load(p) for p in TRUTHS]
    assert len(truths) >= 30
    assert len({json.dumps(t.body, sort_keys=True) for t in truths}) >= 4
    assert len({t.camera_yaw_deg for t in truths}) >= 5
    faults = Counter(c for t in truths for c in t.fault_codes)
    assert all(faults[c] >= 2 for c in FAULT_CODES), faults
    assert sum(t.kind == "non_stretch" for t in truths) >= 5
    assert {t.split for t in truths} == {"tune", "test"}
    size = sum(p.stat().st_size for p in RENDERED.iterdir())
    assert size <= 60 * 1024 * 1024


FEW = ["test-clean-cleo-20", "test-elbows_bent-ben-20", "test-move-squats_arms_forward-ben-45"]


@pytest.mark.slow
def test_accuracy_on_a_few_rendered_clips_stays_above_a_floor():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "accuracy.py"), "--split", "test", "--only",
         *FEW, "--no-real", "--json"],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    res = json.loads(out.stdout)
    clips = {c["name"]: c for c in res["clips"]}
    assert set(clips) == set(FEW)
    for name in FEW[:2]:
        assert clips[name]["reps"] == clips[name]["truth_reps"], clips[name]
    assert "elbows_bent" in clips["test-elbows_bent-ben-20"]["faults"]
    assert res["phantom_rendered"] == 0
    for view in res["views"].values():
        assert view["hold_mae_s"] is not None and view["hold_mae_s"] <= 3.0
