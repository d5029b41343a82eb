"""A synthetic performer: a 3-D kinematic body posed from a timeline, seen by a camera.

It produces the landmarks BlazePose would report (picture and world) together with the
truth of what was performed, so the analysis can be tested with known answers and no
pixels. Bodies, timings, faults, camera yaw, noise, dropouts and mirroring are all chosen
by the caller.

Body frame: x = the person's left, y = up, z = forward, origin between the hips.
Camera frame (MediaPipe's): x right, y down, z away from the camera.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from backstretch.types import N_LANDMARKS, FloatArray, Landmark, PoseFrame, VideoInfo

L = Landmark


@dataclass(frozen=True)
class BodyPose:
    """The few numbers that pose the body (degrees and metres)."""

    elevation: float = 8.0  # arms from straight down
    hand_gap: float = 0.06  # wrist-to-wrist distance once the arms are forward
    elbow_flex: float = 0.0  # 0 = straight
    rounding: float = 0.0  # upper-back (thoracic) flexion
    lean: float = 0.0  # whole trunk, + forward
    side_lean: float = 0.0
    stance: float = 0.34  # ankle-to-ankle distance
    knee_flex: float = 0.0  # squatting or sitting
    wobble: float = 0.0  # amplitude of a 2.5 Hz shake of the arms (jerky moves), deg


POSE_FIELDS = tuple(f.name for f in fields(BodyPose))


@dataclass(frozen=True)
class Body:
    """Body proportions scaled by height (metres); defaults are an average adult."""

    height: float = 1.70
    shoulder_width: float = 0.22  # of height, landmark to landmark
    hip_width: float = 0.11
    torso: float = 0.30
    upper_arm: float = 0.186
    forearm: float = 0.146
    thigh: float = 0.245
    shin: float = 0.246

    def points(self, p: BodyPose, t: float = 0.0) -> FloatArray:
        """The 33 landmarks in the body frame for pose ``p``."""
        h = self.height
        out = np.zeros((N_LANDMARKS, 3))
        up = np.array([0.0, 1.0, 0.0])

        def tilt(v: FloatArray, fwd_deg: float, side_deg: float = 0.0) -> FloatArray:
            a, s = math.radians(fwd_deg), math.radians(side_deg)
            x, y, z = v
            y, z = y * math.cos(a) - z * math.sin(a), y * math.sin(a) + z * math.cos(a)
            x, y = x * math.cos(s) + y * math.sin(s), -x * math.sin(s) + y * math.cos(s)
            return np.array([x, y, z])

        # legs from the floor up: shin and thigh share the knee bend
        ts, tt = math.radians(0.4 * p.knee_flex), math.radians(0.6 * p.knee_flex)
        ankle_h = 0.039 * h
        for side, (a_i, k_i, hp_i, heel_i, toe_i) in (
            (1, (L.LEFT_ANKLE, L.LEFT_KNEE, L.LEFT_HIP, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)),
            (-1, (L.RIGHT_ANKLE, L.RIGHT_KNEE, L.RIGHT_HIP, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)),
        ):
            ankle = np.array([side * p.stance / 2, ankle_h, 0.0])
            knee = ankle + self.shin * h * np.array([0.0, math.cos(ts), math.sin(ts)])
            knee[0] = side * (p.stance / 2 + self.hip_width * h / 2) / 2
            hip = knee + self.thigh * h * np.array([0.0, math.cos(tt), -math.sin(tt)])
            hip[0] = side * self.hip_width * h / 2
            out[a_i], out[k_i], out[hp_i] = ankle, knee, hip
            out[heel_i] = ankle + np.array([0.0, -0.03 * h, -0.035 * h])
            out[toe_i] = ankle + np.array([side * 0.02 * h, -0.035 * h, 0.12 * h])
        hip_mid = (out[L.LEFT_HIP] + out[L.RIGHT_HIP]) / 2
        out -= hip_mid

        # trunk: lower half tilts by lean, upper half adds the rounding
        half = self.torso * h / 2
        pivot = half * tilt(up, p.lean, p.side_lean)
        upper_tilt = p.lean + p.rounding
        sh_mid = pivot + half * tilt(up, upper_tilt, p.side_lean)
        sh_mid = sh_mid + tilt(np.array([0.0, 0.0, 0.025 * h * p.rounding / 20.0]), p.lean)
        lat = tilt(np.array([1.0, 0.0, 0.0]), 0.0, p.side_lean)
        sw = self.shoulder_width * h / 2 * (1.0 - 0.1 * min(p.rounding, 30.0) / 30.0)
        out[L.LEFT_SHOULDER] = sh_mid + sw * lat
        out[L.RIGHT_SHOULDER] = sh_mid - sw * lat

        # head: follows the upper back, and nods a little more when rounding
        head_tilt = upper_tilt + 0.5 * p.rounding
        ear_mid = sh_mid + tilt(np.array([0.0, 0.09 * h, -0.01 * h]), head_tilt, p.side_lean)
        face = {
            L.NOSE: (0.0, -0.005, 0.065),
            L.LEFT_EYE_INNER: (0.012, 0.01, 0.058),
            L.LEFT_EYE: (0.02, 0.01, 0.056),
            L.LEFT_EYE_OUTER: (0.028, 0.01, 0.052),
            L.MOUTH_LEFT: (0.014, -0.03, 0.058),
            L.LEFT_EAR: (0.045, 0.0, 0.0),
        }
        for lm, (x, y, z) in face.items():
            twin = Landmark[lm.name.replace("LEFT_", "RIGHT_")] if "LEFT_" in lm.name else None
            out[lm] = ear_mid + tilt(h * np.array([x, y, z]), head_tilt, p.side_lean)
            if twin is not None:
                out[twin] = ear_mid + tilt(h * np.array([-x, y, z]), head_tilt, p.side_lean)

        # arms: aim each wrist at the elevation, converging to the hand gap in front
        a, b = self.upper_arm * h, self.forearm * h
        inner = math.radians(180.0 - p.elbow_flex)
        reach = math.sqrt(a * a + b * b - 2 * a * b * math.cos(inner))
        elev = p.elevation + p.wobble * math.sin(2 * math.pi * 2.5 * t)
        blend = float(np.clip((elev - 20.0) / 40.0, 0.0, 1.0))
        blend = blend * blend * (3 - 2 * blend)
        for side, (s_i, e_i, w_i, idx_i, pk_i, th_i) in (
            (
                1,
                (
                    L.LEFT_SHOULDER,
                    L.LEFT_ELBOW,
                    L.LEFT_WRIST,
                    L.LEFT_INDEX,
                    L.LEFT_PINKY,
                    L.LEFT_THUMB,
                ),
            ),
            (
                -1,
                (
                    L.RIGHT_SHOULDER,
                    L.RIGHT_ELBOW,
                    L.RIGHT_WRIST,
                    L.RIGHT_INDEX,
                    L.RIGHT_PINKY,
                    L.RIGHT_THUMB,
                ),
            ),
        ):
            s = out[s_i]
            rest_x = s[0] + side * 0.02 * h
            wx = rest_x + (sh_mid[0] + side * p.hand_gap / 2 - rest_x) * blend
            dy = -math.cos(math.radians(elev))
            dx = float(np.clip((wx - s[0]) / reach, -1.0, 1.0))
            scale = min(1.0, math.sqrt(0.995 / max(dx * dx + dy * dy, 1e-9)))
            dx, dy = dx * scale, dy * scale
            d = np.array([dx, dy, math.sqrt(max(0.0, 1.0 - dx * dx - dy * dy))])
            w = s + reach * d
            cos_alpha = (a * a + reach * reach - b * b) / (2 * a * reach)
            alpha = math.acos(float(np.clip(cos_alpha, -1.0, 1.0)))
            bend = np.array([side * 0.7, -0.7, 0.0])
            bend = bend - d * float(bend @ d)
            bend /= np.linalg.norm(bend)
            e = s + a * (math.cos(alpha) * d + math.sin(alpha) * bend)
            f = (w - e) / np.linalg.norm(w - e)
            out[e_i], out[w_i] = e, w
            out[idx_i] = w + 0.06 * h * f - side * 0.01 * h * lat
            out[pk_i] = w + 0.05 * h * f + side * 0.01 * h * lat
            out[th_i] = w + 0.03 * h * f + 0.015 * h * up
        return out


@dataclass(frozen=True)
class Camera:
    """A level pinhole camera looking at the person, who turns ``yaw`` degrees away from it."""

    yaw: float = 45.0  # 0 = the person faces the camera, 90 = side-on
    distance: float = 3.0
    height: float = 1.1
    width: int = 640
    height_px: int = 480
    vfov_deg: float = 50.0
    fps: float = 30.0

    def view(self, body_pts: FloatArray, hip_height: float) -> tuple[FloatArray, FloatArray]:
        """World landmarks (hip-centred, camera axes) and normalised picture landmarks."""
        c, s = math.cos(math.radians(self.yaw)), math.sin(math.radians(self.yaw))
        x, y, z = body_pts[:, 0], body_pts[:, 1], body_pts[:, 2]
        xr, zr = x * c + z * s, -x * s + z * c
        world = np.column_stack([xr, -y, -zr])
        cam = world + np.array([0.0, self.height - hip_height, self.distance])
        f = self.height_px / 2 / math.tan(math.radians(self.vfov_deg) / 2)
        u = f * cam[:, 0] / cam[:, 2] + self.width / 2
        v = f * cam[:, 1] / cam[:, 2] + self.height_px / 2
        zn = (cam[:, 2] - self.distance) * f / self.distance / self.width
        image = np.column_stack([u / self.width, v / self.height_px, zn])
        return world, image


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
    "side": {"stance_too_narrow", "stance_too_wide"},
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
                and p.hand_gap / torso <= lim.max_hands_gap
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


@dataclass(frozen=True)
class Performer:
    """Someone acting out a script in front of a camera, seen by an imperfect pose model."""

    script: Script
    body: Body = field(default_factory=Body)
    camera: Camera = field(default_factory=Camera)
    noise_px: float = 1.5  # picture landmark jitter (pixels, standard deviation)
    world_noise_m: float = 0.008
    dropout: float = 0.0  # chance that a frame has no pose at all
    breathing: bool = True  # small sway of the rounding and arms during the stretch
    mirror: bool = False  # the video is flipped left-right
    seed: int = 0

    def truth(self, limits: FormLimits | None = None) -> dict[str, Any]:
        return self.script.truth(self.body, self.camera.yaw, self.camera.fps, limits)

    @property
    def info(self) -> VideoInfo:
        n = round(self.script.duration * self.camera.fps)
        return VideoInfo(
            f"synthetic:{self.script.name}",
            self.camera.fps,
            n,
            self.camera.width,
            self.camera.height_px,
        )

    def frames(self) -> Iterator[PoseFrame]:
        rng = np.random.default_rng(self.seed)
        cam = self.camera
        for i in range(self.info.frames):
            t = i / cam.fps
            pose, _ = self.script.pose_at(t)
            if self.breathing and pose.elevation > 40:
                breath = math.sin(2 * math.pi * t / 10.0)
                pose = replace(
                    pose,
                    rounding=pose.rounding + 1.5 * breath,
                    elevation=pose.elevation + 1.0 * breath,
                )
            pts = self.body.points(pose, t)
            world, image = cam.view(pts, hip_height=-float(pts[:, 1].min()))
            if rng.random() < self.dropout:
                yield PoseFrame(i, t)
                continue
            image = image + rng.normal(0, self.noise_px, image.shape) * [
                1 / cam.width,
                1 / cam.height_px,
                1 / cam.width,
            ]
            world = world + rng.normal(0, self.world_noise_m, world.shape)
            inside = (
                (image[:, 0] >= 0) & (image[:, 0] <= 1) & (image[:, 1] >= 0) & (image[:, 1] <= 1)
            )
            vis = np.where(inside, 0.97, 0.05) - rng.uniform(0, 0.05, N_LANDMARKS)
            frame = PoseFrame(
                i, t, image.astype(np.float32), vis.astype(np.float32), world.astype(np.float32)
            )
            yield frame.mirrored() if self.mirror else frame
