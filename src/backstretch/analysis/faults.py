"""Form-fault rules: which frames break which rule, and which checks a view cannot make.

Frame rules (a condition on each frame in the stretch position) stop the hold timer while
they hold; event rules (release pace, jerkiness, hold length) judge a repetition as a whole.
Each rule says in its exercise definition in which camera views it is valid.
"""

from __future__ import annotations

import numpy as np

from backstretch.analysis.model import Fault, SkippedCheck
from backstretch.exercise.schema import Exercise, HandRule, View
from backstretch.signal.features import Features

FRAME_RULES = (
    "elbows_bent",
    "arms_too_low",
    "arms_too_high",
    "hands_apart",
    "no_rounding",
    "stance_too_narrow",
    "stance_too_wide",
    "trunk_leaning",
    "fingers_not_linked",
    "palms_not_away",
)
#: The checks made from the hand model's readings (not from the body's landmarks).
HAND_RULES = ("fingers_not_linked", "palms_not_away")
EVENT_RULES = ("hold_too_short", "release_too_fast", "jerky_movement")

NEEDS = {
    "elbows_bent": ("straightness", "shoulders, elbows and wrists"),
    # (a check is made where the 3-D arm is seen; a frame is judged where ``arm_height`` has
    # a value, which also needs an arm's length at rest: judge.skip_without_rest)
    "arms_too_low": ("elevation", "shoulders and wrists"),
    "arms_too_high": ("elevation", "shoulders and wrists"),
    "hands_apart": ("hands_gap_2d", "wrists"),
    "no_rounding": ("shoulders_offset_2d", "shoulders and hips"),
    "stance_too_narrow": ("stance", "ankles"),
    "stance_too_wide": ("stance", "ankles"),
    "trunk_leaning": ("trunk_forward", "shoulders and hips"),
    "release_too_fast": ("elevation", "shoulders and wrists"),
    "jerky_movement": ("shake", "wrists"),
    "fingers_not_linked": ("fingers_across", "fingers (read by the hand model)"),
    "palms_not_away": ("palm_away", "palms (read by the hand model)"),
}

_WHY_NOT = {
    "front": "seen from the front, this happens towards the camera and cannot be measured",
    "side": "seen from the side, this lies along the line of sight and cannot be measured",
    "oblique": "this view cannot measure it",
}


def camera_view(yaw: np.ndarray, ex: Exercise) -> tuple[View, float | None]:
    """The camera view from body yaws (deg; NaN ignored) and their median, if any."""
    finite = yaw[np.isfinite(yaw)]
    if finite.size == 0:
        return "oblique", None
    y = float(np.median(finite))
    if y <= ex.view.front_max_deg:
        return "front", round(y, 1)
    return ("side" if y >= ex.view.side_min_deg else "oblique"), round(y, 1)


def fault_record(
    ex: Exercise, code: str, start: float, end: float, confidence: float = 1.0
) -> Fault:
    """A reported fault with its message and tip from the exercise definition."""
    rule = ex.faults.rule(code)
    return Fault(
        code=code,
        start_s=round(start, 2),
        end_s=round(end, 2),
        message=rule.message,
        tip=ex.tips[rule.tip],
        confidence=round(float(min(max(confidence, 0.0), 1.0)), 2),
    )


def _lt(x: np.ndarray, limit: float) -> np.ndarray:
    """``x < limit`` per frame; a NaN (not seen) is never below a limit."""
    return np.less(x, limit)


def _gt(x: np.ndarray, limit: float) -> np.ndarray:
    """``x > limit`` per frame; a NaN (not seen) is never above a limit."""
    return np.greater(x, limit)


def _hand_rule(ex: Exercise, code: str) -> HandRule:
    rule = ex.faults.rule(code)
    assert isinstance(rule, HandRule), code
    return rule


def _hands_judged(f: Features, rule: HandRule) -> np.ndarray:
    """Frames where a hand check can be made: the hands read, big enough in the picture, and
    the body turned little enough that one hand does not hide the other."""
    return np.greater_equal(f.hand_px, rule.min_hand_px) & ~_gt(f.yaw, rule.max_yaw_deg)


def frame_seen(
    f: Features, rounding: np.ndarray, active: set[str], ex: Exercise
) -> dict[str, np.ndarray]:
    """Per-frame True where a frame rule's measure has a value (the check can be made)."""
    out = {}
    for code in active & set(FRAME_RULES):
        if code == "no_rounding":
            x = rounding
        elif code in ("arms_too_low", "arms_too_high"):
            x = np.asarray(f.arm_height)
        else:
            x = np.asarray(getattr(f, NEEDS[code][0]))
        out[code] = np.isfinite(x)
        if code in HAND_RULES:
            out[code] &= _hands_judged(f, _hand_rule(ex, code))
    return out


