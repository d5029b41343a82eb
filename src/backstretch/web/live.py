"""The live coach's WebSocket protocol, on top of a transport-agnostic LiveSession.

Client -> server:
- binary: 8 bytes little-endian float64 capture time (seconds) + a JPEG/PNG/WebP picture;
- text JSON: ``{"type": "start"}``, ``{"type": "stop", "reason": "done"|"pain"}``,
  ``{"type": "pain", "rating": 0-10, "where": "...", "note": "..."}``, or
  ``{"type": "landmarks", "t": s, "image": 33x[x,y,z], "visibility": 33x[v]}`` (a client that
  runs the pose model itself).

Server -> client (text JSON): ``{"type": "state", ...}`` after every frame (LiveState plus
``server_ms``), ``{"type": "summary", ...}`` when the session ends, and
``{"type": "error", "code": ..., "message": ...}`` for a bad message (the connection stays up).
The client sends the next frame only after the answer to the last one, so nothing queues.
"""

from __future__ import annotations

import json
import math
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backstretch.errors import FrameError, InputError
from backstretch.exercise.schema import Exercise
from backstretch.pose.base import PoseEstimator
from backstretch.pose.video import decode_image
from backstretch.session.live import LiveSession, PainReport
from backstretch.types import N_LANDMARKS, PoseFrame

HEADER = struct.Struct("<d")


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartMsg(_Msg):
    type: Literal["start"]


class StopMsg(_Msg):
    type: Literal["stop"]
    reason: Literal["done", "pain"] = "done"


class PainMsg(PainReport):
    type: Literal["pain"]


class LandmarksMsg(_Msg):
    type: Literal["landmarks"]
    t: float
    image: list[list[float]] = Field(min_length=N_LANDMARKS, max_length=N_LANDMARKS)
    visibility: list[float] = Field(min_length=N_LANDMARKS, max_length=N_LANDMARKS)
    width: int = Field(default=640, gt=0, le=8192)
    height: int = Field(default=480, gt=0, le=8192)


_MESSAGES: dict[str, type[BaseModel]] = {
    "start": StartMsg,
    "stop": StopMsg,
    "pain": PainMsg,
    "landmarks": LandmarksMsg,
}


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


class LiveConnection:
    """One client's live session: frames in, coaching state out (no I/O of its own)."""

    def __init__(
        self,
        exercise: Exercise,
        estimator: Callable[[], PoseEstimator],
        max_frame_bytes: int,
    ) -> None:
        self.ex = exercise
        self._make_estimator = estimator
        self._estimator: PoseEstimator | None = None
        self.max_frame_bytes = max_frame_bytes
        self.session = LiveSession(exercise)
        self._index = 0
        self._last_t = -math.inf
        self._lock = threading.Lock()  # the pose model is never closed while it works

    def close(self) -> None:
        with self._lock:
            if self._estimator is not None:
                self._estimator.close()
                self._estimator = None

    # -- binary frames ---------------------------------------------------------------------
    def on_frame(self, data: bytes) -> list[dict[str, Any]]:
        """Handle one binary frame; returns the messages to send back."""
        started = time.perf_counter()
        try:
            if len(data) > self.max_frame_bytes:
                raise FrameError(
                    f"the frame is {len(data)} bytes; at most {self.max_frame_bytes} are accepted"
                    " (send JPEG about 480 pixels high)"
                )
            if len(data) <= HEADER.size:
                raise FrameError("a frame is 8 bytes of capture time followed by a picture")
            (t,) = HEADER.unpack_from(data)
            self._check_time(t)
            rgb = decode_image(data[HEADER.size :])
        except InputError as exc:
            return [error("bad_frame", str(exc))]
        h, w = rgb.shape[:2]
        self.session.size = (w, h)
        brightness = float(rgb[::8, ::8].mean()) / 255.0
        with self._lock:
            if self._estimator is None:
                self._estimator = self._make_estimator()
            frame = self._estimator.process(rgb, t, self._index)
        return self._advance(frame, brightness, started)

    # -- text messages ---------------------------------------------------------------------
    def on_text(self, text: str) -> list[dict[str, Any]]:
        started = time.perf_counter()
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            return [error("bad_json", f"the message is not valid JSON ({exc.msg})")]
        kind = raw.get("type") if isinstance(raw, dict) else None
        model = _MESSAGES.get(kind) if isinstance(kind, str) else None
        if model is None:
            known = ", ".join(_MESSAGES)
            return [error("bad_message", f"unknown message type {kind!r}; expected one of {known}")]
        try:
            msg = model.model_validate(raw)
        except ValidationError as exc:
            where = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
                for e in exc.errors()[:3]
            )
            return [error("bad_message", f"bad {kind} message: {where}")]
        if isinstance(msg, StartMsg):
            if self.session.started_t is not None:
                self.session = LiveSession(self.ex, *self.session.size)
            self.session.start(self._last_t if math.isfinite(self._last_t) else 0.0)
            return [{"type": "started"}]
        if isinstance(msg, StopMsg):
            return [self._summary(self.session.stop(msg.reason))]
        if isinstance(msg, PainMsg):
            report = PainReport(rating=msg.rating, where=msg.where, note=msg.note)
            return [self._summary(self.session.report_pain(report))]
        assert isinstance(msg, LandmarksMsg)
        try:
            self._check_time(msg.t)
            frame = _frame_from(msg, self._index)
        except InputError as exc:
            return [error("bad_frame", str(exc))]
        self.session.size = (msg.width, msg.height)
        return self._advance(frame, None, started)

    # -- helpers ---------------------------------------------------------------------------
    def _check_time(self, t: float) -> None:
        if not math.isfinite(t) or t < 0:
            raise FrameError(f"the capture time {t!r} is not a time in seconds")
        if t <= self._last_t:
            raise FrameError(
                f"the capture time {t:.3f} s is not after the last frame's ({self._last_t:.3f} s)"
            )
        self._last_t = t

    def _advance(
        self, frame: PoseFrame, brightness: float | None, started: float
    ) -> list[dict[str, Any]]:
        self._index += 1
        was_finished = self.session.finished
        state = self.session.push(frame, brightness)
        out = state.model_dump()
        out["type"] = "state"
        out["server_ms"] = round((time.perf_counter() - started) * 1000.0, 2)
        msgs = [out]
        if state.finished and not was_finished and self.session.stopped is None:
            msgs.append(self._summary(self.session.stop("done")))
        return msgs

    @staticmethod
    def _summary(summary: BaseModel) -> dict[str, Any]:
        return {"type": "summary", **summary.model_dump()}


def _frame_from(msg: LandmarksMsg, index: int) -> PoseFrame:
    image = np.asarray(msg.image, dtype=np.float32)
    if image.shape != (N_LANDMARKS, 3) or not np.isfinite(image).all():
        raise FrameError(f"landmarks must be {N_LANDMARKS} finite [x, y, z] triples")
    vis = np.clip(np.asarray(msg.visibility, dtype=np.float32), 0.0, 1.0)
    return PoseFrame(index, msg.t, image, vis, None)
