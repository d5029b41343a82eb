"""The live coach's WebSocket protocol, on top of a transport-agnostic LiveSession.

Client -> server:
- binary: 8 bytes little-endian float64 capture time (seconds) + a JPEG/PNG/WebP picture;
- text JSON: ``{"type": "start", "demo": false}`` (a demo session is never stored),
  ``{"type": "stop", "reason": "done"|"pain"}``,
  ``{"type": "pain", "rating": 0-10, "where": "...", "note": "..."}``, or
  ``{"type": "landmarks", "t": s, "image": 33x[x,y,z], "visibility": 33x[v], "world": 33x[x,y,z]}``
  (a client that runs the pose model itself; ``world`` is optional, and ``image`` and
  ``visibility`` are left out when it found nobody), ``{"type": "save"}`` or
  ``{"type": "discard"}`` for the stored session after its summary.

Server -> client (text JSON): ``{"type": "state", ...}`` after every frame (LiveState plus
``server_ms``), ``{"type": "summary", ...}`` when the session ends, and
``{"type": "error", "code": ..., "message": ...}`` for a bad message (the connection stays up).
The client sends the next frame only after the answer to the last one, so nothing queues.
Numbers must be finite (no NaN); answers never carry NaN either (a missing value is null).
A session with no repetition and no pain report is not kept, and a connection sends at most
``MAX_PAIN_REPORTS`` pain reports, so a misbehaving client cannot fill the store with them.
"""

from __future__ import annotations

import json
import math
import struct
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backstretch.errors import FrameError, InputError, StoreError
from backstretch.exercise.schema import Exercise
from backstretch.pose.base import PoseEstimator
from backstretch.pose.video import decode_image
from backstretch.session.live import LiveSession
from backstretch.session.messages import LiveSummary, PainReport
from backstretch.store import Store
from backstretch.store.progress import plan, with_hold_target
from backstretch.types import N_LANDMARKS, PoseFrame

HEADER = struct.Struct("<d")
MAX_PAIN_REPORTS = 10
Finite = Annotated[float, Field(allow_inf_nan=False)]
Point = tuple[Finite, Finite, Finite]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartMsg(_Msg):
    type: Literal["start"]
    demo: bool = False


class StopMsg(_Msg):
    type: Literal["stop"]
    reason: Literal["done", "pain"] = "done"


class PainMsg(PainReport):
    type: Literal["pain"]


class SaveMsg(_Msg):
    type: Literal["save", "discard"]


class LandmarksMsg(_Msg):
    type: Literal["landmarks"]
    t: Finite
    image: list[Point] | None = Field(
        default=None, min_length=N_LANDMARKS, max_length=N_LANDMARKS,
        description="normalised picture landmarks; absent when the pose model found nobody",
    )  # fmt: skip
    visibility: list[Finite] | None = Field(
        default=None, min_length=N_LANDMARKS, max_length=N_LANDMARKS
    )
    world: list[Point] | None = Field(
        default=None, min_length=N_LANDMARKS, max_length=N_LANDMARKS,
        description="metric 3-D landmarks (hip-centred, y down), when the pose model gives them",
    )  # fmt: skip
    width: int = Field(default=640, gt=0, le=8192)
    height: int = Field(default=480, gt=0, le=8192)


_MESSAGES: dict[str, type[BaseModel]] = {
    "start": StartMsg,
    "stop": StopMsg,
    "pain": PainMsg,
    "landmarks": LandmarksMsg,
    "save": SaveMsg,
    "discard": SaveMsg,
}


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


