"""Finding a person who is small in the picture: filmed from far away, or a wide camera.

BlazePose's person detector sees the whole frame shrunk to 224 x 224 pixels; a person a
quarter of the frame high is then about 55 pixels tall, and often not found at all. Its
landmark model is fine with them once it knows where to look. :class:`ZoomingEstimator`
wraps the tracking estimator: while the whole frame shows nobody, it looks (at most once a
second of video) in overlapping square crops of the frame, largest first, with a
single-picture estimator. When one of them holds a whole person, it follows that person in
a square crop around them, sized so that they fill most of it, with a fresh tracking
estimator, and maps the landmarks back to the whole frame. The crop moves (at most once a
second) only when the person nears its edge, and is dropped when the person is lost for a
second or has grown to fill the frame. (The whole frame can fail for a person of any size:
beside someone else, for one; so a crop is kept while it works.)

A person found in the whole frame costs nothing extra (the search starts only after a second
in which the whole frame showed nobody); the search costs at most 18 single-picture
detections a second while nobody is found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backstretch.pose.base import PoseEstimator
from backstretch.types import Landmark as L
from backstretch.types import PoseFrame, UInt8Array

#: Square crop sides (fractions of the frame's shorter side) tried, largest first, and the
#: crop centres (fractions of the frame) tried for each.
SEARCH_SIDES = (0.75, 0.6)
SEARCH_CENTRES = tuple((cx, cy) for cy in (0.5, 0.35, 0.65) for cx in (0.5, 0.3, 0.7))
#: Landmarks that must all lie inside a search crop (with this margin) for a find to count:
#: a person cut by the crop's edge is not a person found.
WHOLE_BODY = (L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP,
              L.LEFT_ANKLE, L.RIGHT_ANKLE)  # fmt: skip
#: ... and of each pair at least one must be seen: from the side the far shoulder, hip and
#: ankle are hidden behind the body (visibility 0.1-0.4) while the person is plainly there.
SEEN_PAIRS = ((L.NOSE, L.NOSE), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP),
              (L.LEFT_ANKLE, L.RIGHT_ANKLE))  # fmt: skip
_PAIR_A, _PAIR_B = ([int(p[k]) for p in SEEN_PAIRS] for k in (0, 1))
EDGE_MARGIN = 0.03
MIN_VISIBILITY = 0.5
#: The following crop: this many times the person's larger extent (room for the arms).
CROP_SCALE = 1.8


@dataclass(frozen=True, slots=True)
class Crop:
    x0: int
    y0: int
    side: int

    def cut(self, image: UInt8Array) -> UInt8Array:
        y, x, n = self.y0, self.x0, self.side
        return np.ascontiguousarray(image[y : y + n, x : x + n])

    def to_frame(self, f: PoseFrame, width: int, height: int) -> PoseFrame:
        """The crop's normalised landmarks as the whole frame's (world landmarks are metric
        and hip-centred: a crop does not change them)."""
        if f.image is None:
            return f
        img = f.image.copy()
        img[:, 0] = (self.x0 + img[:, 0] * self.side) / width
        img[:, 1] = (self.y0 + img[:, 1] * self.side) / height
        img[:, 2] = img[:, 2] * self.side / width
        return PoseFrame(f.index, f.t, img, f.visibility, f.world)


def _around(points: np.ndarray, width: int, height: int) -> Crop:
    """A square crop around pixel ``points`` (N x 2), CROP_SCALE times their extent."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    side = int(min(min(width, height), max(64.0, CROP_SCALE * float(max(hi - lo)))))
    cx, cy = (lo + hi) / 2
    x0 = int(np.clip(cx - side / 2, 0, width - side))
    y0 = int(np.clip(cy - side / 2, 0, height - side))
    return Crop(x0, y0, side)


