"""Judging one repetition, frame by frame: one implementation for the offline analysis and
the live coach.

- :class:`RestBaseline` learns the person's own resting posture (the rounding measures are
  taken against it).
- :func:`rounding_of` fuses the ways a rounded upper back shows into one number.
- :func:`arm_height` reads the arms' height from the picture, against their resting length.
- :class:`FormJudge` debounces the frame rules, runs the hold timer only in good form,
  abstains from a check whose measure is missing for much of the repetition, and collects
  the fault spans with a confidence.
- :func:`event_faults` judges a repetition as a whole (release pace, jerkiness, hold length)
  and :func:`build_rep` writes it down.

The offline analysis feeds a judge the frames of each repetition after the fact, with
zero-phase filtered measures; the live coach feeds it as the frames arrive, with causal ones.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from backstretch.analysis.faults import NEEDS, fault_record
from backstretch.analysis.model import Fault, Rep, SkippedCheck
from backstretch.exercise.schema import Exercise, View
from backstretch.signal.features import REST_FORWARD_MIN_YAW, Features
from backstretch.signal.filters import fall_time

#: The measures of the resting posture that the rounding is measured against ...
ROUNDING_MEASURES = ("shoulders_offset_2d", "yaw", "head_height")
#: ... and the arms' picture lengths their height is read against.
ARM_MEASURES = ("left_arm_2d", "right_arm_2d")
BASELINE_MEASURES = ROUNDING_MEASURES + ARM_MEASURES


class RestBaseline:
    """The person's resting posture: medians of a few measures over frames with the arms
    down (at most the last ``keep`` of them). Offline it sees every rest frame of the
    recording; live, those seen so far."""

    def __init__(self, keep: int = 600) -> None:
        self._values: dict[str, deque[float]] = {m: deque(maxlen=keep) for m in BASELINE_MEASURES}

    def observe(self, f: Features, i: int, measures: tuple[str, ...] = BASELINE_MEASURES) -> None:
        for m in measures:
            v = float(getattr(f, m)[i])
            if math.isfinite(v):
                self._values[m].append(v)

    def observe_all(
        self, f: Features, rest: np.ndarray, measures: tuple[str, ...] = BASELINE_MEASURES
    ) -> None:
        for i in np.flatnonzero(rest).tolist():
            self.observe(f, i, measures)

    def get(self, measure: str, min_count: int = 5) -> float | None:
        store = self._values[measure]
        return float(np.median(store)) if len(store) >= min_count else None


def rounding_of(f: Features, base: RestBaseline, ex: Exercise) -> np.ndarray:
    """How far the upper back is rounded in each frame, in the units of ``no_rounding.min``:
    the shoulders' travel forward of the hips in the picture (protraction and upper-back
    flexion; the thing itself, seen from any side but the front) against the rest posture,
    undone for the body's turn at rest, plus a little of the head's drop. NaN where the
    shoulders or hips are not seen, no rest posture was seen, or the body was turned less
    than ``REST_FORWARD_MIN_YAW`` at rest."""
    nr = ex.faults.no_rounding
    off0, yaw0 = base.get("shoulders_offset_2d"), base.get("yaw")
    head0 = base.get("head_height")
    if off0 is None or yaw0 is None or yaw0 < REST_FORWARD_MIN_YAW:
        return np.full(len(f), np.nan)
    # undone for the turn read at rest: with the arms forward the pose model reads the body
    # turned 4 deg further on average, and up to 25 deg with a wide stance (the travel then
    # read too short); the live coach's rest posture keeps it too, where its last 2.5 s
    # would read the turn of the stretch
    turn = math.sin(math.radians(yaw0))
    score = (f.shoulders_offset_2d - off0) / turn / nr.shoulders_forward
    if head0 is not None:
        drop = np.clip((head0 - f.head_height) / nr.head_drop, 0.0, 1.0)
        score = score + nr.head_weight * np.nan_to_num(drop, nan=0.0)
    return np.asarray(score)


_NO_REST_ROUNDING = (
    "no moment standing with the arms down (shoulders and hips seen) has been seen, so the "
    "rounding has no resting posture to be measured against"
)
_NO_REST_ARMS = (
    "no moment standing with the arms down (the arms seen) has been seen, so the arms' height "
    "has no hanging length to be read against"
)


def skip_without_rest(active: set[str], base: RestBaseline) -> list[SkippedCheck]:
    """Take out of ``active`` the checks whose resting measures have not been seen (offline:
    in the whole recording; live: so far), or, for the rounding, whose body turn at rest is
    too small to see it, and say why."""
    out = []
    if all(base.get(m) is None for m in ARM_MEASURES):  # one arm's length will do
        for code in ("arms_too_low", "arms_too_high"):
            if code in active:
                active.discard(code)
                out.append(SkippedCheck(check=code, reason=_NO_REST_ARMS))
    if "no_rounding" in active:
        yaw0 = base.get("yaw")
        reason = None
        if base.get("shoulders_offset_2d") is None or yaw0 is None:
            reason = _NO_REST_ROUNDING
        elif yaw0 < REST_FORWARD_MIN_YAW:
            reason = (
                f"standing at rest the body was turned only {yaw0:.0f} deg from the camera "
                f"(under {REST_FORWARD_MIN_YAW:.0f}), so the shoulders' forward travel is not "
                "in the picture; a camera at about 45 deg can"
            )
        if reason is not None:
            active.discard("no_rounding")
            out.append(SkippedCheck(check="no_rounding", reason=reason))
    return out


def arm_height(f: Features, base: RestBaseline) -> np.ndarray:
    """The arms' elevation from straight down (deg, mean of the seen arms) that the
    arm-height faults judge, read from the picture: the wrist's drop below the shoulder over
    the arm's picture length when it hung at rest (hanging, it lies across the line of sight
    from any side, so its full length is seen). On the held frames of the rendered tune clips
    it reads 2.8 deg low on average, the pose model's 3-D arm 8 deg low (11 from the front,
    and 25 on a short body). NaN where no arm with a rest length is seen (without a rest
    posture the checks are skipped: :func:`skip_without_rest`)."""
    seen = []
    for side in ("left", "right"):
        ref = base.get(f"{side}_arm_2d")
        if ref is not None and ref > 0:
            # an arm never looks longer than it is: one seen longer now than at rest (it
            # hung bent, or the person came nearer) is measured against its length now
            length = np.fmax(ref, np.asarray(getattr(f, f"{side}_arm_2d")))
            drop = np.asarray(getattr(f, f"{side}_drop_2d")) / length
            seen.append(np.degrees(np.arccos(np.clip(drop, -1.0, 1.0))))
    if not seen:
        return np.full(len(f), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no arm seen: NaN, as meant
        return np.asarray(np.nanmean(np.stack(seen), axis=0))


@dataclass
class _Span:
    start: float
    end: float
    flagged: int = 0
    frames: int = 0


@dataclass
class FormJudge:
    """The form of one repetition, fed frame by frame while the arms are in position."""

    ex: Exercise
    enter_t: float
    checks: set[str]  # the frame rules the view can make
    hold_s: float = 0.0
    reached: bool = False  # the stretch position has been reached (the body settled in it)
    hold_start: float | None = None
    hold_end: float | None = None
    seen_s: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    spans: dict[str, list[_Span]] = field(default_factory=dict)
    _since: dict[str, float] = field(default_factory=dict)
    _off: dict[str, float] = field(default_factory=dict)
    _lasting: set[str] = field(default_factory=set)
    _pending_from: float | None = None
    _pending_s: float = 0.0

    def covered(self, code: str) -> bool:
        """Whether a check's measure has been seen for enough of the position so far."""
        need = self.ex.faults.min_coverage
        return self.total_s < self.ex.faults.settle_s or (
            self.seen_s.get(code, 0.0) >= need * self.total_s
        )

    def step(
        self,
        t: float,
        dt: float,
        raw: set[str],
        seen: set[str],
        *,
        settled: bool = True,
        moving: bool = False,
    ) -> tuple[bool, list[str]]:
        """One frame in position: ``raw`` the rules broken in it, ``seen`` the checks whose
        measure it has, ``settled`` the body has stopped moving into the stretch (the hold
        starts only once it has), ``moving`` the arms already on the way down (live: the
        release has begun). Returns whether the hold timer runs, and the lasting faults."""
        fr = self.ex.faults
        self.total_s += dt
        for c in seen & self.checks:
            self.seen_s[c] = self.seen_s.get(c, 0.0) + dt
        raw = {c for c in raw if self.covered(c)}
        lasting = self._debounce(t, raw)
        settling = t - self.enter_t < fr.settle_s
        pausing = {c for c in raw if fr.rule(c).pauses_hold}
        bad = any(fr.rule(c).pauses_hold for c in lasting) or (settling and bool(pausing)) or moving
        if not self.reached and not bad:
            # the stretch position is reached once the body has stayed settled in it (rounded,
            # where the view can see the rounding) for ``settled_for_s``; from then on the
            # hold counts from the start of that stay
            if settled and "no_rounding" not in raw:
                if self._pending_from is None:
                    self._pending_from, self._pending_s = t, 0.0
                self._pending_s += dt
                if t + dt - self._pending_from >= self.ex.detection.settled_for_s:
                    self.reached = True
                    self.hold_s += self._pending_s - dt
                    self.hold_start = self._pending_from
            else:
                self._pending_from = None
        bad = bad or not self.reached
        if not bad:
            self.hold_s += dt
            self.hold_start = t if self.hold_start is None else self.hold_start
            self.hold_end = t + dt
        if not settling and not moving:
            for c in lasting:
                spans = self.spans.setdefault(c, [])
                if spans and self._since.get(c, t) - spans[-1].end <= fr.merge_gap_s:
                    spans[-1].end = t + dt
                else:
                    spans.append(_Span(self._since.get(c, t), t + dt))
                spans[-1].frames += 1
                spans[-1].flagged += c in raw
        return not bad, lasting

    def _min_duration(self, code: str) -> float:
        own = self.ex.faults.rule(code).min_duration_s
        return self.ex.faults.min_duration_s if own is None else own

    def _debounce(self, t: float, raw: set[str]) -> list[str]:
        """Faults that last: on after ``min_duration_s`` of their flag, off only after it has
        been clear for ``merge_gap_s`` (a noisy flag does not let the timer run between blips).
        A rule that must last longer than the default (no_rounding: a breath) keeps its count
        through gaps that short on the way in too, or a flag that hovers at its threshold
        would never last that long."""
        fr = self.ex.faults
        for c in raw | self._lasting | set(self._since):
            if c in raw:
                self._since.setdefault(c, t)
                self._off.pop(c, None)
                if t - self._since[c] >= self._min_duration(c):
                    self._lasting.add(c)
            elif c in self._lasting or self._min_duration(c) > fr.min_duration_s:
                if t - self._off.setdefault(c, t) > fr.merge_gap_s:
                    self._lasting.discard(c)
                    self._since.pop(c, None)
                    self._off.pop(c, None)
            else:
                self._since.pop(c, None)
        return sorted(self._lasting)

    def faults(self, exit_t: float) -> list[Fault]:
        """The frame faults of the repetition (spans that only belong to getting out of the
        stretch, in its last ``settle_s``, are dropped, and faults that cover less than their
        rule's ``min_share`` of the position), each with a confidence: the share of
        its span the rule was seen broken, times the share of the position its measure was
        seen."""
        fr, out = self.ex.faults, []
        for code, spans in self.spans.items():
            if not self.covered(code):
                continue
            share = sum(min(s.end, exit_t) - s.start for s in spans) / max(self.total_s, 1e-9)
            if share < fr.rule(code).min_share:
                continue  # too brief a part of the position for this fault
            cover = min(1.0, self.seen_s.get(code, 0.0) / max(self.total_s, 1e-9))
            for s in spans:
                if s.start >= exit_t - fr.settle_s or s.end - s.start < self._min_duration(code):
                    continue
                conf = cover * s.flagged / max(s.frames, 1)
                out.append(fault_record(self.ex, code, s.start, min(s.end, exit_t), conf))
        return out

    def abstained(self, rep: int) -> list[SkippedCheck]:
        """The checks this repetition could not make, and why."""
        out = []
        for code in sorted(self.checks):
            if self.covered(code) or self.total_s <= 0:
                continue
            share = 1.0 - self.seen_s.get(code, 0.0) / self.total_s
            parts = NEEDS[code][1]
            out.append(SkippedCheck(
                check=code,
                reason=f"repetition {rep}: the {parts} were not seen clearly in {share:.0%} of "
                "the stretch position, so this was not judged",
            ))  # fmt: skip
        return out


