"""Timelines of movements (the stretch, its faults, other movements) and their truth."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from backstretch.pose.synthetic.body import POSE_FIELDS, Body, BodyPose


@dataclass(frozen=True)
class Segment:
    """Move from the previous pose to ``to`` over ``duration`` seconds (minimum-jerk)."""

    duration: float
    phase: str
    to: dict[str, float] = field(default_factory=dict)
    label: str = ""


@dataclass
class RepTruth:
    """A scripted repetition: its times and the faults acted out in it."""

    start_s: float
    hold_start_s: float
    hold_end_s: float
    end_s: float
    faults: list[str]


@dataclass(frozen=True)
class FormLimits:
    """Good form in terms of the true pose numbers (defaults: the built-in exercise's)."""

    min_elevation: float = 65.0
    max_elevation: float = 112.0
    min_straightness: float = 0.9
    max_hands_gap: float = 0.4  # torso lengths
    min_rounding: float = 7.0
    min_stance: float = 0.4  # torso lengths
    max_stance: float = 1.2
    max_lean: float = 20.0
    front_max_yaw: float = 25.0  # rounding and forward lean are not seen from the front
    side_min_yaw: float = 65.0  # stance is not seen from the side


#: Faults each view cannot see, so a truth for that view does not expect them.
UNSEEN = {
    "front": {"no_rounding", "trunk_leaning"},  # the scripted lean is forward, towards the camera
    "side": {"stance_too_narrow", "stance_too_wide", "hands_apart"},
}


@dataclass
class Script:
    """A timeline of segments plus what it is: the truth the analysis should find."""

    segments: list[Segment]
    start: BodyPose = field(default_factory=BodyPose)
    reps: list[RepTruth] = field(default_factory=list)
    name: str = ""

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    def pose_at(self, t: float) -> tuple[BodyPose, str]:
        pose, t0 = self.start, 0.0
        for seg in self.segments:
            target = replace(pose, **seg.to)
            if t < t0 + seg.duration:
                u = (t - t0) / seg.duration if seg.duration > 0 else 1.0
                w = u * u * u * (10 - 15 * u + 6 * u * u)  # minimum-jerk profile
                mixed = {
                    k: getattr(pose, k) + (getattr(target, k) - getattr(pose, k)) * w
                    for k in POSE_FIELDS
                }
                return BodyPose(**mixed), seg.phase
            pose, t0 = target, t0 + seg.duration
        return pose, self.segments[-1].phase if self.segments else "rest"

    def truth(
        self, body: Body, yaw: float, fps: float, limits: FormLimits | None = None
    ) -> dict[str, Any]:
        """What happened, frame by frame from the true pose: times, holds and faults per rep."""
        lim = limits or FormLimits()
        view = (
            "front"
            if yaw <= lim.front_max_yaw
            else "side"
            if yaw >= lim.side_min_yaw
            else "oblique"
        )
        a, b, torso = body.upper_arm, body.forearm, body.torso * body.height
        times = np.arange(round(self.duration * fps)) / fps
        good = np.zeros(len(times), dtype=bool)
        for i, t in enumerate(times):
            p, phase = self.pose_at(float(t))
            inner = math.radians(180.0 - p.elbow_flex)
            straight = math.sqrt(a * a + b * b - 2 * a * b * math.cos(inner)) / (a + b)
            good[i] = (
                phase in ("raising", "position")
                and lim.min_elevation <= p.elevation <= lim.max_elevation
                and straight >= lim.min_straightness
                and (view == "side" or p.hand_gap / torso <= lim.max_hands_gap)
                and (view == "front" or (p.rounding >= lim.min_rounding and p.lean <= lim.max_lean))
                and (view == "side" or lim.min_stance <= p.stance / torso <= lim.max_stance)
            )
        reps = []
        for r in self.reps:
            in_rep = good & (times >= r.start_s) & (times < r.end_s)
            idx = np.flatnonzero(in_rep)
            faults = sorted(set(r.faults) - UNSEEN.get(view, set()))
            hold = len(idx) / fps
            if "hold_too_short" in r.faults and hold >= 15.0:
                faults.remove("hold_too_short")  # the fault was not visible from here
            reps.append(
                asdict(r)
                | {
                    "faults": faults,
                    "hold_s": round(hold, 3),
                    "hold_start_s": float(times[idx[0]]) if idx.size else None,
                    "hold_end_s": float(times[idx[-1]] + 1 / fps) if idx.size else None,
                }
            )
        return {
            "name": self.name,
            "view": view,
            "duration_s": self.duration,
            "reps": reps,
            "rep_count": len(reps),
            "completed_count": sum(not r["faults"] for r in reps),
            "fault_codes": sorted({c for r in reps for c in r["faults"]}),
        }


#: How each fault is acted out: pose changes during the stretch, or timing changes.
FAULT_POSES: dict[str, dict[str, float]] = {
    "elbows_bent": {"elbow_flex": 65.0},
    "arms_too_low": {"elevation": 57.0},
    "arms_too_high": {"elevation": 128.0},
    "hands_apart": {"hand_gap": 0.55},
    "no_rounding": {"rounding": 0.0},
    "stance_too_narrow": {"stance": 0.06},
    "stance_too_wide": {"stance": 0.85},
    "trunk_leaning": {"lean": 32.0},
    "jerky_movement": {"wobble": 9.0},
}


def stretch_script(
    reps: int = 3,
    hold_s: float = 20.0,
    *,
    faults: dict[int, str] | None = None,
    lead_s: float = 2.5,
    raise_s: float = 1.6,
    round_s: float = 1.2,
    release_s: float = 2.2,
    rest_s: float = 4.0,
    elevation: float = 85.0,
    rounding: float = 18.0,
    stance: float = 0.34,
    name: str = "",
) -> Script:
    """The Back Stretch done ``reps`` times; ``faults`` maps a rep index (0-based) to a code."""
    faults = faults or {}
    start = BodyPose(stance=stance)
    segs = [Segment(lead_s, "rest", label="stand")]
    truth: list[RepTruth] = []
    t = lead_s
    good = {"elevation": elevation, "hand_gap": 0.06, "rounding": rounding}
    for i in range(reps):
        code = faults.get(i)
        pose = dict(good) | FAULT_POSES.get(code or "", {})
        hold = 8.0 if code == "hold_too_short" else hold_s
        release = 0.35 if code == "release_too_fast" else release_s
        raise_pose = {k: v for k, v in pose.items() if k != "rounding"}
        rep_start = t
        segs.append(Segment(raise_s, "raising", raise_pose, "raise arms"))
        segs.append(Segment(round_s, "position", {"rounding": pose["rounding"]}, "round"))
        t += raise_s + round_s
        hold_start = t
        segs.append(Segment(hold, "position", {}, "hold"))
        t += hold
        hold_end = t
        back = {
            "rounding": 0.0,
            "elevation": 8.0,
            "hand_gap": 0.06,
            "elbow_flex": 0.0,
            "lean": 0.0,
            "wobble": 0.0,
            "stance": stance,
        }
        segs.append(Segment(release, "releasing", back, "release"))
        t += release
        codes = [code] if code else []
        if code in FAULT_POSES and code != "jerky_movement":
            # a form fault held all through the stretch leaves no hold in good form
            codes.append("hold_too_short")
        truth.append(RepTruth(rep_start, hold_start, hold_end, t, sorted(codes)))
        segs.append(Segment(rest_s, "rest", label="rest"))
        t += rest_s
    return Script(segs, start, truth, name or f"stretch x{reps}")


def non_stretch_script(kind: str) -> Script:
    """Movements that are not the stretch and must give no repetition."""
    rest = Segment(2.0, "rest", label="stand")
    segs: list[Segment] = [rest]
    if kind == "front_raises":
        for _ in range(5):
            segs += [
                Segment(0.8, "raising", {"elevation": 90.0}),
                Segment(1.2, "position", {}),
                Segment(0.8, "releasing", {"elevation": 8.0}),
                Segment(1.0, "rest", {}),
            ]
    elif kind == "squats_arms_forward":
        for _ in range(3):
            segs += [
                Segment(1.2, "rest", {"knee_flex": 100.0, "elevation": 85.0, "lean": 25.0}),
                Segment(1.6, "rest", {}),
                Segment(1.2, "rest", {"knee_flex": 0.0, "elevation": 8.0, "lean": 0.0}),
                Segment(1.5, "rest", {}),
            ]
    elif kind == "idle_gestures":
        for _ in range(6):
            segs += [
                Segment(0.9, "rest", {"elevation": 45.0, "elbow_flex": 70.0, "hand_gap": 0.5}),
                Segment(0.9, "rest", {"elevation": 15.0, "elbow_flex": 20.0}),
            ]
    elif kind == "t_pose":
        segs += [
            Segment(1.5, "rest", {"elevation": 90.0, "hand_gap": 1.6}),
            Segment(6.0, "rest", {}),
            Segment(1.5, "rest", {"elevation": 8.0, "hand_gap": 0.06}),
        ]
    elif kind == "seated_reach":
        segs = [
            Segment(2.0, "rest", {"knee_flex": 95.0}),
            Segment(1.5, "rest", {"elevation": 85.0}),
            Segment(8.0, "rest", {}),
            Segment(1.5, "rest", {"elevation": 8.0}),
            Segment(2.0, "rest", {}),
        ]
    else:
        raise ValueError(f"unknown non-stretch movement {kind!r}")
    segs.append(rest)
    return Script(segs, BodyPose(), [], kind)


NON_STRETCH = ("front_raises", "squats_arms_forward", "idle_gestures", "t_pose", "seated_reach")
