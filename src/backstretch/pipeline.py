"""From a file (video or landmark recording) to an analysis: the one path the CLI and the
web app share. Chooses the pose source, streams frames through it, reports progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from backstretch.analysis.engine import Analysis, analyze_frames
from backstretch.exercise.schema import Exercise
from backstretch.pose.base import PoseEstimator
from backstretch.pose.rate import RateStats, pose_adaptively
from backstretch.pose.replay import LandmarkWriter, is_landmark_file, open_recording
from backstretch.pose.video import VideoReader, read_ahead
from backstretch.types import PoseFrame, UInt8Array, VideoInfo

Progress = Callable[[int, int], None]


@dataclass
class Source:
    """Poses to analyse: their facts, a stream of frames, and the video behind them if any."""

    info: VideoInfo
    frames: Iterator[PoseFrame]
    video: Path | None
    total: int
    brightness: list[float] = field(default_factory=list)  # per picture, filled as it streams
    stride: int = 1  # every how many video frames one was analysed
    rate: RateStats | None = None  # how many of those were posed (None: all of them)


def sample_video() -> Path:
    """The built-in sample: a rendered person doing 2 clean repetitions, camera at 45 deg
    (made by the rendering studio, ``studio/scenarios/sample.toml``)."""
    return Path(str(files("backstretch") / "data" / "sample.mp4"))


#: The analysis rate a video is thinned to by default. The stretch is slow: 15 frames a
#: second follow every move of it, and the fastest check (jerky_movement) needs 12.
ANALYSIS_FPS = 15.0


def auto_stride(fps: float) -> int:
    """Every how many frames to analyse a video of ``fps`` so that at least ANALYSIS_FPS
    remain: 1 up to 29 fps, 2 at 30 (29.97), 3 at 50, 4 at 60."""
    return max(1, int((fps + 0.5) // ANALYSIS_FPS))


def default_estimator(hands: bool = True) -> PoseEstimator:
    """MediaPipe BlazePose, looking closer where the whole frame shows nobody (far away), and
    (``hands``) MediaPipe Hands on the hands while the arms are up."""
    from functools import partial

    from backstretch.pose.hands import WithHands
    from backstretch.pose.mediapipe_pose import MediaPipeHandReader, MediaPipePoseEstimator
    from backstretch.pose.zoom import ZoomingEstimator

    pose = ZoomingEstimator(
        MediaPipePoseEstimator, partial(MediaPipePoseEstimator, static_image_mode=True)
    )
    return WithHands(pose, MediaPipeHandReader) if hands else pose


def open_source(
    path: str | Path | None,
    *,
    stride: int | None = None,
    estimator: Callable[[], PoseEstimator] | None = None,
) -> Source:
    """Open a video (poses by MediaPipe), a landmark recording, or the sample (``None``).

    ``stride``: analyse every Nth frame, each one posed. By default (None) the frames
    analysed are the ones that keep about ``ANALYSIS_FPS`` a second (see
    :func:`auto_stride`), and of these only the ones around a movement are posed (see
    :mod:`backstretch.pose.rate`)."""
    p = sample_video() if path is None else Path(path)
    if is_landmark_file(p):
        rec = open_recording(p)
        return Source(rec.info, rec.frames(), None, rec.info.frames)
    reader = VideoReader(p, stride=stride or 1, rgb=True)
    rate = RateStats() if stride is None else None  # None: every frame analysed is posed
    if stride is None:
        reader.stride = auto_stride(reader.info.fps)
    stride = reader.stride
    est = (estimator or default_estimator)()
    light: list[float] = []

    def pictures() -> Iterator[tuple[int, float, UInt8Array]]:
        for vf in read_ahead(iter(reader)):
            light.append(float(vf.image[::8, ::8].mean()) / 255.0)
            yield vf.index, vf.t, vf.image

    def frames() -> Iterator[PoseFrame]:
        try:
            if rate is not None:
                w, h = reader.info.width, reader.info.height
                yield from pose_adaptively(pictures(), est.process, w, h, stats=rate)
            else:
                for index, t, image in pictures():
                    yield est.process(image, t, index)
        finally:
            est.close()

    total = max(1, -(-reader.info.frames // stride)) if reader.info.frames else 0
    return Source(reader.info, frames(), p, total, light, stride, rate)


def analyze_source(
    source: Source,
    exercise: Exercise,
    *,
    progress: Progress | None = None,
    save_landmarks: str | Path | None = None,
) -> Analysis:
    """Run the analysis over a source, calling ``progress(done, total)`` per frame.

    With ``save_landmarks``, each frame is also written to that recording as it passes.
    """
    done = 0
    writer = LandmarkWriter(save_landmarks, source.info) if save_landmarks is not None else None

    def tick(frame: PoseFrame) -> None:
        nonlocal done
        done += 1
        if writer is not None:
            writer.write(frame)
        if progress is not None:
            progress(done, source.total)

    try:
        return analyze_frames(
            source.frames, source.info, exercise, on_frame=tick, brightness=source.brightness
        )
    finally:
        if writer is not None:
            writer.close()
