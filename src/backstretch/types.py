"""Shared data types: the BlazePose landmark names, one frame's pose, video facts.

Conventions, stated once:
- ``image`` landmarks are normalised: x in [0, 1] of the frame width, y in [0, 1] of the
  height (down), z a relative depth on the same scale as x (smaller is nearer the camera).
- ``world`` landmarks are metres, centred between the hips, x to the image right, y down,
  z away from the camera (MediaPipe's world convention). A right-handed frame.
- ``visibility`` is MediaPipe's per-landmark score in [0, 1].
- Times are seconds from the start of the video, taken from the container when there is one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from backstretch.errors import ShapeError

FloatArray: TypeAlias = NDArray[np.floating[Any]]
UInt8Array: TypeAlias = NDArray[np.uint8]

N_LANDMARKS = 33


class Landmark(IntEnum):
    """The 33 BlazePose landmarks, in model order."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Index permutation that swaps every left landmark with its right twin (mirroring).
MIRROR_INDEX: tuple[int, ...] = tuple(
    Landmark[
        m.name.replace("LEFT_", "TMP_").replace("RIGHT_", "LEFT_").replace("TMP_", "RIGHT_")
    ].value
    for m in Landmark
)

#: Bones drawn for a skeleton (pairs of landmarks).
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_EAR, Landmark.NOSE),
    (Landmark.RIGHT_EAR, Landmark.NOSE),
)


def _check_shape(name: str, array: FloatArray | None, shape: tuple[int, ...]) -> None:
    if array is not None and array.shape != shape:
        raise ShapeError(f"{name} must have shape {shape}, got {array.shape}")


@dataclass(frozen=True, slots=True)
class PoseFrame:
    """The pose found in one video frame; ``image`` is None when no person was found."""

    index: int
    t: float
    image: FloatArray | None = None
    visibility: FloatArray | None = None
    world: FloatArray | None = None
    hands: HandReading | None = None  # what the hand model saw, in the frames it looked at

    def __post_init__(self) -> None:
        _check_shape("image", self.image, (N_LANDMARKS, 3))
        _check_shape("visibility", self.visibility, (N_LANDMARKS,))
        _check_shape("world", self.world, (N_LANDMARKS, 3))
        if self.image is not None and self.visibility is None:
            raise ShapeError("visibility is required when image landmarks are given")

    @property
    def detected(self) -> bool:
        return self.image is not None

    @classmethod
    def from_mediapipe(cls, result: Any, index: int, t: float) -> PoseFrame:
        """Build from a ``mediapipe.solutions.pose`` result (duck-typed, no import here)."""
        lms = getattr(result, "pose_landmarks", None)
        if lms is None:
            return cls(index, t)
        pts = np.array([(p.x, p.y, p.z, p.visibility) for p in lms.landmark], dtype=np.float32)
        world = None
        wl = getattr(result, "pose_world_landmarks", None)
        if wl is not None:
            world = np.array([(p.x, p.y, p.z) for p in wl.landmark], dtype=np.float32)
        return cls(index, t, pts[:, :3], pts[:, 3].copy(), world)

    def mirrored(self) -> PoseFrame:
        """The pose a detector would report for the horizontally flipped frame."""
        if self.image is None or self.visibility is None:
            return self
        idx = list(MIRROR_INDEX)
        image = self.image[idx].copy()
        image[:, 0] = 1.0 - image[:, 0]
        world = None
        if self.world is not None:
            world = self.world[idx].copy()
            world[:, 0] = -world[:, 0]
        hands = None
        if self.hands is not None:  # the left hand is seen as the right, x flipped
            flip = np.array([-1.0, 1.0, 1.0])
            h = self.hands
            hands = HandReading(h.t, h.palm[::-1] * flip, h.along[::-1] * flip, h.score[::-1],
                                h.hand_px)  # fmt: skip
        return PoseFrame(self.index, self.t, image, self.visibility[idx].copy(), world, hands)


