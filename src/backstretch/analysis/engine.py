"""The analysis engine: poses in, report out.

Frames stream in (memory grows by about 1 KB a frame), then the recording is measured with
zero-phase filters, cut into phases by the same state machine the live coach uses, and
each repetition is judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from backstretch.analysis.faults import (
    active_checks,
    camera_view,
    fault_record,
    frame_flags,
    intervals,
)
from backstretch.analysis.model import Fault, Rep, Report, VideoFacts
from backstretch.analysis.phases import Episode, Phase, PhaseMachine
from backstretch.analysis.report_text import warnings_for
from backstretch.analysis.scoring import summarize
from backstretch.errors import NoPersonError
from backstretch.exercise.schema import Exercise
from backstretch.signal.features import Features, compute_features
from backstretch.types import Landmark, PoseFrame, PoseSeries, VideoInfo

KEY_POINTS = [
    int(m)
    for m in (
        Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_WRIST,
        Landmark.RIGHT_WRIST, Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
    )
]  # fmt: skip


@dataclass
class Timeline:
    """What the analysis saw in every frame (for plots and the annotated video)."""

    t: np.ndarray
    phase: np.ndarray  # Phase values as strings
    form_ok: np.ndarray
    hold_clock: np.ndarray  # seconds held in good form so far in the current repetition
    rep: np.ndarray  # 1-based repetition number, 0 outside repetitions
    faults: list[list[str]]  # fault codes reported in each frame
    rounding: np.ndarray  # upper-back rounding against the person's rest posture, deg


@dataclass
class Analysis:
    report: Report
    timeline: Timeline
    features: Features
    series: PoseSeries


def analyze_frames(
    frames: Iterable[PoseFrame],
    info: VideoInfo,
    exercise: Exercise,
    on_frame: Callable[[PoseFrame], None] | None = None,
) -> Analysis:
    """Analyse streamed frames; ``on_frame`` is called after each one (progress)."""
    kept: list[PoseFrame] = []
    for f in frames:
        kept.append(f)
        if on_frame is not None:
            on_frame(f)
    return analyze_series(PoseSeries.from_frames(kept), info, exercise)


def _episodes(f: Features, ex: Exercise) -> list[Episode]:
    det = ex.detection
    gate = ~(np.nan_to_num(f.hands_gap, nan=0.0) > det.max_hands_gap)
    gate &= ~(np.nan_to_num(f.standing, nan=np.inf) < det.standing_min)
    machine = PhaseMachine(det)
    for t, e, g in zip(f.t.tolist(), f.elevation.tolist(), gate.tolist(), strict=True):
        machine.update(t, e, g)
    return machine.finish(float(f.t[-1]))


def _walk(speed: np.ndarray, i: int, step: int, sign: float, limit: float, lo: int, hi: int) -> int:
    """Move from frame ``i`` by ``step`` while the arms still move (sign * speed > limit)."""
    while lo <= i + step < hi and sign * np.nan_to_num(speed[i + step]) > limit:
        i += step
    return i


def _refine(ep: Episode, f: Features, ex: Exercise) -> tuple[int, int, int, int]:
    """Frame indices (start, enter, exit, end) moved from threshold crossings to movement onsets."""
    t, v, lim = f.t, f.elevation_speed, ex.detection.onset_speed_deg_s
    i_start, i_enter, i_exit, i_end = (
        int(np.searchsorted(t, x)) for x in (ep.start_t, ep.enter_t, ep.exit_t, ep.end_t)
    )
    i_end = min(i_end, len(t) - 1)
    i_start = _walk(v, i_start, -1, 1.0, lim, 0, i_enter)
    i_exit = max(_walk(v, i_exit, -1, -1.0, lim, i_enter + 1, i_exit + 1), i_enter + 1)
    i_end = _walk(v, i_end, 1, -1.0, lim, i_end, len(t))
    return i_start, i_enter, i_exit, max(i_end, i_exit)


@dataclass
class _Context:
    f: Features
    ex: Exercise
    dt: np.ndarray
    flags: dict[str, np.ndarray]
    active: set[str]
    vis: np.ndarray
    tl: Timeline


def _judge(k: int, idx: tuple[int, int, int, int], c: _Context) -> Rep:
    """Judge one repetition and write what was seen into the timeline."""
    f, ex, dt, tl, fr = c.f, c.ex, c.dt, c.tl, c.ex.faults
    t = f.t
    i_start, i_enter, i_exit, i_end = idx
    span = slice(i_start, i_end + 1)
    tl.rep[span] = k
    tl.phase[i_start:i_enter] = Phase.RAISING.value
    tl.phase[i_enter:i_exit] = Phase.POSITION.value
    tl.phase[i_exit : i_end + 1] = Phase.RELEASING.value
    pos = np.zeros(len(t), dtype=bool)
    pos[i_enter:i_exit] = True
    p0, p1 = float(t[i_enter]), float(t[i_exit])
    bad = np.zeros(len(t), dtype=bool)
    faults: list[Fault] = []
    for code, flag in c.flags.items():
        raw = flag & pos
        # at the edges of the position every raw frame counts; in the middle, no blips
        edge = pos & ((t < p0 + fr.settle_s) | (t >= p1 - fr.settle_s))
        bad |= raw & edge
        for a, b in intervals(t, raw, fr.min_duration_s, fr.merge_gap_s):
            bad[a:b] = True
            s, e = float(t[a]), float(t[b - 1] + dt[b - 1])
            if (s < p0 + fr.settle_s and e <= p0 + fr.settle_s) or s >= p1 - fr.settle_s:
                continue  # getting into or out of the stretch
            faults.append(fault_record(ex, code, s, e))
            for i in range(a, b):
                tl.faults[i].append(code)
    ok = pos & ~bad
    tl.form_ok |= ok
    tl.hold_clock[span] = np.cumsum(np.where(ok, dt, 0.0)[span])
    hold_s = float(dt[ok].sum())
    end_t = float(t[i_end])
    speed = f.elevation_speed[i_exit : i_end + 1]
    fast = float(-np.nanmin(speed, initial=0.0))
    if "release_too_fast" in c.active and fast > fr.release_too_fast.max_speed_deg_s:
        faults.append(fault_record(ex, "release_too_fast", p1, end_t))
    shake = f.shake[i_start:i_exit]
    shake = shake[np.isfinite(shake)]
    jerky = shake.size and np.percentile(shake, 95) > fr.jerky_movement.max_shake
    if "jerky_movement" in c.active and jerky:
        faults.append(fault_record(ex, "jerky_movement", float(t[i_start]), p1))
    if hold_s < ex.targets.hold_s:
        faults.append(fault_record(ex, "hold_too_short", p0, p1))
    faults.sort(key=lambda x: (x.start_s, x.code))
    ok_idx = np.flatnonzero(ok)
    reach = f.reach[pos]
    reach = reach[np.isfinite(reach)]
    return Rep(
        index=k,
        start_s=round(float(t[i_start]), 2),
        hold_start_s=round(float(t[ok_idx[0]]), 2) if ok_idx.size else None,
        hold_end_s=round(float(t[ok_idx[-1]] + dt[ok_idx[-1]]), 2) if ok_idx.size else None,
        end_s=round(end_t, 2),
        position_s=round(float(dt[pos].sum()), 2),
        hold_s=round(hold_s, 2),
        completed=hold_s >= ex.targets.hold_s and not faults,
        confidence=round(float(np.clip(c.vis[span].mean(), 0.0, 1.0)), 3),
        peak_reach=round(float(reach.max()), 3) if reach.size else 0.0,
        faults=faults,
    )


def analyze_series(series: PoseSeries, info: VideoInfo, ex: Exercise) -> Analysis:
    """Judge a whole recording."""
    series.extra.setdefault("width", info.width)
    series.extra.setdefault("height", info.height)
    n = len(series)
    share = float(series.detected.mean()) if n else 0.0
    if n == 0 or share < ex.detection.min_detected_fraction:
        found = (
            "no person was found"
            if share == 0
            else f"a person was found in only {share:.0%} of the frames"
        )
        raise NoPersonError(
            f"{info.source}: {found}; film the whole body, well lit, one person in view"
        )

    f = compute_features(
        series,
        min_visibility=ex.detection.min_visibility,
        cutoff_hz=ex.filters.offline_cutoff_hz,
        order=ex.filters.offline_order,
        interp_max_gap_s=ex.filters.interp_max_gap_s,
    )
    t = f.t
    step = float(np.median(np.diff(t))) if n > 1 else 1.0 / info.fps
    dt = np.diff(t, append=t[-1] + step)
    view, yaw = camera_view(f.yaw[f.detected], ex)
    episodes = _episodes(f, ex)
    refined = [_refine(ep, f, ex) for ep in episodes]

    tl = Timeline(
        t=t,
        phase=np.full(n, Phase.REST.value, dtype=object),
        form_ok=np.zeros(n, dtype=bool),
        hold_clock=np.zeros(n),
        rep=np.zeros(n, dtype=np.int32),
        faults=[[] for _ in range(n)],
        rounding=np.zeros(n),
    )
    in_rep = np.zeros(n, dtype=bool)
    for a, _, _, b in refined:
        in_rep[a : b + 1] = True
    rest = (
        ~in_rep
        & np.isfinite(f.rounding_raw)
        & (np.nan_to_num(f.elevation, nan=90.0) < ex.detection.rest_deg)
    )
    nr = ex.faults.no_rounding
    base = float(np.median(f.rounding_raw[rest])) if dt[rest].sum() >= 1.0 else nr.default_rest_deg
    tl.rounding = f.rounding_raw - base

    active, skipped = active_checks(ex, view, f)
    flags = frame_flags(f, ex, view, tl.rounding, active)
    vis = np.where(series.detected[:, None], series.visibility[:, KEY_POINTS], 0.0).mean(axis=1)
    ctx = _Context(f, ex, dt, flags, active, vis, tl)
    reps = [_judge(k, idx, ctx) for k, idx in enumerate(refined, start=1)]

    summary = summarize(reps, ex)
    report = Report(
        exercise=ex.id,
        video=VideoFacts(
            source=info.source,
            fps=round(info.fps, 3),
            frames=n,
            duration_s=round(float(t[-1] + dt[-1]), 3),
            width=info.width,
            height=info.height,
        ),
        camera_view=view,
        camera_yaw_deg=yaw,
        camera_advice=ex.camera_advice,
        reps=reps,
        summary=summary,
        checks_skipped=skipped,
        warnings=warnings_for(series, f, share, view),
        targets={
            "hold_s": ex.targets.hold_s,
            "reps_min": ex.targets.reps_min,
            "reps_max": ex.targets.reps_max,
        },
    )
    return Analysis(report, tl, f, series)
