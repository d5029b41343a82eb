"""Video and picture input and output: the only module that uses OpenCV's media I/O.

Frames come out as uint8 arrays (BGR, or RGB on request) with their container timestamps,
already turned the right way up when the container carries rotation metadata.
"""

from __future__ import annotations

import io
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import cv2
import numpy as np

from backstretch.errors import FrameError, VideoError
from backstretch.types import UInt8Array, VideoInfo

#: The video files we read (by name; the content is checked when opened).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
#: Set to "1" (``analyze --verbose``) to see FFmpeg's, OpenCV's and MediaPipe's own lines.
NATIVE_LOGS_ENV = "BACKSTRETCH_NATIVE_LOGS"

if os.environ.get(NATIVE_LOGS_ENV) != "1":
    # FFmpeg's own lines ("moov atom not found") say less than the errors raised here
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


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
    w, h = picture_size(data)  # from the header: a small file can claim a huge picture
    if max(h, w) > max_side:
        raise FrameError(f"the frame is {w}x{h}, too large; send at most {max_side} pixels a side")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise FrameError("the frame is not a picture (JPEG, PNG or WebP expected)")
    h, w = image.shape[:2]
    if max(h, w) > max_side:
        raise FrameError(f"the frame is {w}x{h}; send at most {max_side} pixels a side")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def picture_size(data: bytes) -> tuple[int, int]:
    """Width and height of a compressed picture, read from its header without decoding it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in ("JPEG", "PNG", "WEBP"):
                raise FrameError(f"the frame is {im.format}; send JPEG, PNG or WebP")
            return int(im.width), int(im.height)
    except Image.DecompressionBombError:
        raise FrameError("the frame claims a picture too large to decode") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise FrameError("the frame is not a picture (JPEG, PNG or WebP expected)") from None


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


MAX_VIDEO_PIXELS = 3840 * 2160 * 2  # 4K phone video fits; a 16000x16000 bomb does not
PROBE_MEMORY = 1024 * 1024 * 1024  # the probing process's address space (it needs ~550 MB)


def probe_video(path: str | Path, max_pixels: int = MAX_VIDEO_PIXELS) -> tuple[int, int]:
    """Check, in a child process with bounded memory, that a video opens and its frames are
    at most ``max_pixels``; returns (width, height).

    Opening a video can already decode a frame (FFmpeg probes the stream), so a small file
    holding one huge frame would cost gigabytes in the server itself; the child takes that
    cost, or dies of its memory limit, instead."""
    import os
    import subprocess
    import sys

    path = Path(path)
    _check_file(path)

    code = (  # only OpenCV: the child starts in well under a second; it limits itself first
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({PROBE_MEMORY}, {PROBE_MEMORY}))\n"
        "import cv2\n"
        "cap = cv2.VideoCapture(sys.argv[1])\n"
        "ok = cap.isOpened()\n"
        "print(int(ok), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), "
        "int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))\n"
    )
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", "OPENCV_FFMPEG_THREADS": "1"}
    try:
        run = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        if run.returncode != 0:
            raise ValueError(run.stderr[-200:])
        opened, w, h = (int(v) for v in run.stdout.split()[-3:])
    except (subprocess.TimeoutExpired, ValueError):
        raise VideoError(
            f"{path}: the video could not be opened within the time and memory limits"
        ) from None
    if not opened:
        raise VideoError(
            f"{path}: cannot be opened as a video (not a video file, or a damaged one)"
        )
    if w * h > max_pixels:
        raise VideoError(
            f"{path}: its frames are {w}x{h}; at most {max_pixels:,} pixels (4K) are accepted"
        )
    return w, h


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
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if w * h > MAX_VIDEO_PIXELS:
            cap.release()
            raise VideoError(
                f"{self.path}: its frames are {w}x{h}; at most {MAX_VIDEO_PIXELS:,} pixels "
                "(4K) are read"
            )
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


T = TypeVar("T")


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(frames: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``frames`` while a thread reads up to ``depth`` of them ahead, so decoding
    (FFmpeg lets go of the GIL) overlaps with the work done on each frame. Errors come out
    where they happened in the stream; closing this generator stops and closes the reader."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in frames:
                if not put(item):
                    return
            put(_END)
        except BaseException as e:  # handed to the consumer, raised there
            put(_Raised(e))
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=run, name="backstretch-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()
        reader.join()


class VideoWriter:
    """Write BGR frames to an H.264 MP4 (yuv420p, faststart), which browsers, phones and
    players all play; encoded with PyAV's FFmpeg (libx264). ``.webm`` gives VP9 instead.

    (OpenCV's own writer offers only MPEG-4 Part 2 at a usable speed, which Chromium cannot
    play.) Odd widths and heights lose their last pixel row or column (4:2:0 needs even)."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        import av
        from av.error import FFmpegError

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._w, self._h = width - width % 2, height - height % 2
        webm = self.path.suffix.lower() == ".webm"
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        try:
            self._out = av.open(
                str(self.path), "w", options={} if webm else {"movflags": "+faststart"}
            )
            stream = self._out.add_stream("libvpx-vp9" if webm else "libx264", rate=rate)
        except (FFmpegError, OSError, ValueError) as exc:
            raise VideoError(f"{self.path}: cannot write a video here ({exc})") from None
        stream.width, stream.height, stream.pix_fmt = self._w, self._h, "yuv420p"
        stream.options = {"deadline": "realtime", "cpu-used": "8"} if webm else {
            "preset": "veryfast", "crf": "23"
        }  # fmt: skip
        self._stream = stream
        self._frame_type = av.VideoFrame
        self._closed = False

    def write(self, image: UInt8Array) -> None:
        frame = self._frame_type.from_ndarray(
            np.ascontiguousarray(image[: self._h, : self._w]), format="bgr24"
        )
        self._out.mux(self._stream.encode(frame))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._out.mux(self._stream.encode(None))  # flush the encoder
        self._out.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
