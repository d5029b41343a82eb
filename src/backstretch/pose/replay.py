"""Recorded landmarks: read and write them, and replay them in place of a pose model.

The recording format is JSON Lines (optionally gzipped, ``.jsonl.gz``):

- line 1, a header: ``{"format": "backstretch.landmarks", "version": 1, "source": ...,
  "fps": ..., "width": ..., "height": ..., "frames": ...}``;
- one line per frame: ``{"i": index, "t": seconds, "image": [[x, y, z, visibility] x 33]
  or null, "world": [[x, y, z] x 33] or null}`` (see :mod:`backstretch.types`).

Keraal's BlazePose JSON files (``{"positions": {"1.0": {"Nose": [x, y, z], ...}}}``,
normalised image coordinates, no visibility, no world landmarks) are read too.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from backstretch.errors import LandmarkFileError
from backstretch.types import (
    N_LANDMARKS,
    HandReading,
    Landmark,
    PoseFrame,
    UInt8Array,
    VideoInfo,
)

FORMAT = "backstretch.landmarks"
VERSION = 1
KERAAL_FPS = 30.0  # the Keraal videos are 30 fps; their landmark files carry no times


def _open_text(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return cast(IO[str], gzip.open(path, mode + "t", encoding="utf-8"))
    return open(path, mode, encoding="utf-8")


def is_landmark_file(path: str | Path) -> bool:
    name = Path(path).name.lower()
    return name.endswith((".jsonl", ".jsonl.gz", ".json"))


def _frame_to_json(f: PoseFrame) -> dict[str, Any]:
    row: dict[str, Any] = {"i": f.index, "t": round(f.t, 6), "image": None, "world": None}
    if f.image is not None and f.visibility is not None:
        pts = np.column_stack([f.image, f.visibility]).round(5)
        row["image"] = pts.tolist()
    if f.world is not None:
        row["world"] = np.asarray(f.world).round(5).tolist()
    if f.hands is not None:
        row["hands"] = f.hands.to_json()
    return row


class LandmarkWriter:
    """Write a recording frame by frame (nothing is kept in memory)."""

    def __init__(self, path: str | Path, info: VideoInfo) -> None:
        self._fh = _open_text(Path(path), "w")
        self.count = 0
        header = {
            "format": FORMAT,
            "version": VERSION,
            "source": info.source,
            "fps": info.fps,
            "width": info.width,
            "height": info.height,
            "frames": info.frames,
        }
        self._fh.write(json.dumps(header) + "\n")

    def write(self, frame: PoseFrame) -> None:
        self._fh.write(json.dumps(_frame_to_json(frame), separators=(",", ":")) + "\n")
        self.count += 1

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> LandmarkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_landmarks(path: str | Path, info: VideoInfo, frames: Iterable[PoseFrame]) -> int:
    """Write a recording; returns the number of frames written."""
    with LandmarkWriter(path, info) as w:
        for f in frames:
            w.write(f)
    return w.count


def _frame_from_json(row: dict[str, Any], where: str) -> PoseFrame:
    try:
        index, t = int(row["i"]), float(row["t"])
        image = visibility = world = None
        if row.get("image") is not None:
            pts = np.asarray(row["image"], dtype=np.float32)
            if pts.shape != (N_LANDMARKS, 4):
                raise ValueError(f"image must be 33 x [x, y, z, visibility], got {pts.shape}")
            image, visibility = pts[:, :3].copy(), pts[:, 3].copy()
        if row.get("world") is not None:
            world = np.asarray(row["world"], dtype=np.float32)
            if world.shape != (N_LANDMARKS, 3):
                raise ValueError(f"world must be 33 x [x, y, z], got {world.shape}")
        hands = HandReading.from_json(row["hands"]) if row.get("hands") is not None else None
        return PoseFrame(index, t, image, visibility, world, hands)
    except (KeyError, TypeError, ValueError) as e:
        raise LandmarkFileError(f"{where}: bad frame: {e}") from None


@dataclass
class Recording:
    """A landmark recording: its facts and a way to iterate its frames (streamed)."""

    path: Path
    info: VideoInfo

    def frames(self) -> Iterator[PoseFrame]:
        if _is_keraal(self.path):
            yield from _keraal_frames(self.path)
            return
        with _open_text(self.path, "r") as fh:
            next(fh)  # header, checked in open_recording
            for lineno, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise LandmarkFileError(f"{self.path}:{lineno}: not JSON: {e}") from None
                yield _frame_from_json(row, f"{self.path}:{lineno}")


def _is_keraal(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _load_keraal(path: Path) -> list[tuple[float, dict[str, list[float]]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        positions = data["positions"]
        return sorted(((float(k), v) for k, v in positions.items()), key=lambda kv: kv[0])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise LandmarkFileError(f"{path}: not a Keraal BlazePose file: {e}") from None


def _keraal_frames(path: Path) -> Iterator[PoseFrame]:
    names = [m.name.capitalize() for m in Landmark]
    for i, (_, joints) in enumerate(_load_keraal(path)):
        try:
            pts = np.array([joints[n] for n in names], dtype=np.float32)
        except (KeyError, ValueError) as e:
            raise LandmarkFileError(f"{path}: frame {i}: missing or bad landmark {e}") from None
        yield PoseFrame(i, i / KERAAL_FPS, pts, np.ones(N_LANDMARKS, dtype=np.float32), None)


def open_recording(path: str | Path) -> Recording:
    """Open a landmark recording (``.jsonl``, ``.jsonl.gz`` or Keraal ``.json``)."""
    p = Path(path)
    if not p.is_file():
        raise LandmarkFileError(f"{p}: file not found")
    if _is_keraal(p):
        n = len(_load_keraal(p))
        if n == 0:
            raise LandmarkFileError(f"{p}: the recording has no frames")
        return Recording(p, VideoInfo(str(p), KERAAL_FPS, n, 1, 1))
    try:
        with _open_text(p, "r") as fh:
            header = json.loads(fh.readline() or "null")
    except (OSError, UnicodeDecodeError, EOFError, json.JSONDecodeError) as e:
        raise LandmarkFileError(f"{p}: not a landmark recording: {e}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise LandmarkFileError(f"{p}: not a landmark recording (no '{FORMAT}' header line)")
    if header.get("version") != VERSION:
        raise LandmarkFileError(f"{p}: recording version {header.get('version')} unsupported")
    try:
        info = VideoInfo(
            source=str(header.get("source") or p),
            fps=float(header["fps"]),
            frames=int(header.get("frames") or 0),
            width=int(header["width"]),
            height=int(header["height"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise LandmarkFileError(f"{p}: bad header: {e}") from None
    return Recording(p, info)


class ReplayEstimator:
    """A PoseEstimator that hands out recorded frames in order, ignoring the pixels."""

    def __init__(self, frames: Iterable[PoseFrame]) -> None:
        self._frames = iter(frames)

    def process(self, image: UInt8Array, t: float, index: int) -> PoseFrame:
        try:
            f = next(self._frames)
        except StopIteration:
            return PoseFrame(index, t)
        return PoseFrame(index, t, f.image, f.visibility, f.world)

    def close(self) -> None:
        pass