def event_faults(
    ex: Exercise,
    active: set[str],
    *,
    start_t: float,
    enter_t: float,
    exit_t: float,
    end_t: float,
    release: tuple[np.ndarray, np.ndarray, float],
    shake: list[float] | np.ndarray,
    hold_s: float,
) -> list[Fault]:
    """The rules that judge a repetition as a whole. ``release``: the times and arm
    elevations from the position to the end of the repetition, and the elevation held in
    the position."""
    fr, out = ex.faults, []
    rf = fr.release_too_fast
    if "release_too_fast" in active:
        secs = fall_time(*release, floor=ex.detection.rest_deg, min_drop=rf.min_drop_deg)
        if secs is not None and secs < rf.min_fall_s:
            out.append(fault_record(ex, "release_too_fast", exit_t, end_t))
    values = np.asarray(shake, dtype=np.float64)
    values = values[np.isfinite(values)]
    if (
        "jerky_movement" in active
        and values.size
        and np.percentile(values, fr.jerky_movement.shake_percentile) > fr.jerky_movement.max_shake
    ):
        out.append(fault_record(ex, "jerky_movement", start_t, exit_t))
    if hold_s < ex.targets.hold_s:
        out.append(fault_record(ex, "hold_too_short", enter_t, exit_t))
    return out


