"""The analysis engine: poses in, report out.

Frames stream in (memory grows by about 1 KB a frame), then the recording is measured with
zero-phase filters, cut into phases by the same state machine the live coach uses, and
each repetition is judged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from backstretch.analysis.envelope import in_envelope, why_not
from backstretch.analysis.faults import (
    FRAME_RULES,
    active_checks,
    camera_view,
    frame_flags,
    frame_seen,
)
from backstretch.analysis.judge import (
    ARM_MEASURES,
    ROUNDING_MEASURES,
    FormJudge,
    RestBaseline,
    arm_height,
    build_rep,
    event_faults,
    hold_timing,
    rounding_of,
    skip_without_rest,
)
from backstretch.analysis.model import Rep, Report, VideoFacts
from backstretch.analysis.phases import Episode, Phase, PhaseMachine
from backstretch.analysis.report_text import out_of_picture, warnings_for
from backstretch.analysis.scoring import summarize
from backstretch.errors import NoPersonError, VideoError
from backstretch.exercise.schema import Exercise
from backstretch.signal.features import Features, compute_features
from backstretch.signal.hands import attach_hands
from backstretch.signal.tracking import series_jumps
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
    rounding: np.ndarray  # upper-back rounding against the person's rest posture (score)


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
    brightness: Sequence[float] | None = None,
) -> Analysis:
    """Analyse streamed frames; ``on_frame`` is called after each one (progress).
    ``brightness``: the pictures' mean brightness (0-1), filled as the frames stream."""
    kept: list[PoseFrame] = []
    for f in frames:
        kept.append(f)
        if on_frame is not None:
            on_frame(f)
    series = PoseSeries.from_frames(kept)
    if brightness:
        series.extra["brightness"] = float(np.median(brightness))
    return analyze_series(series, info, exercise)


def _episodes(f: Features, ex: Exercise) -> list[Episode]:
    gate = in_envelope(f, ex)
    machine = PhaseMachine(ex.detection)
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
    seen: dict[str, np.ndarray]
    active: set[str]
    vis: np.ndarray
    tl: Timeline


def _judge(k: int, idx: tuple[int, int, int, int], c: _Context) -> tuple[Rep, FormJudge]:
    """Judge one repetition (the frames fed to the same judge as live) and write what was
    seen into the timeline."""
    f, ex, dt, tl = c.f, c.ex, c.dt, c.tl
    t = f.t
    i_start, i_enter, i_exit, i_end = idx
    span = slice(i_start, i_end + 1)
    tl.rep[span] = k
    tl.phase[i_start:i_enter] = Phase.RAISING.value
    tl.phase[i_enter:i_exit] = Phase.POSITION.value
    tl.phase[i_exit : i_end + 1] = Phase.RELEASING.value
    p0, p1 = float(t[i_enter]), float(t[i_exit])
    judge = FormJudge(ex, p0, {x for x in c.active if x in FRAME_RULES})
    settled = ~(np.nan_to_num(f.settle_speed, nan=0.0) > ex.detection.settled_speed)
    for i in range(i_enter, i_exit):
        raw = {code for code, flag in c.flags.items() if flag[i]}
        seen = {code for code, s in c.seen.items() if s[i]}
        holding, lasting = judge.step(float(t[i]), float(dt[i]), raw, seen, settled=settled[i])
        tl.form_ok[i] = holding
        tl.faults[i].extend(x for x in lasting if x in raw)
        tl.hold_clock[i] = judge.hold_s
    tl.hold_clock[i_exit : i_end + 1] = judge.hold_s
    end_t = float(t[i_end])
    faults = judge.faults(p1) + event_faults(
        ex,
        c.active,
        start_t=float(t[i_start]),
        enter_t=p0,
        exit_t=p1,
        end_t=end_t,
        release=(
            t[i_enter : i_end + 1],
            f.elevation[i_enter : i_end + 1],
            float(np.nanmedian(f.elevation[i_enter:i_exit])),
        ),
        shake=f.shake[i_start:i_exit],
        hold_s=judge.hold_s,
    )
    reach = f.reach[i_enter:i_exit]
    reach = reach[np.isfinite(reach)]
    rep = build_rep(
        ex,
        k,
        judge,
        faults,
        start_t=float(t[i_start]),
        end_t=end_t,
        position_s=float(dt[i_enter:i_exit].sum()),
        confidence=float(c.vis[span].mean()),
        peak_reach=float(reach.max()) if reach.size else math.nan,
    )
    return rep, judge