class LiveConnection:
    """One client's live session: frames in, coaching state out (no I/O of its own)."""

    def __init__(
        self,
        exercise: Exercise,
        estimator: Callable[[], PoseEstimator],
        max_frame_bytes: int,
        store: Store | None = None,
    ) -> None:
        self.ex = exercise
        self.store = store
        self.session_id: int | None = None
        self._stored_reps = 0
        self._finished = False
        self._previous: dict[str, Any] | None = None
        self._pains = 0  # on this connection: bounded, whatever the number of sessions
        self._session_pains = 0
        self._demo = False
        self.started = False  # a session was started on this connection
        self._store_error: str | None = None
        self._make_estimator = estimator
        self._estimator: PoseEstimator | None = None
        self.max_frame_bytes = max_frame_bytes
        self.session = LiveSession(exercise)
        self._index = 0
        self._last_t = -math.inf
        self._lock = threading.Lock()  # the pose model is never closed while it works

    def close(self) -> None:
        """The client left: a stored session in progress is closed (its reps are kept)."""
        if self.session_id is not None and not self._finished:
            self._store(self.session.stop("ended"))  # a store failure here is only lost news
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
        """Handle one text message and write what is due to the store; returns the answers."""
        msg = self.parse(text)
        if isinstance(msg, list):
            return msg
        out = self.handle(msg)
        return self._errors(out) if self.write_due() else out

    def parse(self, text: str) -> BaseModel | list[dict[str, Any]]:
        """The validated message, or the error answer (no work, no I/O: cheap)."""
        try:
            raw = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            return [error("bad_json", f"the message is not valid JSON ({exc.msg})")]
        except ValueError as exc:
            return [error("bad_json", f"the message is not valid JSON ({exc})")]
        except RecursionError:
            return [error("bad_json", "the message is nested too deeply")]
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
        return msg

    def handle(self, msg: BaseModel) -> list[dict[str, Any]]:
        """Any validated message: landmarks (:meth:`on_landmarks`), or a control message
        (start, stop, pain, save), which may write to the store."""
        if isinstance(msg, LandmarksMsg):
            return self.on_landmarks(msg)
        if isinstance(msg, StartMsg):
            return [self._start(msg.demo)]
        if isinstance(msg, StopMsg):
            return self._errors([self._summary(self.session.stop(msg.reason))])
        if isinstance(msg, PainMsg):
            if self._pains >= MAX_PAIN_REPORTS:
                return [
                    error("too_many", f"a session keeps at most {MAX_PAIN_REPORTS} pain reports")
                ]
            self._pains += 1
            report = PainReport(rating=msg.rating, where=msg.where, note=msg.note)
            if self.store is not None and self.session_id is not None:
                try:
                    self.store.add_pain(self.session_id, msg.rating, msg.where, msg.note)
                except StoreError as exc:
                    self._store_error = f"the pain report could not be stored: {exc}"
            return self._errors([self._summary(self.session.report_pain(report))])
        assert isinstance(msg, SaveMsg)
        return [self._keep(msg.type == "save")]

    def on_landmarks(self, msg: LandmarksMsg) -> list[dict[str, Any]]:
        """One frame of landmarks: a few milliseconds of computing and no I/O (a finished
        repetition's record waits for :meth:`write_due`)."""
        started = time.perf_counter()
        try:
            self._check_time(msg.t)
            frame = _frame_from(msg, self._index)
        except InputError as exc:
            return [error("bad_frame", str(exc))]
        self.session.size = (msg.width, msg.height)
        return self._advance(frame, None, started)

    # -- the session and its record --------------------------------------------------------
    def _start(self, demo: bool = False) -> dict[str, Any]:
        if self.session_id is not None and not self._finished:
            self._store(self.session.stop("ended"))
        ex, advice, stop = self.ex, [], False
        self._previous = None
        self._session_pains, self._demo = 0, demo
        self.started = True
        if self.store is not None and not demo:
            past = self.store.sessions(exercise=ex.id)
            p = plan(past, ex)
            ex, advice, stop = (
                with_hold_target(ex, p.hold_target_s),
                p.advice,
                p.stop_and_see_professional,
            )
            if past:
                last = past[-1]
                self._previous = {
                    "started_at": last.started_at.isoformat() + "Z",
                    "kind": last.kind,
                    "score": last.score,
                    "completed_count": last.completed_count,
                    "best_hold_s": last.best_hold_s,
                }
        self.session = LiveSession(ex, *self.session.size)
        self.session.start(self._last_t if math.isfinite(self._last_t) else 0.0)
        self.session_id, self._stored_reps, self._finished = None, 0, False
        if self.store is not None and not demo:
            self.session_id = self.store.begin("live", ex.id, ex.targets.hold_s)
        return {
            "type": "started",
            "hold_target_s": ex.targets.hold_s,
            "advice": advice,
            "stop_advised": stop,
            "stored": self.session_id is not None,
        }

    def _store(self, summary: LiveSummary) -> None:
        """Write what is new: finished reps (each committed at once), then the end.

        A database failure does not stop the coaching: it is reported once to the client."""
        if self.store is None or self.session_id is None:
            return
        try:
            for rep in self.session.reps[self._stored_reps :]:
                self.store.add_rep(self.session_id, rep)
                self._stored_reps += 1
            if self.session.stopped is not None and not self._finished and self._empty():
                self.store.delete(self.session_id)  # nothing happened: nothing to keep
                self.session_id, self._finished = None, True
            elif self.session.stopped is not None and not self._finished:
                self.store.finish(
                    self.session_id,
                    summary.summary,
                    camera_view=summary.camera_view,
                    pain_stop=summary.stopped == "pain",
                )
                self._finished = True
        except StoreError as exc:
            self._store_error = f"the session could not be stored: {exc}"

    def _empty(self) -> bool:
        return not self.session.reps and self._session_pains == 0 and self.session.stopped != "pain"

    def _keep(self, keep: bool) -> dict[str, Any]:
        if self.store is None or self.session_id is None:
            why = "it was a demo" if self._demo else "there was nothing to keep"
            if self.store is None:
                why = "this server keeps no sessions"
            return error("no_store", f"not stored: {why}; use Save to download it")
        if not keep:
            self.store.delete(self.session_id)
            sid, self.session_id = self.session_id, None
            return {"type": "discarded", "session_id": sid}
        return {"type": "saved", "session_id": self.session_id}

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
        return self._errors(msgs)

    @property
    def writes_due(self) -> bool:
        """Finished repetitions wait to be stored (landmark frames leave that to
        :meth:`write_due`)."""
        return (
            self.store is not None
            and self.session_id is not None
            and len(self.session.reps) > self._stored_reps
        )

    def write_due(self) -> bool:
        """Store the repetitions finished since the last write; whether anything was due."""
        if not self.writes_due:
            return False
        self._store(self.session.summary())
        return True

    def _errors(self, msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add the store's trouble, if any, to the answer (once)."""
        if self._store_error is not None:
            msgs.append(error("store", self._store_error))
            self._store_error = None
        return msgs

    def _summary(self, summary: LiveSummary) -> dict[str, Any]:
        self._store(summary)
        summary.session_id = self.session_id
        summary.previous = self._previous
        return {"type": "summary", **summary.model_dump()}


def _frame_from(msg: LandmarksMsg, index: int) -> PoseFrame:
    """The validated message as a frame (its shape and finiteness were checked by the model)."""
    if msg.image is None:
        return PoseFrame(index, msg.t)  # nobody in the picture
    if msg.visibility is None:
        raise FrameError("landmarks need their visibility (33 numbers)")
    image = np.asarray(msg.image, dtype=np.float32)
    vis = np.clip(np.asarray(msg.visibility, dtype=np.float32), 0.0, 1.0)
    world = None if msg.world is None else np.asarray(msg.world, dtype=np.float32)
    for name, arr in (("image", image), ("world", world)):
        if arr is not None and not np.isfinite(arr).all():  # finite as float64, not float32
            raise FrameError(f"{name} landmarks must be finite numbers of a sane size")
    return PoseFrame(index, msg.t, image, vis, world)