def frame_flags(
    f: Features, ex: Exercise, view: View, rounding: np.ndarray, active: set[str]
) -> dict[str, np.ndarray]:
    """Per-frame True where a rule is broken (NaN measures never break a rule)."""
    r = ex.faults
    flags: dict[str, np.ndarray] = {}
    if "elbows_bent" in active:
        eb = r.elbows_bent
        bent = _lt(f.straightness, eb.straightness_min)
        if view != "front":  # the arm across the line of sight: its bend is in the picture
            seen = ~_lt(f.arm_2d_length, eb.min_2d_length) & ~_lt(f.yaw, eb.angle_2d_min_yaw_deg)
            short = _lt(f.straightness, eb.angle_2d_max_straightness)  # the 3-D reading agrees
            bent |= seen & short & _lt(f.elbow_2d, eb.angle_2d_min_deg)
        flags["elbows_bent"] = bent
    if "arms_too_low" in active:
        flags["arms_too_low"] = _lt(f.arm_height, r.arms_too_low.min_deg)
    if "arms_too_high" in active:
        flags["arms_too_high"] = _gt(f.arm_height, r.arms_too_high.max_deg)
    if "hands_apart" in active:
        flags["hands_apart"] = _gt(f.hands_gap_2d, r.hands_apart.max_gap)
    if "no_rounding" in active:
        flags["no_rounding"] = _lt(rounding, r.no_rounding.min_score)
    if "stance_too_narrow" in active:
        flags["stance_too_narrow"] = _lt(f.stance, r.stance_too_narrow.min_width)
    if "stance_too_wide" in active:
        flags["stance_too_wide"] = _gt(f.stance, r.stance_too_wide.max_width)
    if "trunk_leaning" in active:
        tl = r.trunk_leaning
        lean = np.zeros(len(f), dtype=bool)
        if view != "front":  # forward/backward lean is in the picture from the side
            lean |= _gt(f.trunk_forward, tl.max_forward_deg)
            lean |= _lt(f.trunk_forward, -tl.max_backward_deg)
        if view != "side":  # sideways lean is in the picture from the front
            across = ~_gt(f.yaw, tl.sideways_max_yaw_deg)  # left-right is across the picture
            lean |= across & _gt(f.trunk_sideways, tl.max_sideways_deg)
        flags["trunk_leaning"] = lean
    if "fingers_not_linked" in active:
        fl = r.fingers_not_linked
        flags["fingers_not_linked"] = _lt(f.fingers_across, fl.min_across) & _hands_judged(f, fl)
    if "palms_not_away" in active:
        pa = r.palms_not_away
        flags["palms_not_away"] = _lt(f.palm_away, pa.min_away) & _hands_judged(f, pa)
    return flags


def _why_no_hands(f: Features, rule: HandRule) -> str | None:
    """Why a recording's hands cannot be judged at all (None: they can be, somewhere)."""
    yaw = f.yaw[np.isfinite(f.yaw)]
    if yaw.size and float(np.median(yaw)) > rule.max_yaw_deg:
        return (
            f"the body is turned {float(np.median(yaw)):.0f} deg from the camera: beyond "
            f"{rule.max_yaw_deg:.0f} deg one hand hides the other; to have the grip checked, "
            "turn the camera about 35 deg from your front (the back's rounding is still seen there)"
        )
    px = f.hand_px[np.isfinite(f.hand_px)]
    if px.size == 0:
        return (
            "the hands were not read: the hand model reads them in the pictures (landmarks "
            "alone, from a recording or from pose found in the browser, carry only the body)"
        )
    if float(np.median(px)) < rule.min_hand_px:
        return (
            f"the hands are only {int(np.median(px))} pixels long in the picture; at "
            f"least {rule.min_hand_px:.0f} are needed. Film closer or at a higher resolution."
        )
    if not np.isfinite(f.palm_away).any():
        return "the hand model found no hand in the pictures (hands hidden or blurred)"
    return None


def active_checks(
    ex: Exercise, view: View, f: Features, brightness: float | None = None
) -> tuple[set[str], list[SkippedCheck]]:
    """The rules this recording can judge, and why the others are skipped (``brightness``:
    the pictures' median brightness, 0-1, when known)."""
    active: set[str] = {"hold_too_short"}
    skipped: list[SkippedCheck] = []
    for code in (*FRAME_RULES, *EVENT_RULES[1:]):
        rule = ex.faults.rule(code)
        if view not in rule.views:
            why = (f"{_WHY_NOT[view]}; a camera at about 45 deg can" if code not in HAND_RULES
                   else "seen from the side, one hand hides the other; to have the grip "
                   "checked, turn the camera about 35 deg from your front")  # fmt: skip
            skipped.append(SkippedCheck(check=code, reason=why))
            continue
        if code in HAND_RULES:
            reason = _why_no_hands(f, _hand_rule(ex, code))
            if reason is not None:
                skipped.append(SkippedCheck(check=code, reason=reason))
                continue
        if code == "jerky_movement" and f.fps < ex.faults.jerky_movement.min_fps:
            reason = f"the frame rate ({f.fps:.0f} fps) is too low to see quick jerks"
            skipped.append(SkippedCheck(check=code, reason=reason))
            continue
        if (
            code == "jerky_movement"
            and brightness is not None
            and (brightness < ex.live.min_brightness)
        ):
            reason = (
                f"the picture is too dark (brightness {brightness:.0%}) to tell a jerk from the "
                "pose model's own shaking in low light"
            )
            skipped.append(SkippedCheck(check=code, reason=reason))
            continue
        attr, parts = NEEDS[code]
        values = np.asarray(getattr(f, attr))[f.detected]
        if values.size == 0 or np.isnan(values).all():
            # (the rounding's turn at rest is judged with its rest posture:
            # judge.skip_without_rest)
            skipped.append(SkippedCheck(check=code, reason=f"the {parts} were not seen"))
            continue
        active.add(code)
    return active, skipped