def build_rep(
    ex: Exercise,
    index: int,
    judge: FormJudge,
    faults: list[Fault],
    *,
    start_t: float,
    end_t: float,
    position_s: float,
    confidence: float,
    peak_reach: float,
) -> Rep:
    faults = sorted(faults, key=lambda x: (x.start_s, x.code))
    return Rep(
        index=index,
        start_s=round(start_t, 2),
        hold_start_s=None if judge.hold_start is None else round(judge.hold_start, 2),
        hold_end_s=None if judge.hold_end is None else round(judge.hold_end, 2),
        end_s=round(end_t, 2),
        position_s=round(position_s, 2),
        hold_s=round(judge.hold_s, 2),
        completed=judge.hold_s >= ex.targets.hold_s and not faults,
        confidence=round(float(np.clip(confidence, 0.0, 1.0)), 3),
        peak_reach=round(peak_reach, 3) if math.isfinite(peak_reach) else 0.0,
        faults=faults,
    )


def hold_timing(view: View, checks: set[str]) -> str:
    """What the hold timer's start and end are based on, in this view."""
    if "no_rounding" in checks:
        return (
            "The hold runs from the moment the upper back is rounded with the arms forward "
            "to the moment the release begins, while the form is right."
        )
    return (
        f"In a {view} view the rounding of the upper back cannot be seen: the hold runs from "
        "the moment the arms are still in front of you to the moment the release begins."
    )
