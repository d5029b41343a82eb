"""Video and picture input and output: the only module that uses OpenCV's media I/O.

Frames come out as uint8 arrays (BGR, or RGB on request) with their container timestamps,
already turned the right way up when the container carries rotation metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from backstretch.errors import FrameError, VideoError
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


def decode_image(data: bytes, max_side: int = 1920) -> UInt8Array:
    """Decode one compressed picture (JPEG, PNG, WebP) into an RGB uint8 array."""
    if not data:
        raise FrameError("the frame is empty")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise FrameError("the frame is not a picture (JPEG, PNG or WebP expected)")
    h, w = image.shape[:2]
    if max(h, w) > max_side:
        raise FrameError(f"the frame is {w}x{h}; send at most {max_side} pixels a side")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def encode_jpeg(rgb: UInt8Array, quality: int = 80) -> bytes:
    """Compress an RGB picture as JPEG (what a browser sends the live coach)."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise FrameError("the picture could not be encoded as JPEG")
    return bytes(buf.tobytes())


def resize_to_height(rgb: UInt8Array, height: int) -> UInt8Array:
    """Scale a picture to ``height`` pixels high, keeping its aspect ratio."""
    h, w = rgb.shape[:2]
    if h == height:
        return rgb
    width = max(1, round(w * height / h))
    return np.asarray(cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA))


def write_y4m(frames: Iterable[UInt8Array], path: str | Path, fps: int) -> int:
    """Write RGB frames as an uncompressed YUV4MPEG2 (4:2:0) file, the format Chromium's
    fake camera plays (``--use-file-for-fake-video-capture``); returns the frame count."""
    n = 0
    with open(path, "wb") as out:
        for rgb in frames:
            h, w = rgb.shape[:2]
            if w % 2 or h % 2:
                raise ValueError(f"y4m 4:2:0 needs even sizes, got {w}x{h}")
            if n == 0:
                out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
            n += 1
    return n


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
