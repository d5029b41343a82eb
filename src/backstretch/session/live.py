"""Live coaching, one pose at a time: phases, a hold timer that runs only in good form,
repetitions, faults, framing checks, the breathing pace and one cue at a time.

The session takes :class:`~backstretch.types.PoseFrame` objects, so it does not care where
the poses come from (the server's pose model today, the browser's tomorrow). It uses the
same phase machine, measures and rules as the offline analysis, with causal filters: the
measures are taken over the last ``live.window_s`` seconds of poses, and those of the present
moment are smoothed by a One Euro filter.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from backstretch.analysis.engine import KEY_POINTS
from backstretch.analysis.envelope import in_envelope
from backstretch.analysis.faults import (
    FRAME_RULES,
    active_checks,
    camera_view,
    frame_flags,
    frame_seen,
)
from backstretch.analysis.judge import (
    FormJudge,
    RestBaseline,
    arm_height,
    build_rep,
    event_faults,
    rounding_of,
    skip_without_rest,
)
from backstretch.analysis.model import Rep, SkippedCheck
from backstretch.analysis.phases import Episode, Phase, PhaseMachine
from backstretch.analysis.scoring import summarize
from backstretch.exercise.schema import Exercise, View
from backstretch.session.breathing import breath_at
from backstretch.session.cues import Cue, CueScheduler
from backstretch.session.framing import framing_problems
from backstretch.session.messages import (
    BreathOut,
    CueOut,
    LiveState,
    LiveSummary,
    PainReport,
)
from backstretch.signal.features import Features, compute_features
from backstretch.signal.filters import OneEuroFilter
from backstretch.signal.hands import attach_hands
from backstretch.signal.tracking import series_jumps
from backstretch.types import PoseFrame, PoseSeries, PoseWindow

#: Measures smoothed for the present moment; shake, speeds and yaw come from the raw window.
SMOOTHED = (
    "elevation", "straightness", "elbow_2d", "arm_2d_length", "hands_gap", "hands_gap_2d", "stance",
    "standing", "trunk_forward", "trunk_sideways", "reach", "elevation_low", "elevation_high",
    "arms_forward", "hands_off_centre", "knee_angle", "hips_over_feet", "twist",
    "shoulders_offset_2d", "head_height", "shoulder_width", "arm_height",
)  # fmt: skip
_MAX_STEP_S = 0.5  # a longer gap between frames adds at most this much to any timer
_MAX_LOG = 3600  # frames of a repetition's elevation kept (a minute at 60 fps)


@dataclass
class _RepLog:
    """What is gathered about the repetition in progress (its form: ``judge``)."""

    judge: FormJudge | None = None
    vis: list[float] = field(default_factory=list)
    reach: float = -math.inf
    shake: list[float] = field(default_factory=list)
    # every frame's (time, raw arm elevation) from the position on, for the release's pace;
    # bounded
    fall: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=_MAX_LOG))

    def log_fall(self, t: np.ndarray, elevation: np.ndarray, since: float) -> None:
        """Add the window's frames from ``since`` (the position's start) not logged yet."""
        after = self.fall[-1][0] if self.fall else -math.inf
        new = (t >= since) & (t > after)
        self.fall.extend(zip(t[new].tolist(), elevation[new].tolist(), strict=True))

    def release(self, exit_t: float) -> tuple[np.ndarray, np.ndarray, float]:
        """The times and elevations from the position on, and the elevation held in it (the
        median before ``exit_t``, as offline)."""
        t, e = np.array(self.fall, dtype=np.float64).reshape(-1, 2).T
        held = e[(t < exit_t) & np.isfinite(e)]
        return t, e, float(np.median(held)) if held.size else math.nan


class LiveSession:
    """Coach one person through one set; feed it with :meth:`push`."""

    def __init__(self, exercise: Exercise, width: int = 640, height: int = 480) -> None:
        self.ex = exercise
        self.size = (width, height)
        fl = exercise.filters
        self._smooth = OneEuroFilter(fl.live_min_cutoff_hz, fl.live_beta, fl.live_d_cutoff_hz)
        self._window = PoseWindow(exercise.live.window_s)
        self._yaws: deque[float] = deque(maxlen=600)
        self._light: deque[float] = deque(maxlen=300)  # the last pictures' brightness
        self._rest = RestBaseline()
        self._cues = CueScheduler(exercise.live.cue_min_display_s, exercise.live.cue_debounce_s)
        self._skipped: dict[str, SkippedCheck] = {}  # per repetition: a check that abstained
        self._why: dict[str, SkippedCheck] = {}  # why a check cannot be made, latest
        self._judged_checks: set[str] = set()  # checks that could be made in some repetition
        self.machine = PhaseMachine(exercise.detection)
        self.reps: list[Rep] = []
        self._log = _RepLog()
        self._episode: Episode | None = None
        self.started_t: float | None = None
        self._last_t: float | None = None
        self._rep_done_t: float | None = None
        self.stopped: Literal["done", "pain", "ended"] | None = None
        self.pain: PainReport | None = None
        self._last_active: set[str] = {"hold_too_short"}
        self._judged: LiveState | None = None  # the last judged frame's state ...
        self._judged_t = -math.inf  # ... and its time
        self.frames_judged = 0
        self._unjudged = 0
        self.judge_hz = exercise.live.judge_max_hz  # a busy server lowers it (web.load.JudgeRate)
        # the last judged window's times and raw elevations (before smoothing)
        self._raw: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))

    # -- control ---------------------------------------------------------------------------
    def start(self, t: float | None = None) -> None:
        """Begin coaching (frames before this only check the framing)."""
        self.started_t = t if t is not None else (self._last_t or 0.0)

    @property
    def finished(self) -> bool:
        return self.stopped is not None or len(self.reps) >= self.ex.targets.reps_max

    def stop(self, reason: Literal["done", "pain", "ended"] = "done") -> LiveSummary:
        """End the session now; a repetition in progress counts if it was long enough."""
        if self.stopped is None:
            self.stopped = reason
            before = len(self.machine.episodes)
            self.machine.finish(self._last_t or 0.0)
            if len(self.machine.episodes) > before:
                self._close_rep(self.machine.episodes[-1], self._last_active)
        return self.summary()

    def report_pain(self, report: PainReport) -> LiveSummary:
        self.pain = report
        if self.stopped is None:
            self.stop("pain")
        return self.summary()

    def summary(self) -> LiveSummary:
        reps, ex = self.reps, self.ex
        start = self.started_t if self.started_t is not None else 0.0
        view = self._view()[0] if self._yaws else None
        return LiveSummary(
            exercise=ex.id,
            stopped=self.stopped or "ended",
            duration_s=round(max(0.0, (self._last_t or start) - start), 2),
            camera_view=view,
            reps=reps,
            summary=summarize(reps, ex),
            pain=self.pain,
            safety=ex.safety if self.stopped == "pain" or self.pain is not None else None,
            hold_target_s=ex.targets.hold_s,
            checks_skipped=[*self._never_judged(), *self._skipped.values()],
        )

    def _never_judged(self) -> list[SkippedCheck]:
        """The checks no repetition could make, with the last reason seen while the arms were
        up. A check that could not be made only before the first repetition (the window still
        filling, no rest posture seen yet, the hands read only with the arms up) was made."""
        return [sk for code, sk in self._why.items() if code not in self._judged_checks]

    # -- frames ----------------------------------------------------------------------------
    def push(self, frame: PoseFrame, brightness: float | None = None) -> LiveState:
        """Take the pose of the next frame (``brightness``: mean picture brightness 0-1).

        At most ``judge_hz`` (``live.judge_max_hz``) frames a second are judged; a frame
        sooner after the last judged one (with the person still in view, or still not) enters
        the measures' window and gets the last judgement, with its own time and landmarks."""
        t = frame.t
        step = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        self._remember(frame)
        last = self._judged
        if (
            last is not None
            # judged when it is nearer the next judging time than the frame after it would be
            and t - self._judged_t + step / 2 < 1.0 / self.judge_hz - 1e-6
            and (last.landmarks is not None) == (frame.image is not None)
            and not self.finished
        ):
            return last.model_copy(update={"t": round(t, 3), "landmarks": _landmarks(frame)})
        state = self._judge(frame, brightness)
        self._judged, self._judged_t, self._unjudged = state, t, 0
        self.frames_judged += 1
        return state

    def _judge(self, frame: PoseFrame, brightness: float | None) -> LiveState:
        t = frame.t
        dt = 0.0 if self._judged is None else min(max(0.0, t - self._judged_t), _MAX_STEP_S)
        series = self._window.series()
        series.extra.update(width=self.size[0], height=self.size[1])
        f = self._measure(frame, series)
        framing = framing_problems(frame, self.ex, brightness)
        if self._jumped(t, series):
            framing.append("someone_else")
        say = self.ex.live.say
        candidates = [Cue("framing", getattr(say, framing[0]))] if framing else []
        state = LiveState(
            t=round(t, 3),
            phase="setup",
            step="Get ready",
            hold_s=0.0,
            hold_target_s=self.ex.targets.hold_s,
            hold_left_s=self.ex.targets.hold_s,
            holding=False,
            rep=0,
            rep_count=len(self.reps),
            reps_target=self.ex.targets.reps_max,
            framing=[getattr(say, p) for p in framing],
            landmarks=_landmarks(frame),
        )
        if f is not None and np.isfinite(f.yaw[-1]):
            self._yaws.append(float(f.yaw[-1]))
        if brightness is not None:
            self._light.append(brightness)
        light = float(np.median(self._light)) if self._light else None
        active: set[str] = {"hold_too_short"}
        if self._yaws:
            view, _ = self._view()
            state.view = view
            if f is not None:
                active, skipped = active_checks(self.ex, view, f, light)
                skipped.extend(skip_without_rest(active, self._rest))
                state.checks_unavailable = [
                    f"{s.check.replace('_', ' ')}: {s.reason}" for s in skipped
                ]
                arms_up = self.machine.current is not None
                for sk in skipped:
                    if arms_up or sk.check not in self._why:
                        self._why[sk.check] = sk
                if arms_up:
                    self._judged_checks |= active
        if self.started_t is None or self.finished:
            if self.finished:
                state.phase, state.step, state.finished = "finished", "Done", True
                candidates.append(Cue("encouragement", say.set_done))
            state.cue = _cue_out(self._cues.offer(t, candidates))
            return state
        self._last_active = active
        self._coach(t, dt, f, active, state, candidates)
        state.cue = _cue_out(self._cues.offer(t, candidates))
        return state

    def _coach(
        self,
        t: float,
        dt: float,
        f: Features | None,
        active: set[str],
        state: LiveState,
        candidates: list[Cue],
    ) -> None:
        ex, det = self.ex, self.ex.detection
        elevation = float(f.elevation[-1]) if f is not None else math.nan
        gate = bool(in_envelope(f, ex)[-1]) if f is not None else True
        before = len(self.machine.episodes)
        phase = self.machine.update(t, elevation, gate)
        closed = len(self.machine.episodes) > before
        if f is not None and (phase in (Phase.POSITION, Phase.RELEASING) or closed):
            ep = self.machine.episodes[-1] if closed else self.machine.current
            if ep is not None:
                self._log.log_fall(*self._raw, since=ep.enter_t)
        if closed:
            self._close_rep(self.machine.episodes[-1], active)
        if self.machine.current is not self._episode:
            self._episode, self._log = self.machine.current, _RepLog()
        if phase is Phase.REST and f is not None and elevation < det.exit_deg:
            self._rest.observe(f, len(f) - 1)
        state.phase = phase.value
        state.rep_count = len(self.reps)
        steps = [s for s in ex.steps if s.phase == phase.value]
        step = steps[0] if steps else ex.steps[0]
        ep, log = self.machine.current, self._log
        if ep is not None:
            state.rep = len(self.reps) + 1
            if f is not None:
                vis = f.extra.get("key_visibility", 0.0)
                log.vis.append(vis)
                # the middle of the window: the band-pass is unreliable at its ends
                mid = float(f.shake[len(f) // 2])
                if np.isfinite(mid):
                    log.shake.append(mid)
        if phase is Phase.POSITION and ep is not None:
            self._hold(t, dt, f, ep, active, state)
            if log.judge is not None and log.judge.hold_s > 0 and len(steps) > 1:
                step = steps[1]
        held = log.judge.hold_s if log.judge is not None else 0.0
        state.step = step.title
        state.hold_s = round(held, 2)
        state.hold_left_s = round(max(0.0, ex.targets.hold_s - held), 2)
        form = [Cue("form", ex.faults.rule(c).message) for c in state.faults[:1]]
        candidates.extend(form)
        if state.hold_left_s == 0 and phase is Phase.POSITION:
            candidates.append(Cue("encouragement", ex.live.say.hold_done))
        elif (
            phase is Phase.REST
            and self._rep_done_t is not None
            and t - self._rep_done_t < ex.targets.rest_between_s
        ):
            text = ex.live.say.rep_done.format(n=len(self.reps))
            candidates.append(Cue("encouragement", text))
        elif not form:
            candidates.append(Cue("step", step.cue))
        if self.finished:
            state.finished = True
            candidates.append(Cue("encouragement", ex.live.say.set_done))

    def _hold(
        self,
        t: float,
        dt: float,
        f: Features | None,
        ep: Episode,
        active: set[str],
        state: LiveState,
    ) -> None:
        """Advance the hold timer when the form is right; note faults that last."""
        log = self._log
        if log.judge is None:
            log.judge = FormJudge(self.ex, ep.enter_t, {c for c in active if c in FRAME_RULES})
        raw: set[str] = set()
        seen: set[str] = set()
        lowering, settled = False, True
        if f is not None:
            view, _ = self._view()
            rounding = rounding_of(f, self._rest, self.ex)
            flags = frame_flags(f, self.ex, view, rounding, active)
            raw = {c for c, arr in flags.items() if arr[-1]}
            seen = {c for c, arr in frame_seen(f, rounding, active, self.ex).items() if arr[-1]}
            reach = f.reach[-1]
            if np.isfinite(reach):
                log.reach = max(log.reach, float(reach))
            # arms already on the way down: the release has begun before the exit threshold
            onset = self.ex.detection.onset_speed_deg_s
            lowering = max(f.extra["speed"], f.extra["speed_long"]) < -onset
            settled = not (f.settle_speed[-1] > self.ex.detection.settled_speed)
        holding, lasting = log.judge.step(
            t, dt, raw, seen, settled=settled, moving=lowering or f is None
        )
        state.holding = holding
        state.faults = lasting
        pausing = [c for c in lasting if self.ex.faults.rule(c).pauses_hold]
        if pausing and not holding:
            state.paused_reason = self.ex.faults.rule(pausing[0]).message
        elif not holding:
            state.paused_reason = (
                self.ex.live.say.settling if f is not None else self.ex.live.say.no_person
            )
        if holding:
            b = breath_at(t - (log.judge.hold_start or t), *self._pace())
            state.breath = BreathOut(
                phase=b.phase, progress=round(b.progress, 3), seconds_left=round(b.seconds_left, 2)
            )

    def _pace(self) -> tuple[float, float]:
        return self.ex.targets.breath_in_s, self.ex.targets.breath_out_s

    def _close_rep(self, ep: Episode, active: set[str]) -> None:
        ex, log = self.ex, self._log
        judge = log.judge or FormJudge(ex, ep.enter_t, set())
        faults = judge.faults(ep.exit_t) + event_faults(
            ex,
            active,
            start_t=ep.start_t,
            enter_t=ep.enter_t,
            exit_t=ep.exit_t,
            end_t=ep.end_t,
            release=log.release(ep.exit_t),
            shake=log.shake,
            hold_s=judge.hold_s,
        )
        rep = build_rep(
            ex,
            len(self.reps) + 1,
            judge,
            faults,
            start_t=ep.start_t,
            end_t=ep.end_t,
            position_s=ep.position_s,
            confidence=float(np.mean(log.vis)) if log.vis else 0.0,
            peak_reach=log.reach,
        )
        self.reps.append(rep)
        for sk in judge.abstained(rep.index):
            self._skipped[f"{sk.check}:{rep.index}"] = sk
        self._rep_done_t = ep.end_t

    # -- measures --------------------------------------------------------------------------
    def _remember(self, frame: PoseFrame) -> None:
        self._unjudged += 1  # frames since the last judged one, this one included
        self._window.append(frame)

    def _measure(self, frame: PoseFrame, series: PoseSeries) -> Features | None:
        """The measures over the recent window; None when the last frame shows nobody."""
        if not frame.detected:
            return None
        f = compute_features(
            series,
            min_visibility=self.ex.detection.min_visibility,
            cutoff_hz=None,
            interp_max_gap_s=self.ex.filters.interp_max_gap_s,
            causal=True,
        )
        attach_hands(f, series.hands)
        f.arm_height = arm_height(f, self._rest)  # before smoothing, in degrees
        f.extra["key_visibility"] = float(np.mean(series.visibility[-1, KEY_POINTS]))
        win = self.ex.live.release_speed_window_s
        # the fastest lowering since the last judged frame: a quick release between two
        # judgements is not missed
        fresh = range(max(1, len(f) - self._unjudged), len(f) + 1)
        f.extra["speed"] = min(_slope(f.t[:j], f.elevation[:j], win) for j in fresh)
        f.extra["speed_long"] = _slope(f.t, f.elevation, 2 * win)
        self._raw = (f.t, f.elevation.copy())
        # the measures of this moment, smoothed causally (One Euro); the window keeps the raw
        # ones, which the shake and speeds need
        now = np.array([getattr(f, m)[-1] for m in SMOOTHED])
        for m, v in zip(SMOOTHED, self._smooth(frame.t, now).tolist(), strict=True):
            getattr(f, m)[-1] = v
        return f

    def _jumped(self, t: float, series: PoseSeries) -> bool:
        """The pose jumped to another place in the picture in the last ``cue_debounce_s`` +
        1 s (the same rule as the offline report's warning)."""
        det = self.ex.detection
        jumps = series_jumps(series, max_jump=det.max_jump_torso, max_gap_s=det.jump_max_gap_s)
        return bool(len(jumps)) and float(jumps[-1]) >= t - self.ex.live.cue_debounce_s - 1.0

    def _view(self) -> tuple[View, float | None]:
        return camera_view(np.asarray(self._yaws), self.ex)


def _slope(t: np.ndarray, x: np.ndarray, span_s: float) -> float:
    """Mean rate of change of ``x`` over the last ``span_s`` seconds (0 when unknown)."""
    j = int(np.searchsorted(t, t[-1] - span_s))
    if j >= len(t) - 1 or not (np.isfinite(x[j]) and np.isfinite(x[-1])):
        return 0.0
    return float((x[-1] - x[j]) / (t[-1] - t[j]))


def _cue_out(cue: Cue | None) -> CueOut | None:
    return None if cue is None else CueOut(id=cue.id, kind=cue.kind, text=cue.text)


def _landmarks(frame: PoseFrame) -> list[list[float]] | None:
    if frame.image is None or frame.visibility is None:
        return None
    pts = np.column_stack([frame.image[:, :2], frame.visibility])
    return np.round(pts.astype(np.float64), 4).tolist()
