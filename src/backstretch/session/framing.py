"""Is the person framed well enough to be coached? Whole body in the picture, a sensible
distance, enough light. Works on one frame's picture landmarks (0-1 coordinates)."""

from __future__ import annotations

import numpy as np

from backstretch.exercise.schema import Exercise
from backstretch.types import Landmark, PoseFrame

L = Landmark
_HEAD = (L.NOSE, L.LEFT_EYE, L.RIGHT_EYE)
_BODY = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
_FEET = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL)
_WHOLE = [int(p) for p in (*_HEAD, *_BODY, *_FEET)]


def framing_problems(frame: PoseFrame, ex: Exercise, brightness: float | None) -> list[str]:
    """The framing problems (keys of ``ex.live.say``), most basic first; [] when all is well."""
    lv = ex.live
    problems: list[str] = []
    if brightness is not None and brightness < lv.min_brightness:
        problems.append("too_dark")
    if frame.image is None or frame.visibility is None:
        return ["no_person", *problems]
    xy = frame.image[:, :2]
    m = lv.edge_margin
    inside = np.all((xy > m) & (xy < 1.0 - m), axis=1)
    seen = (frame.visibility >= ex.detection.min_visibility) & inside
    if not seen[_WHOLE].all():
        problems.append("not_whole_body")
    top = float(np.min(xy[[int(p) for p in _HEAD], 1]))
    bottom = float(np.max(xy[[int(p) for p in _FEET], 1]))
    height = bottom - top
    if height > lv.body_max_height:
        problems.append("too_close")
    elif height < lv.body_min_height and "not_whole_body" not in problems:
        problems.append("too_far")
    return problems
