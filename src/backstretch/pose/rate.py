"""Which video frames to pose: every one around a movement, a few while the person is still.

The pose model is the whole cost of an analysis, and the stretch is slow: most of a 20 s
hold and most of the rest between repetitions look the same frame after frame.
:func:`pose_adaptively` poses every frame it is given (the analysis rate, about 15 a second)
until the person has stood still for ``still_s``; then only one frame in ``coarse_every``.
When such a frame shows that something moved since the last posed one, the frames skipped in
between are posed too (they are kept decoded), and every frame is posed again until the
person is still again. So each movement is seen at the full rate from its first frame, and a
skipped frame is one between two posed frames that agree: its landmarks are interpolated.

Out comes one PoseFrame for every frame given, in order, so the analysis sees an evenly
sampled recording, as before (its filters and the jerkiness band need that); a
:class:`RateStats` counts the frames posed. It abstains towards posing: no person, a person
without a measurable torso, or a change in which points are visible all count as movement.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from backstretch.types import Landmark as L
from backstretch.types import PoseFrame, UInt8Array

#: The points whose movement decides: nose, shoulders, elbows, wrists, hips.
KEY_POINTS = (L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW,
              L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_HIP, L.RIGHT_HIP)  # fmt: skip
#: A key point moving less than this (torso lengths in the picture) counts as still. Between
#: two frames 0.2 s apart in a still hold, the pose model's own jitter moves the key points
#: 0.001-0.067 at the median (0.13 at most) on the rendered clean clips; a shake at the
#: jerky_movement limit (RMS 0.07) moves the hands 0.1 or more in that time, and the rounding
#: moves the shoulders 0.1 or more.
STILL_TOLERANCE = 0.05
#: The person must be still this long (seconds, all frames posed) before frames are skipped.
STILL_S = 0.6
#: While still, one frame in this many is posed (5 a second at the 15 fps analysis rate).
COARSE_EVERY = 3
#: Visibility above which a point is compared.
VISIBLE = 0.5

Pose = Callable[[UInt8Array, float, int], PoseFrame]


@dataclass
class RateStats:
    """How many of the frames given were posed (the rest were interpolated)."""

    frames: int = 0
    posed: int = 0


def _torso_px(f: PoseFrame, size: np.ndarray) -> float | None:
    assert f.image is not None and f.visibility is not None
    pts = f.image[:, :2] * size
    idx = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
    if (f.visibility[idx] < VISIBLE).any():
        return None  # only the upper body in view: no torso to measure by, so no skipping
    torso = float(np.linalg.norm(pts[idx[:2]].mean(0) - pts[idx[2:]].mean(0)))
    return torso if torso > 1.0 else None


def moved(a: PoseFrame, b: PoseFrame, size: np.ndarray, tolerance: float) -> bool:
    """Whether anything a check could need changed between two posed frames."""
    if a.image is None or b.image is None or a.visibility is None or b.visibility is None:
        return not (a.image is None and b.image is None)  # nobody in both: nothing moved
    keys = list(KEY_POINTS)
    seen_a, seen_b = a.visibility[keys] >= VISIBLE, b.visibility[keys] >= VISIBLE
    if (seen_a != seen_b).any():
        return True
    torso = _torso_px(a, size)
    if torso is None:
        return True
    seen = np.asarray(keys)[seen_a]
    shift = np.linalg.norm((a.image[seen, :2] - b.image[seen, :2]) * size, axis=1)
    return bool(shift.size == 0 or shift.max() > tolerance * torso)


def _between(a: PoseFrame, b: PoseFrame, index: int, t: float) -> PoseFrame:
    """The frame at ``t`` between two posed frames that agree (nobody in both: nobody)."""
    if a.image is None or b.image is None:
        return PoseFrame(index, t)
    w = (t - a.t) / (b.t - a.t) if b.t > a.t else 0.0

    def mix(x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
        return None if x is None or y is None else (1.0 - w) * x + w * y

    return PoseFrame(index, t, mix(a.image, b.image), mix(a.visibility, b.visibility),
                     mix(a.world, b.world))  # fmt: skip


def pose_adaptively(
    frames: Iterable[tuple[int, float, UInt8Array]],
    pose: Pose,
    width: int,
    height: int,
    *,
    stats: RateStats | None = None,
    still_s: float = STILL_S,
    coarse_every: int = COARSE_EVERY,
    tolerance: float = STILL_TOLERANCE,
) -> Iterator[PoseFrame]:
    """One PoseFrame per ``(index, t, image)`` given, posing only where it is needed."""
    st = stats if stats is not None else RateStats()
    size = np.array([width, height], dtype=np.float64)
    recent: deque[PoseFrame] = deque()  # posed frames of the last still_s, all posed
    last: PoseFrame | None = None
    pending: list[tuple[int, float, UInt8Array]] = []  # skipped since ``last``, kept decoded

    def posed(item: tuple[int, float, UInt8Array]) -> PoseFrame:
        st.posed += 1
        return pose(item[2], item[1], item[0])

    def is_still() -> bool:
        if not recent or recent[-1].t - recent[0].t < still_s:
            return False
        first = recent[0]
        return all(first.image is not None and not moved(first, f, size, tolerance) for f in recent)

    for item in frames:
        st.frames += 1
        if last is None or not is_still():
            last = posed(item)
            recent.append(last)
            while len(recent) > 1 and last.t - recent[1].t >= still_s:
                recent.popleft()
            yield last
            continue
        pending.append(item)
        if len(pending) < coarse_every:
            continue
        coarse = posed(pending[-1])
        if moved(last, coarse, size, tolerance):
            filled = [posed(it) for it in pending[:-1]]  # the movement from its first frame
            recent.clear()
            recent.extend([*filled, coarse])
        else:
            filled = [_between(last, coarse, i, t) for i, t, _ in pending[:-1]]
        yield from filled
        yield coarse
        last, pending = coarse, []
    for item in pending:  # the end of the video: pose what is left
        yield posed(item)
