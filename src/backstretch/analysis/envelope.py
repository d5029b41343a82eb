"""The stretch envelope: which frames show the stretch position at all.

One implementation for the offline analysis and the live coach: both pass their measures
(:class:`~backstretch.signal.features.Features`, whole recording or the live window) and get
per-frame answers. A frame is inside when every condition holds; a measure that is not seen
(NaN) does not vote, so a person filmed from the waist up is judged on what shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from backstretch.analysis.faults import _gt, _lt
from backstretch.exercise.schema import Envelope, Exercise
from backstretch.signal.features import Features


def _several_faults(f: Features, e: Envelope) -> np.ndarray:
    """A faulty but recognisable attempt gets one thing about the arms wrong, not two or
    more of: hands low (or the elbows down by the sides), elbows bent, hands apart (the fault
    limits are in the envelope). The hands' height is the one ``arms_too_low`` judges (the
    picture against the arms' length at rest); where no rest posture is known, the 3-D arm."""
    picture = np.asarray(f.arm_height, dtype=np.float64)
    low = np.where(
        np.isfinite(picture),
        _lt(picture, e.faulty_low_picture_deg),
        _lt(f.elevation, e.faulty_low_deg),
    ) | _lt(f.upper_arm_low, e.faulty_upper_arm_deg)
    wrong = (
        low.astype(int)
        + _lt(f.straightness, e.faulty_straightness)
        + (_gt(f.hands_gap, e.faulty_hands_gap) & ~_lt(f.hands_gap_2d, e.faulty_hands_gap))
    )
    return np.asarray(wrong >= 2)


Condition = Callable[[Features, Envelope], np.ndarray]

#: Each condition: True where the frame is outside the envelope, and what that means to a user.
CONDITIONS: dict[str, tuple[Condition, str]] = {
    "arms_low": (
        lambda f, e: _lt(f.elevation_low, e.min_deg),
        "the hands stayed below navel height",
    ),
    "arms_overhead": (
        lambda f, e: _gt(f.elevation_high, e.max_deg),
        "the arms went up overhead",
    ),
    "one_arm": (
        lambda f, e: _gt(f.elevation_high - f.elevation_low, e.max_arm_difference_deg),
        "one arm was up and the other was not",
    ),
    "arms_not_forward": (
        lambda f, e: _lt(f.arms_forward, e.min_arms_forward),
        "the arms were not in front of the body (out to the sides?)",
    ),
    "arms_folded": (
        lambda f, e: _lt(f.straightness, e.min_straightness),
        "the elbows were bent a lot (arms folded or holding something)",
    ),
    "hands_far_apart": (
        lambda f, e: _gt(f.hands_gap, e.max_hands_gap),
        "the hands were far apart",
    ),
    "arms_crossed": (
        lambda f, e: _lt(f.hands_order, -e.max_hands_crossed),
        "the arms were crossed",
    ),
    "several_faults": (
        lambda f, e: _several_faults(f, e),
        "two of these at once: hands low, elbows bent, hands apart (holding something?)",
    ),
    "hands_to_one_side": (
        lambda f, e: _gt(f.hands_off_centre, e.max_hands_off_centre),
        "the hands were off to one side",
    ),
    "not_standing": (
        lambda f, e: _lt(f.standing, e.standing_min) | _lt(f.knee_angle, e.min_knee_deg),
        "the knees were bent or the person was not standing",
    ),
    "body_leaning": (
        lambda f, e: _gt(np.abs(f.hips_over_feet), e.max_hips_over_feet),
        "the hips were well forward or back of the feet (leaning on a wall, or sitting back?)",
    ),
    "twisted": (
        lambda f, e: _gt(f.twist, e.max_twist_deg),
        "the upper body was turned",
    ),
    "arms_moving": (
        lambda f, e: (
            _gt(np.abs(f.elevation_trend), e.max_trend_deg_s)
            | _gt(f.elevation_spread, e.max_spread_deg)
            | _gt(f.gap_spread, e.max_gap_spread)
        ),
        "the arms kept moving instead of holding still",
    ),
}


def outside(f: Features, ex: Exercise) -> dict[str, np.ndarray]:
    """Per condition, the frames that break it."""
    return {name: cond(f, ex.envelope) for name, (cond, _) in CONDITIONS.items()}


def in_envelope(f: Features, ex: Exercise) -> np.ndarray:
    """True in the frames that may be the stretch position (the elevation band's lower edge
    is the phase machine's ``enter_deg``/``exit_deg`` hysteresis)."""
    broken = outside(f, ex)
    out = np.zeros(len(f), dtype=bool)
    for flags in broken.values():
        out |= flags
    return ~out


def why_not(f: Features, ex: Exercise, raised: np.ndarray) -> list[str]:
    """The reasons, most frequent first, that frames with the arms raised were not the stretch
    (for "no repetition found": say what was seen instead)."""
    if not raised.any():
        # the arms never came up: say how high they got (the picture's reading where a rest
        # posture gives one, else the 3-D arm), most of the time's highest
        height = np.where(np.isfinite(f.arm_height), f.arm_height, f.elevation)
        if not np.isfinite(height).any():
            return []
        peak = float(np.nanpercentile(height, 95))
        return [
            f"the arms never came up to the stretch position (at most about {peak:.0f} deg "
            "from hanging; the stretch holds them straight out in front at chest height, "
            "about 90 deg)"
        ]
    counts = Counter({name: int((flags & raised).sum()) for name, flags in outside(f, ex).items()})
    share = raised.sum()
    return [CONDITIONS[n][1] for n, c in counts.most_common() if c >= 0.25 * share]
