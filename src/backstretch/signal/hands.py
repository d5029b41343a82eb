"""Hand measures (issue 11): where the palms face and where the fingers point, against the
body's own axes, from the hand model's readings (:class:`~backstretch.types.HandReading`).

Linked fingers with the palms turned away show as both hands pointing across, towards each
other, palms out of the body's front; hands side by side, together or apart, point forward
with the palms facing each other; fists and palms facing the body have their own signs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backstretch.signal.features import Features
from backstretch.types import FloatArray, HandReading


@dataclass
class HandMeasures:
    """Per hand reading (arrays of shape (N,)); NaN where no hand was found."""

    t: FloatArray
    palm_away: FloatArray  # palm normal . body forward, mean of the hands found (+1: away)
    fingers_across: FloatArray  # finger direction . towards the other hand, mean (+1: across)
    hands_found: FloatArray  # 0, 1 or 2
    hand_px: FloatArray  # the hands' length in the picture, pixels

    def __len__(self) -> int:
        return len(self.t)


def hand_measures(f: Features, readings: Sequence[HandReading]) -> HandMeasures:
    """Each reading against the body's axes in the nearest frame of ``f``."""
    n = len(readings)
    t = np.array([r.t for r in readings], dtype=np.float64)
    if not n or not len(f):
        nan = np.full(n, np.nan)
        return HandMeasures(t, nan, nan.copy(), np.zeros(n), nan.copy())
    i = np.clip(np.searchsorted(f.t, t), 0, len(f) - 1)
    palm = np.stack([r.palm for r in readings])  # (N, 2, 3)
    along = np.stack([r.along for r in readings])
    fwd = f.forward[i][:, None, :]  # (N, 1, 3)
    inward = np.stack([-f.left[i], f.left[i]], axis=1)  # the left hand's inward is rightward
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no hand found: NaN, as meant
        away = np.nanmean(np.sum(palm * fwd, axis=2), axis=1)
        across = np.nanmean(np.sum(along * inward, axis=2), axis=1)
    found = np.array([float((r.score > 0).sum()) for r in readings])
    px = np.array([r.hand_px for r in readings], dtype=np.float64)
    return HandMeasures(t, away, across, found, px)


#: A hand reading stands for the frames this close to it (s): readings come once a second.
READING_SPAN_S = 1.0
#: Readings are smoothed by a running median over this many (about 3 s): a grip is held for
#: the whole stretch, and a reading that flips for a moment is the model losing which hand is
#: which when one hides the other (test-split clip hands-test-interlaced_palms_away-fay-25:
#: two readings in 17 flipped the palm's sign, at two a second).
MEDIAN_READINGS = 3


def _running_median(x: FloatArray, n: int) -> FloatArray:
    """The median of the finite values among the ``n`` readings around each (NaN: none)."""
    out = np.full(len(x), np.nan)
    h = n // 2
    for i in range(len(x)):
        w = x[max(0, i - h) : i + h + 1]
        w = w[np.isfinite(w)]
        if w.size:
            out[i] = float(np.median(w))
    return out


def attach_hands(f: Features, readings: Sequence[HandReading]) -> None:
    """Fill ``f``'s hand measures from the readings: each frame takes the nearest reading
    within ``READING_SPAN_S`` (NaN where none is that near, or it found no hand)."""
    m = hand_measures(f, readings)
    if not len(m) or not len(f):
        return
    k = np.clip(np.searchsorted(m.t, f.t), 1, max(len(m) - 1, 1))
    before, after = np.maximum(k - 1, 0), np.minimum(k, len(m) - 1)
    nearest = np.where(np.abs(m.t[before] - f.t) <= np.abs(m.t[after] - f.t), before, after)
    near = np.abs(m.t[nearest] - f.t) <= READING_SPAN_S
    for name in ("palm_away", "fingers_across", "hand_px"):
        v = getattr(m, name)
        if name != "hand_px":
            v = np.where(np.isfinite(v), _running_median(v, MEDIAN_READINGS), np.nan)
        v = v[nearest]
        setattr(f, name, np.where(near, v, np.nan))
