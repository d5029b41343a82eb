"""Exercise definitions: the built-in one, and bad files refused with clear messages."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from backstretch.errors import ExerciseDefinitionError
from backstretch.exercise import FAULT_CODES, load_exercise, parse_exercise

BUILTIN = (
    resources.files("backstretch.exercise") / "definitions" / "back_stretch.toml"
).read_text()


def test_builtin_is_valid_and_complete(ex):
    assert ex.id == "back-stretch"
    assert ex.targets.hold_s == 15 and ex.targets.reps_min == 2 and ex.targets.reps_max == 3
    for code in FAULT_CODES:
        rule = ex.faults.rule(code)
        assert rule.message and ex.tip_for(code)
    assert "pain" in ex.tips and "warm_up" in ex.tips


def test_every_threshold_line_is_commented():
    for line in BUILTIN.splitlines():
        if "=" in line and line.split("=")[1].strip()[:1].isdigit() and "#" not in line:
            pytest.fail(f"threshold without a reason: {line}")


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda s: s.replace("[targets]", "[targets]\ncolour = 1"), "targets.colour: unknown key"),
        (lambda s: s.replace("hold_s = 15.0", 'hold_s = "long"'), "targets.hold_s"),
        (lambda s: s.replace("reps_min = 2", "reps_min = 2.5"), "targets.reps_min"),
        (lambda s: s.replace('tip = "smooth"', 'tip = "nothing"', 1), "unknown tip"),
        (lambda s: s.replace("exit_deg = 24.0", "exit_deg = 70.0"), "hysteresis"),
        (lambda s: s + "\n[[[", "not valid TOML"),
        (lambda s: s.replace("[faults.no_rounding]", "[faults.no_roundin]"), "no_roundin"),
        (
            lambda s: s.replace(
                "angle_2d_max_straightness = 0.9", "angle_2d_max_straightness = 0.8"
            ),
            "angle_2d_max_straightness must be above straightness_min",
        ),
        (lambda s: s.replace("down_after_s = 2.0", "down_after_s = 0"), "down_after_s"),
        # an exercise written before the release was timed: what replaced the old key
        (
            lambda s: re.sub(r"min_fall_s = [0-9.]+", "max_speed_deg_s = 240.0", s),
            "give min_fall_s",
        ),
        (
            lambda s: re.sub(r"(?m)^judge_min_hz = [0-9.]+", "judge_min_hz = 50.0", s),
            "judge_min_hz must not be above judge_max_hz",
        ),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "float-for-int",
        "bad-tip",
        "hysteresis",
        "toml",
        "typo",
        "picture-angle-never-counts",
        "down-at-once",
        "release-speed-key",
        "judge-rates",
    ],
)
def test_bad_definitions_are_refused_with_the_reason(tmp_path, change, expect):
    bad = tmp_path / "bad.toml"
    bad.write_text(change(BUILTIN))
    with pytest.raises(ExerciseDefinitionError) as e:
        load_exercise(bad)
    assert str(bad) in str(e.value) and expect in str(e.value)


def test_a_custom_exercise_may_leave_out_how_a_busy_server_spares_itself(tmp_path):
    text = re.sub(r"(?m)^judge_(min_hz|busy_share) = .*$", "", BUILTIN)
    assert "judge_min_hz" not in text.split("[live]")[1].split("[")[0]
    path = tmp_path / "older.toml"
    path.write_text(text)
    live = load_exercise(path).live
    assert (live.judge_min_hz, live.judge_busy_share) == (4.0, 0.6)


def test_missing_file(tmp_path):
    with pytest.raises(ExerciseDefinitionError, match="not found"):
        load_exercise(tmp_path / "nope.toml")


def test_round_trip_of_the_builtin_text():
    assert parse_exercise(BUILTIN).faults.elbows_bent.straightness_min == pytest.approx(0.84)