@dataclass(frozen=True)
class HandReading:
    """What the hand model saw of one person's hands in one frame.

    Rows are the person's left hand, then the right (told apart by the pose's wrists). Vectors
    are unit, in the camera's axes as the pose's world landmarks are (x right, y down, z away
    from the camera); NaN where that hand was not found. ``palm``: out of the palm;
    ``along``: wrist to the middle finger's knuckle; ``score``: the model's confidence (0: not
    found); ``hand_px``: the hands' length in the picture (pose wrist to index), pixels."""

    t: float
    palm: FloatArray  # (2, 3)
    along: FloatArray  # (2, 3)
    score: FloatArray  # (2,)
    hand_px: float

    def to_json(self) -> dict[str, Any]:
        def r(a: FloatArray) -> list[Any]:
            return [None if not np.isfinite(x) else round(float(x), 4) for x in np.ravel(a)]

        return {"t": round(self.t, 4), "palm": r(self.palm), "along": r(self.along),
                "score": r(self.score), "hand_px": round(self.hand_px, 1)}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> HandReading:
        def a(v: list[Any], shape: tuple[int, ...]) -> FloatArray:
            return np.array([np.nan if x is None else x for x in v], np.float64).reshape(shape)

        return cls(float(d["t"]), a(d["palm"], (2, 3)), a(d["along"], (2, 3)),
                   a(d["score"], (2,)), float(d["hand_px"]))  # fmt: skip


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """Facts about a video (or a recording standing in for one)."""

    source: str
    fps: float
    frames: int
    width: int
    height: int
    rotation: int = 0

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


@dataclass
class PoseSeries:
    """A whole recording's poses stacked into arrays (NaN where nothing was found).

    Shapes: ``t`` (T,), ``image`` (T, 33, 3), ``visibility`` (T, 33), ``world`` (T, 33, 3).
    """

    t: FloatArray
    image: FloatArray
    visibility: FloatArray
    world: FloatArray
    has_world: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    hands: list[HandReading] = field(default_factory=list)  # the hand model's readings, in time

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        _check_shape("t", self.t, (n,))
        _check_shape("image", self.image, (n, N_LANDMARKS, 3))
        _check_shape("visibility", self.visibility, (n, N_LANDMARKS))
        _check_shape("world", self.world, (n, N_LANDMARKS, 3))

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def detected(self) -> NDArray[np.bool_]:
        return ~np.isnan(self.image[:, 0, 0])

    @classmethod
    def from_frames(cls, frames: list[PoseFrame]) -> PoseSeries:
        n = len(frames)
        t = np.array([f.t for f in frames], dtype=np.float64)
        image = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        vis = np.zeros((n, N_LANDMARKS), dtype=np.float32)
        world = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        has_world = True
        for i, f in enumerate(frames):
            if f.image is None or f.visibility is None:
                continue
            image[i] = f.image
            vis[i] = f.visibility
            if f.world is not None:
                world[i] = f.world
            else:
                has_world = False
        hands = [f.hands for f in frames if f.hands is not None]
        return cls(t, image, vis, world, has_world=has_world, hands=hands)


class PoseWindow:
    """The poses of the last ``span_s`` seconds, appended one frame at a time and read as a
    :class:`PoseSeries` without copying (the live coach reads it for every judged frame).

    Rows live in arrays that are compacted when full (and doubled when the window itself
    fills them), so a frame costs one row write; what :meth:`series` gives is what
    :meth:`PoseSeries.from_frames` would give for the same frames."""

    def __init__(self, span_s: float, capacity: int = 128) -> None:
        self.span_s = span_s
        self._alloc(capacity)
        self._start = self._end = 0
        self._hands: deque[HandReading] = deque()  # the hand readings in the window

    def _alloc(self, n: int) -> None:
        self.t = np.zeros(n, dtype=np.float64)
        self.image = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.vis = np.zeros((n, N_LANDMARKS), dtype=np.float32)
        self.world = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.no_world = np.zeros(n, dtype=bool)  # a person found without world landmarks

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, frame: PoseFrame) -> None:
        if self._end == len(self.t):
            old: list[np.ndarray] = [self.t, self.image, self.vis, self.world, self.no_world]
            rows, n = slice(self._start, self._end), len(self)
            if n > len(self.t) // 2:
                self._alloc(2 * len(self.t))
            new: list[np.ndarray] = [self.t, self.image, self.vis, self.world, self.no_world]
            for dst, src in zip(new, old, strict=True):
                dst[:n] = src[rows]
            self._start, self._end = 0, n
        i = self._end
        self.t[i] = frame.t
        seen = frame.image is not None and frame.visibility is not None
        self.image[i] = frame.image if seen else np.nan
        self.vis[i] = frame.visibility if seen else 0.0
        self.world[i] = frame.world if seen and frame.world is not None else np.nan
        self.no_world[i] = seen and frame.world is None
        self._end += 1
        # the first row at most span_s old (this frame's own row always is)
        self._start += int(np.argmax(frame.t - self.t[self._start : self._end] <= self.span_s))
        if frame.hands is not None:
            self._hands.append(frame.hands)
        while self._hands and frame.t - self._hands[0].t > self.span_s:
            self._hands.popleft()

    def series(self) -> PoseSeries:
        rows = slice(self._start, self._end)
        return PoseSeries(self.t[rows], self.image[rows], self.vis[rows], self.world[rows],
                          has_world=not self.no_world[rows].any(),
                          hands=list(self._hands))  # fmt: skip
