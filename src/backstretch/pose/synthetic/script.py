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
    min_rounding: float = 5.0
    min_stance: float = 0.4  # torso lengths
    max_stance: float = 1.2
    max_lean: float = 20.0
    min_hold_s: float = 15.0  # the seed's lower bound
    front_max_yaw: float = 25.0  # rounding and forward lean are not seen from the front
    side_min_yaw: float = 65.0  # stance is not seen from the side


#: The faults of a limit on the true pose (see :meth:`Script.truth`).
POSE_LIMIT_FAULTS = (
    "arms_too_low", "arms_too_high", "elbows_bent", "hands_apart",
    "no_rounding", "trunk_leaning", "stance_too_narrow", "stance_too_wide",
)  # fmt: skip

#: Faults each view cannot see, so a truth for that view does not expect them.
UNSEEN = {
    "front": {"no_rounding", "trunk_leaning"},  # the scripted lean is forward, towards the camera
    "side": {"stance_too_narrow", "stance_too_wide", "hands_apart"},
}


@dataclass
class Script:
    """A timeline of segments plus what it is: the truth the analysis should find.

    ``breathing`` scales a slow sway of the rounding (1.5 deg) and arms (1 deg) while the arms
    are up (a 10 s breath); ``sway`` is the amplitude (deg) of a slow lean of the whole trunk.
    ``size`` scales the script's distances (stance, hand gap), written for an adult, to the
    performer: a child stands and holds the hands as an adult does, in proportion.
    """

    segments: list[Segment]
    start: BodyPose = field(default_factory=BodyPose)
    reps: list[RepTruth] = field(default_factory=list)
    name: str = ""
    breathing: float = 1.0
    sway: float = 0.0
    size: float = 1.0

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    def pose_at(self, t: float, motion: bool = True) -> tuple[BodyPose, str]:
        """The pose at ``t`` and its scripted phase (``motion``: with breathing and sway)."""
        pose, phase = self._scripted(t)
        if self.size != 1.0:
            pose = replace(pose, stance=pose.stance * self.size,
                           hand_gap=pose.hand_gap * self.size)  # fmt: skip
        if not motion:
            return pose, phase
        if self.breathing and pose.elevation > 40:
            breath = self.breathing * math.sin(2 * math.pi * t / 10.0)
            pose = replace(pose, rounding=pose.rounding + 1.5 * breath,
                           elevation=pose.elevation + 1.0 * breath)  # fmt: skip
        if self.sway:
            fwd, side = math.sin(2 * math.pi * t / 5.3), math.sin(2 * math.pi * t / 7.1)
            pose = replace(pose, lean=pose.lean + self.sway * fwd,
                           side_lean=pose.side_lean + self.sway * side)  # fmt: skip
        return pose, phase

    def _scripted(self, t: float) -> tuple[BodyPose, str]:
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
        n = len(times)
        in_position = np.zeros(n, dtype=bool)
        # each limit broken, frame by frame, under the fault code that names it
        broken = {code: np.zeros(n, dtype=bool) for code in POSE_LIMIT_FAULTS}
        for i, t in enumerate(times):
            p, phase = self.pose_at(float(t))
            in_position[i] = phase == "position"
            inner = math.radians(180.0 - p.elbow_flex)
            straight = math.sqrt(a * a + b * b - 2 * a * b * math.cos(inner)) / (a + b)
            broken["arms_too_low"][i] = p.elevation < lim.min_elevation
            broken["arms_too_high"][i] = p.elevation > lim.max_elevation
            broken["elbows_bent"][i] = straight < lim.min_straightness
            broken["hands_apart"][i] = p.hand_gap / torso > lim.max_hands_gap
            broken["no_rounding"][i] = p.rounding < lim.min_rounding
            broken["trunk_leaning"][i] = p.lean > lim.max_lean
            broken["stance_too_narrow"][i] = p.stance / torso < lim.min_stance
            broken["stance_too_wide"][i] = p.stance / torso > lim.max_stance
        unseen = UNSEEN.get(view, set())
        seen = {c: v for c, v in broken.items() if c not in unseen}
        good = in_position & ~np.logical_or.reduce(list(seen.values()))
        reps = []
        for r in self.reps:
            # the hold runs from reaching the stretch position (rounded and reaching) to the
            # moment the release begins, in good form
            window = (times >= r.hold_start_s) & (times < r.hold_end_s)
            idx = np.flatnonzero(good & window)
            held = window & in_position
            # a limit the true pose breaks for most of the hold is a fault of this rep, acted
            # out or not (an adult's stance is too wide for a child's body)
            acted = {c for c, v in seen.items() if held.any() and v[held].mean() >= 0.5}
            faults = (set(r.faults) | acted) - unseen
            hold = len(idx) / fps
            if hold >= lim.min_hold_s:
                faults.discard("hold_too_short")  # the fault was not visible from here
            elif faults - {"jerky_movement", "release_too_fast"}:
                faults.add("hold_too_short")  # a form fault all through leaves no hold
            reps.append(
                asdict(r)
                | {
                    "faults": sorted(faults),
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
    "elbows_bent": {"elbow_flex": 80.0},  # an elbow at 100 deg
    "arms_too_low": {"elevation": 57.0},
    "arms_too_high": {"elevation": 128.0},
    "hands_apart": {"hand_gap": 0.4},
    "no_rounding": {"rounding": 0.0, "protraction": 0.0},
    "stance_too_narrow": {"stance": 0.06},
    "stance_too_wide": {"stance": 0.85},
    "trunk_leaning": {"lean": 32.0},
    "jerky_movement": {"wobble": 9.0},
}

#: Rounding (upper-back flexion, deg) and protraction (0-1) of each way of rounding the back.
LEADS = {"flexion": (18.0, 0.0), "protraction": (10.0, 1.0), "mixed": (14.0, 0.5)}


@dataclass(frozen=True)
class Style:
    """How a person performs the stretch: the things we do not control.

    ``head``: bowed (nods with the back), neutral (in line with the trunk) or tucked (chin in);
    ``lead``: what makes the rounding (upper-back flexion, shoulder blades drawn forward, or a
    mix), ``amount`` scales it; arm height, elbow softness and hand contact; ``tempo`` scales
    the raise, rounding and release times; ``sway`` and ``breathing`` as in :class:`Script`.
    """

    head: str = "bowed"
    lead: str = "flexion"
    amount: float = 1.0
    elevation: float = 85.0
    elbow_flex: float = 0.0
    hand_gap: float = 0.06
    tempo: float = 1.0
    sway: float = 0.0
    breathing: float = 1.0
    grip: str = "loose"  # how the hands are held (the studio renders it; see studio.body.GRIPS)

    def rounded(self) -> dict[str, float]:
        """The pose numbers of the rounded back in this style."""
        flex, protraction = LEADS[self.lead]
        flex, protraction = flex * self.amount, protraction * self.amount
        head = {"bowed": 0.5 * flex, "neutral": 0.0, "tucked": -0.6 * flex}[self.head]
        return {"rounding": flex, "protraction": protraction, "head_nod": head}

    def unrounded(self) -> dict[str, float]:
        """No rounding: the back stays straight; a bowed head still nods (a tempting proxy)."""
        head = {"bowed": 10.0, "neutral": 0.0, "tucked": -5.0}[self.head]
        return {"rounding": 0.0, "protraction": 0.0, "head_nod": head}


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
    elevation: float | None = None,
    stance: float = 0.34,
    name: str = "",
    style: Style | None = None,
    severity: dict[str, float] | None = None,
) -> Script:
    """The Back Stretch done ``reps`` times; ``faults`` maps a rep index (0-based) to a code.

    ``severity`` overrides the pose numbers that act a fault out (e.g. ``{"elbow_flex": 80}``)
    and ``hold_s``/``release_s`` of the faulty repetition."""
    st = style or Style()
    faults = faults or {}
    start = BodyPose(stance=stance)
    segs = [Segment(lead_s, "rest", label="stand")]
    truth: list[RepTruth] = []
    t = lead_s
    arms = {"elevation": elevation if elevation is not None else st.elevation,
            "hand_gap": st.hand_gap, "elbow_flex": st.elbow_flex}  # fmt: skip
    raise_s, round_s, release_s = raise_s * st.tempo, round_s * st.tempo, release_s * st.tempo
    for i in range(reps):
        code = faults.get(i)
        sev = dict(severity or {}) if code else {}
        rounded = st.unrounded() if code == "no_rounding" else st.rounded()
        pose = arms | rounded | FAULT_POSES.get(code or "", {})
        pose |= {k: v for k, v in sev.items() if k in POSE_FIELDS}
        hold = sev.get("hold_s", 8.0) if code == "hold_too_short" else hold_s
        release = sev.get("release_s", 0.35) if code == "release_too_fast" else release_s
        round_keys = ("rounding", "protraction", "head_nod")
        raise_pose = {k: v for k, v in pose.items() if k not in round_keys}
        rep_start = t
        segs.append(Segment(raise_s, "raising", raise_pose, "raise arms"))
        # without rounding, the position is reached as soon as the arms are up
        unrounded = code == "no_rounding"
        segs.append(Segment(round_s, "position" if unrounded else "raising",
                            {k: pose[k] for k in round_keys}, "round"))  # fmt: skip
        hold_start = t + raise_s if unrounded else t + raise_s + round_s
        t += raise_s + round_s
        segs.append(Segment(hold, "position", {}, "hold"))
        t += hold
        hold_end = t
        back = {
            "rounding": 0.0,
            "protraction": 0.0,
            "head_nod": 0.0,
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
    return Script(segs, start, truth, name or f"stretch x{reps}", st.breathing, st.sway)


def _repeat(n: int, *segs: Segment) -> list[Segment]:
    return [s for _ in range(n) for s in segs]


def _still(s: float) -> Segment:
    return Segment(s, "rest", {})


def _to(s: float, **pose: float) -> Segment:
    return Segment(s, "rest", dict(pose))


DOWN = {"elevation": 8.0, "hand_gap": 0.06, "elbow_flex": 0.0, "abduction": 0.0,
        "elev_diff": 0.0, "twist": 0.0, "lean": 0.0, "side_lean": 0.0, "knee_flex": 0.0,
        "body_lean": 0.0, "lunge": 0.0, "head_nod": 0.0}  # fmt: skip


def _down(s: float) -> Segment:
    return Segment(s, "rest", dict(DOWN))


#: Movements that are not the stretch (none of them may give a repetition), as segments.
MOVEMENTS: dict[str, list[Segment]] = {
    "front_raises": _repeat(5, _to(0.8, elevation=90.0), _still(1.2), _to(0.8, elevation=8.0),
                            _still(1.0)),
    "squats_arms_forward": _repeat(3, _to(1.2, knee_flex=100.0, elevation=85.0, lean=25.0),
                                   _still(1.6), _down(1.2), _still(1.5)),
    "idle_gestures": _repeat(6, _to(0.9, elevation=45.0, elbow_flex=70.0, hand_gap=0.5),
                             _to(0.9, elevation=15.0, elbow_flex=20.0)),
    "t_pose": [_to(1.5, elevation=90.0, hand_gap=1.6), _still(6.0), _down(1.5)],
    "seated_reach": [_to(2.0, knee_flex=95.0), _to(1.5, elevation=85.0), _still(8.0),
                     _to(1.5, elevation=8.0), _still(2.0)],
    "arms_overhead": _repeat(2, _to(1.5, elevation=170.0, hand_gap=0.3), _still(4.0),
                             _down(1.5), _still(1.0)),
    "arm_circles": _repeat(5, _to(0.9, elevation=170.0, abduction=0.0, hand_gap=0.5),
                           _to(0.9, elevation=10.0, abduction=90.0)),
    "arm_swings": _repeat(7, _to(0.6, elevation=110.0, hand_gap=0.35), _to(0.6, elevation=-10.0)),
    "one_arm_overhead": _repeat(2, _to(1.5, elevation=165.0, elev_diff=-157.0, hand_gap=0.5),
                                _still(4.0), _down(1.5), _still(1.0)),
    "one_arm_forward": _repeat(2, _to(1.5, elevation=85.0, elev_diff=-77.0, hand_gap=0.4),
                               _still(5.0), _down(1.5), _still(1.0)),
    "dab": _repeat(2, _to(1.0, elevation=125.0, elev_diff=-35.0, elbow_flex=60.0, abduction=45.0,
                          twist=20.0, head_nod=25.0, hand_gap=0.9), _still(3.5), _down(1.0),
                   _still(1.0)),
    "squats": _repeat(3, _to(1.3, knee_flex=110.0, lean=30.0), _still(1.0), _down(1.3),
                      _still(1.0)),
    "lunge_twist": [_to(1.5, lunge=35.0, twist=40.0, elevation=85.0, hand_gap=0.06), _still(4.0),
                    _down(1.5), _to(1.5, lunge=35.0, twist=-40.0, elevation=85.0), _still(4.0),
                    _down(1.5)],
    "wall_arm_raise": _repeat(2, _to(4.0, elevation=170.0, hand_gap=0.45, body_lean=5.0),
                              _still(1.5), _down(3.0)),
    "arms_crossed": [_to(1.5, elevation=60.0, elbow_flex=125.0, hand_gap=-0.35), _still(6.0),
                     _down(1.5)],
    "hands_on_hips": [_to(1.5, elevation=22.0, abduction=90.0, elbow_flex=105.0, hand_gap=0.9),
                      _still(7.0), _down(1.5)],
    "wall_push": [_to(1.5, body_lean=22.0, elevation=80.0, hand_gap=0.45),
                  *_repeat(4, _to(1.0, elbow_flex=70.0), _to(1.0, elbow_flex=0.0)), _down(1.5)],
    "wall_lean": [_to(1.5, body_lean=25.0, elevation=75.0, hand_gap=0.45), _still(7.0),
                  _down(1.5)],
    "bow": _repeat(2, _to(1.5, lean=70.0, head_nod=20.0), _still(1.5), _down(1.5), _still(1.0)),
    "reach_up_shelf": _repeat(2, _to(1.5, elevation=155.0, hand_gap=0.2, elev_diff=-10.0),
                              _still(3.0), _down(1.5), _still(1.0)),
    "phone_chest": [_to(1.2, elevation=48.0, elbow_flex=110.0, hand_gap=0.05, head_nod=25.0),
                    _still(8.0), _down(1.2)],
    "carry_box": [_to(1.2, elevation=45.0, elbow_flex=85.0, hand_gap=0.5), _still(8.0),
                  _down(1.2)],
    "clapping": [_to(1.0, elevation=60.0, elbow_flex=60.0, hand_gap=0.05),
                 *_repeat(12, _to(0.25, hand_gap=0.45), _to(0.25, hand_gap=0.02)), _down(1.0)],
    "tai_chi": _repeat(3, _to(2.2, elevation=100.0, hand_gap=0.45, elbow_flex=35.0, twist=15.0),
                       _to(2.2, elevation=25.0, hand_gap=0.3, twist=-15.0)),
    "side_stretch": _repeat(2, _to(1.5, elevation=165.0, hand_gap=0.1, side_lean=20.0),
                            _still(3.0), _down(1.5)),
    "toe_touch": _repeat(2, _to(2.0, lean=85.0, knee_flex=10.0, head_nod=15.0), _still(2.0),
                         _down(2.0)),
    "arm_across_chest": [_to(1.5, elevation=85.0, hand_gap=-0.45, elbow_flex=55.0, twist=10.0),
                         _still(7.0), _down(1.5)],
    "jumping_jacks": _repeat(6, _to(0.45, elevation=165.0, abduction=90.0, hand_gap=0.4,
                                    stance=0.7), _to(0.45, elevation=10.0, stance=0.3)),
    "punches": _repeat(8, _to(0.35, elevation=85.0, elbow_flex=0.0, elev_diff=-60.0, hand_gap=0.3),
                       _to(0.35, elevation=30.0, elbow_flex=100.0, elev_diff=50.0)),
    "prayer_hands": [_to(1.5, elevation=35.0, elbow_flex=115.0, hand_gap=0.0), _still(7.0),
                     _down(1.5)],
}  # fmt: skip

NON_STRETCH = tuple(MOVEMENTS)


def non_stretch_script(kind: str, sway: float = 0.0) -> Script:
    """Movements that are not the stretch and must give no repetition."""
    if kind not in MOVEMENTS:
        raise ValueError(f"unknown non-stretch movement {kind!r}")
    rest = Segment(2.0, "rest", label="stand")
    segs = [rest, *MOVEMENTS[kind], _down(1.0), rest]
    return Script(segs, BodyPose(), [], kind, breathing=0.0, sway=sway)