def person_height_px(series: PoseSeries, height: int) -> float:
    """The person's median height in the picture from nose to the lower ankle, in pixels
    (infinite when unknown: a recording without a picture size, or no ankle in view)."""
    img = series.image[series.detected]
    if not len(img) or height <= 1:  # 1: a recording that does not know its picture size
        return math.inf
    span = (
        np.maximum(img[:, Landmark.LEFT_ANKLE, 1], img[:, Landmark.RIGHT_ANKLE, 1])
        - img[:, Landmark.NOSE, 1]
    )
    value = float(np.nanmedian(span)) * height if np.isfinite(span).any() else math.inf
    return value if value > 0 else math.inf


def analyze_series(series: PoseSeries, info: VideoInfo, ex: Exercise) -> Analysis:
    """Judge a whole recording."""
    series.extra.setdefault("width", info.width)
    series.extra.setdefault("height", info.height)
    n = len(series)
    if n == 1:  # a photo under a video's name reads as a one-frame video
        raise VideoError(
            f"{info.source}: it holds a single picture, not a video; the analysis needs a "
            "recording of the stretch"
        )
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
    tall = person_height_px(series, info.height)
    if tall < ex.detection.min_person_px:
        raise NoPersonError(
            f"{info.source}: the person is only {tall:.0f} pixels tall from nose to ankle in "
            f"the picture; at least {ex.detection.min_person_px:.0f} are needed to judge the "
            "form. Move the camera closer or film at a higher resolution."
        )

    f = compute_features(
        series,
        min_visibility=ex.detection.min_visibility,
        cutoff_hz=ex.filters.offline_cutoff_hz,
        order=ex.filters.offline_order,
        interp_max_gap_s=ex.filters.interp_max_gap_s,
    )
    attach_hands(f, series.hands)
    t = f.t
    step = float(np.median(np.diff(t))) if n > 1 else 1.0 / info.fps
    dt = np.diff(t, append=t[-1] + step)
    view, yaw = camera_view(f.yaw[f.detected], ex)
    # The arms' height is read before the repetitions are found (the envelope judges it too),
    # against their length in every frame with the arms down; the rounding's resting posture
    # comes from the frames outside the repetitions (below).
    arms_down = np.nan_to_num(f.elevation, nan=90.0) < ex.detection.exit_deg
    base = RestBaseline(keep=n)
    base.observe_all(f, arms_down, ARM_MEASURES)
    f.arm_height = arm_height(f, base)
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
    base.observe_all(f, ~in_rep & arms_down, ROUNDING_MEASURES)
    tl.rounding = rounding_of(f, base, ex)

    light = series.extra.get("brightness")
    active, skipped = active_checks(ex, view, f, light)
    skipped.extend(skip_without_rest(active, base))
    flags = frame_flags(f, ex, view, tl.rounding, active)
    seen = frame_seen(f, tl.rounding, active, ex)
    vis = np.where(series.detected[:, None], series.visibility[:, KEY_POINTS], 0.0).mean(axis=1)
    ctx = _Context(f, ex, dt, flags, seen, active, vis, tl)
    judged = [_judge(k, idx, ctx) for k, idx in enumerate(refined, start=1)]
    reps = [r for r, _ in judged]
    for k, (_, judge) in enumerate(judged, start=1):
        skipped.extend(judge.abstained(k))
    warnings_extra: list[str] = []
    if light is not None and light < ex.live.min_brightness:
        warnings_extra.append(
            f"The video is dark (brightness {light:.0%}): the pose model misses joints and its "
            "landmarks shake in low light, so read the results with care. Film with more light."
        )
    det = ex.detection
    jumps = series_jumps(series, max_jump=det.max_jump_torso, max_gap_s=det.jump_max_gap_s)
    if len(jumps):
        at = ", ".join(f"{x:.1f} s" for x in jumps[:5]) + (", ..." if len(jumps) > 5 else "")
        warnings_extra.append(
            f"The pose jumped from one place in the picture to another {len(jumps)} time"
            f"{'s' if len(jumps) > 1 else ''} (at {at}): someone else may be in the picture, "
            "or you were lost for a moment and found elsewhere, so what was measured around "
            "then may not be you. Film with only yourself in view."
        )
    if not reps:  # say what was seen instead of the stretch
        raised = np.nan_to_num(f.elevation, nan=0.0) >= ex.detection.enter_deg
        reasons = why_not(f, ex, raised)
        if out_of_picture(series) >= 0.5:  # what was "seen" is then mostly guessed joints
            reasons = ["the body was cut off by the edge of the picture for most of the video, "
                       "so the stretch position could not be checked"]  # fmt: skip
        if reasons:
            warnings_extra.append(f"No repetition: {'; '.join(reasons)}.")

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
        hold_timing=hold_timing(view, active),
        warnings=[*warnings_for(series, f, share, view), *warnings_extra],
        targets={
            "hold_s": ex.targets.hold_s,
            "reps_min": ex.targets.reps_min,
            "reps_max": ex.targets.reps_max,
        },
    )
    return Analysis(report, tl, f, series)
