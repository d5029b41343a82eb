"""The annotated video: skeleton, phase, hold timer, repetition count and the cue of the moment.

Draws with OpenCV's drawing functions; reading and writing the video go through
:mod:`backstretch.pose.video`. A recording without a video is drawn on a plain background.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from backstretch.analysis.engine import Analysis
from backstretch.exercise.schema import Exercise
from backstretch.pose.video import VideoReader, VideoWriter
from backstretch.types import SKELETON, UInt8Array

GOOD, BAD, TEXT = (80, 200, 60), (40, 40, 220), (255, 255, 255)


def _cue(ex: Exercise, phase: str, faults: list[str]) -> str:
    if faults:
        return ex.faults.rule(faults[0]).message
    steps = [s for s in ex.steps if s.phase == phase]
    return steps[-1].cue if steps else ""


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return [*lines, line] if line else lines


def draw_frame(
    image: UInt8Array, a: Analysis, i: int, ex: Exercise, reps_done: int = 0
) -> UInt8Array:
    """Draw frame ``i``'s overlay onto ``image`` (BGR, modified in place and returned);
    ``reps_done`` is the last repetition number reached so far (shown between repetitions)."""
    tl, s = a.timeline, a.series
    h, w = image.shape[:2]
    scale = max(h, w) / 900.0
    ok = bool(tl.form_ok[i])
    colour = GOOD if ok else BAD
    if s.detected[i]:
        pts = s.image[i, :, :2] * [w, h]
        seen = s.visibility[i] >= ex.detection.min_visibility
        for p, q in SKELETON:
            if seen[p] and seen[q]:
                a_pt = (int(pts[p, 0]), int(pts[p, 1]))
                b_pt = (int(pts[q, 0]), int(pts[q, 1]))
                cv2.line(image, a_pt, b_pt, colour, max(2, int(3 * scale)), cv2.LINE_AA)
        for j in np.flatnonzero(seen):
            cv2.circle(image, (int(pts[j, 0]), int(pts[j, 1])), max(2, int(4 * scale)), TEXT, -1)
    phase = str(tl.phase[i])
    rep = int(tl.rep[i])
    lines = [
        f"{phase.upper()}   rep {rep or reps_done}",
        f"hold {tl.hold_clock[i]:4.1f} s / {ex.targets.hold_s:.0f} s" if rep else "",
        *_wrap(_cue(ex, phase, tl.faults[i]), 48),
    ]
    y = int(30 * scale)
    overlay = image.copy()
    cv2.rectangle(overlay, (0, 0), (w, int((14 + 28 * len(lines)) * scale)), (0, 0, 0), -1)
    cv2.addWeighted(overlay, 0.45, image, 0.55, 0, dst=image)
    for k, line in enumerate(lines):
        if not line:
            continue
        c = TEXT if k != 1 else colour
        cv2.putText(
            image,
            line,
            (int(10 * scale), y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.7 * scale,
            c,
            max(1, int(2 * scale)),
            cv2.LINE_AA,
        )
        y += int(28 * scale)
    return image


def _plain_frames(a: Analysis) -> Iterator[tuple[int, UInt8Array]]:
    w = max(a.report.video.width, 320) if a.report.video.width > 1 else 640
    h = max(a.report.video.height, 240) if a.report.video.height > 1 else 480
    for i in range(len(a.series)):
        yield i, np.full((h, w, 3), 60, dtype=np.uint8)


def write_annotated(
    a: Analysis,
    ex: Exercise,
    out: str | Path,
    video: str | Path | None,
    stride: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the annotated video; reads ``video`` a second time (frames are never kept)."""
    n = len(a.series)
    if video is not None:
        frames: Iterator[tuple[int, UInt8Array]] = (
            (k, vf.image) for k, vf in enumerate(VideoReader(video, stride=stride))
        )
    else:
        frames = _plain_frames(a)
    writer: VideoWriter | None = None
    fps = a.report.video.fps / stride
    reps_so_far = np.maximum.accumulate(a.timeline.rep) if n else a.timeline.rep
    try:
        for k, image in frames:
            if k >= n:
                break
            if writer is None:
                writer = VideoWriter(out, fps, image.shape[1], image.shape[0])
            writer.write(draw_frame(image, a, k, ex, int(reps_so_far[k])))
            if progress is not None:
                progress(k + 1, n)
    finally:
        if writer is not None:
            writer.close()
