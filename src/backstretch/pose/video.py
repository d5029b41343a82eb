"""Video input and output: the only module that uses OpenCV's video I/O.

Frames come out as uint8 arrays (BGR, or RGB on request) with their container timestamps,
already turned the right way up when the container carries rotation metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2

from backstretch.errors import VideoError
from backstretch.types import UInt8Array, VideoInfo


@dataclass(frozen=True, slots=True)
class VideoFrame:
    index: int
    t: float
    image: UInt8Array


def _check_file(path: Path) -> None:
    if not path.exists():
        raise VideoError(f"{path}: file not found")
    if path.is_dir():
        raise VideoError(f"{path}: is a folder, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty (0 bytes)")


class VideoReader:
    """Iterate over a video's frames (every ``stride``-th one) with container timestamps."""

    def __init__(self, path: str | Path, stride: int = 1, rgb: bool = False) -> None:
        if stride < 1:
            raise ValueError("stride must be at least 1")
        self.path = Path(path)
        self.stride = stride
        self.rgb = rgb  # hand out RGB (for pose models) instead of OpenCV's BGR
        _check_file(self.path)
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise VideoError(
                f"{self.path}: cannot be opened as a video (not a video file, or a damaged one)"
            )
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise VideoError(f"{self.path}: no frame could be decoded (damaged or truncated video)")
        self._cap = cap
        self._first: Any = first
        self._first_t = max(0.0, cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not 0.0 < fps < 1000.0:
            fps = 30.0
        self.info = VideoInfo(
            source=str(self.path),
            fps=fps,
            frames=int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
            width=int(first.shape[1]),
            height=int(first.shape[0]),
            rotation=int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0),
        )

    def __iter__(self) -> Iterator[VideoFrame]:
        """Yield the decoded frames; skipped frames (stride) are grabbed, never decoded."""
        cap, fps, stride = self._cap, self.info.fps, self.stride
        image: Any = self._first
        t = self._first_t
        if image is None:
            raise VideoError(f"{self.path}: a VideoReader can be iterated only once")
        self._first = None
        index, last_t = 0, float("-inf")
        try:
            while True:
                if t <= last_t:  # containers without usable timestamps: fall back to fps
                    t = last_t + 1.0 / fps
                last_t = t
                if image is not None:
                    if self.rgb:
                        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                    yield VideoFrame(index, t, image)
                index += 1
                if index % stride == 0:
                    ok, image = cap.read()
                else:
                    ok, image = cap.grab(), None
                if not ok:
                    break
                t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        finally:
            self.close()

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class VideoWriter:
    """Write BGR frames to an MP4 file (MPEG-4 Part 2, playable by common players)."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        self._w = cv2.VideoWriter(str(self.path), fourcc, fps, (width, height))
        if not self._w.isOpened():
            raise VideoError(f"{self.path}: cannot write a video here")

    def write(self, image: UInt8Array) -> None:
        self._w.write(image)

    def close(self) -> None:
        self._w.release()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