class ZoomingEstimator:
    """A PoseEstimator that also finds people too small for the whole-frame detector."""

    def __init__(
        self,
        make_tracker: Callable[[], PoseEstimator],
        make_finder: Callable[[], PoseEstimator],
        search_every_s: float = 1.0,
        lose_after_s: float = 1.0,
    ) -> None:
        self._make_tracker = make_tracker
        self._make_finder = make_finder
        self._whole: PoseEstimator | None = make_tracker()
        self._finder: PoseEstimator | None = None
        self._follow: PoseEstimator | None = None
        self.crop: Crop | None = None
        self.search_every_s = search_every_s
        self.lose_after_s = lose_after_s
        self._last_search = -np.inf
        self._last_seen = -np.inf
        self._last_whole = -np.inf  # the whole frame last showed someone
        self._last_move = -np.inf
        self._now = 0.0
        self.searches = 0

    def process(self, image: UInt8Array, t: float, index: int) -> PoseFrame:
        h, w = image.shape[:2]
        self._now = t
        if self._last_whole == -np.inf:
            self._last_whole = t  # the first second belongs to the whole frame
        if self.crop is None:
            assert self._whole is not None
            f = self._whole.process(image, t, index)
            if f.detected:
                self._last_whole = t
                return f
            if t - self._last_whole < self.search_every_s:  # a miss or two: the model's own
                return f
            if t - self._last_search < self.search_every_s:
                return f
            self._last_search = t
            crop = self._search(image, t, index)
            if crop is None:
                return f
            self._start_following(crop)
        assert self.crop is not None and self._follow is not None
        f = self.crop.to_frame(self._follow.process(self.crop.cut(image), t, index), w, h)
        if f.image is None or f.visibility is None:
            if t - self._last_seen > self.lose_after_s:  # lost: back to the whole frame
                self._stop_following()
            return f
        self._last_seen = t
        seen = f.image[:, :2][f.visibility >= MIN_VISIBILITY] * (w, h)
        if len(seen) >= 4 and t - self._last_move >= self.search_every_s and self._near_edge(seen):
            self._move(_around(seen, w, h), min(w, h))
            self._last_move = t
        return f

    def _near_edge(self, pixels: np.ndarray) -> bool:
        assert self.crop is not None
        c = self.crop
        inside = (pixels - (c.x0, c.y0)) / c.side
        return bool((inside < 0.08).any() or (inside > 0.92).any())

    def _move(self, crop: Crop, short: int) -> None:
        """Follow the person in ``crop`` instead; back to the whole frame when they have
        grown to fill it, and no move for a change of less than a tenth of the crop."""
        old = self.crop
        assert old is not None
        if crop.side >= 0.95 * short:
            self._stop_following()
            return
        shift = max(abs(crop.x0 - old.x0), abs(crop.y0 - old.y0), abs(crop.side - old.side))
        if shift > 0.1 * old.side:
            self._start_following(crop)

    def _search(self, image: UInt8Array, t: float, index: int) -> Crop | None:
        """The tracking crop around a whole person found in one of the search crops."""
        h, w = image.shape[:2]
        if self._finder is None:
            self._finder = self._make_finder()
        self.searches += 1
        short = min(w, h)
        for frac in SEARCH_SIDES:
            side = int(short * frac)
            for cx, cy in SEARCH_CENTRES:
                x0 = int(np.clip(cx * w - side / 2, 0, w - side))
                y0 = int(np.clip(cy * h - side / 2, 0, h - side))
                crop = Crop(x0, y0, side)
                f = self._finder.process(crop.cut(image), t, index)
                if f.image is None or f.visibility is None:
                    continue
                body = f.image[list(WHOLE_BODY), :2]
                whole = ((body > EDGE_MARGIN) & (body < 1 - EDGE_MARGIN)).all()
                seen = np.maximum(f.visibility[_PAIR_A], f.visibility[_PAIR_B])
                if whole and float(seen.min()) >= MIN_VISIBILITY:
                    full = crop.to_frame(f, w, h)
                    assert full.image is not None
                    return _around(full.image[list(WHOLE_BODY), :2] * (w, h), w, h)
        return None

    def _start_following(self, crop: Crop) -> None:
        """Track in ``crop`` with a fresh tracker (its state belongs to the old picture)."""
        for est in (self._follow, self._whole):
            if est is not None:
                est.close()
        self._whole = None
        self.crop = crop
        self._follow = self._make_tracker()
        self._last_seen = self._now  # a fresh tracker gets its second to find them

    def _stop_following(self) -> None:
        if self._follow is not None:
            self._follow.close()
            self._follow = None
        self.crop = None
        self._whole = self._make_tracker()

    def close(self) -> None:
        for est in (self._whole, self._finder, self._follow):
            if est is not None:
                est.close()
        self._whole = self._finder = self._follow = None
