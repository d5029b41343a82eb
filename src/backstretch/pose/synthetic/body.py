"""The synthetic body: a few pose numbers -> 33 landmarks, and the camera that sees it."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from backstretch.types import N_LANDMARKS, FloatArray, Landmark

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
    head_nod: float = 0.0  # head over the upper trunk, deg: + bowed, - chin tucked, 0 in line
    protraction: float = 0.0  # shoulder blades drawn forward, 0-1 (1: about 5 cm)
    twist: float = 0.0  # upper body turned about the vertical, deg
    elev_diff: float = 0.0  # right arm's elevation minus the left's, deg (one arm only, a dab)
    abduction: float = 0.0  # plane of the raise turned out to the sides, deg (90: a T pose)
    body_lean: float = 0.0  # the whole body tipped forward about the ankles, deg (a wall lean)
    lunge: float = 0.0  # left thigh forward and right thigh back, deg


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
        ankle_h = 0.039 * h
        for side, (a_i, k_i, hp_i, heel_i, toe_i) in (
            (1, (L.LEFT_ANKLE, L.LEFT_KNEE, L.LEFT_HIP, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)),
            (-1, (L.RIGHT_ANKLE, L.RIGHT_KNEE, L.RIGHT_HIP, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)),
        ):
            # a lunge steps the left leg forward (its knee bends) and the right one back
            step = p.lunge * side
            flex = p.knee_flex + (1.2 * p.lunge if side > 0 else 0.4 * p.lunge)
            ts, tt = math.radians(0.4 * flex - step), math.radians(0.6 * flex + step)
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
        # raising the arms forward draws the shoulder blades and shoulder points forward (about
        # 2 cm); the head stays, so the neck line reads less forward (as MediaPipe sees people)
        lift = float(np.clip((p.elevation - 20.0) / 60.0, 0.0, 1.0))
        protract = tilt(np.array([0.0, 0.0, 0.012 * h * lift * lift * (3 - 2 * lift)]), p.lean)
        # protraction draws the shoulder points forward and a little in
        protract = protract + tilt(np.array([0.0, 0.0, 0.03 * h * p.protraction]), p.lean)
        sw = self.shoulder_width * h / 2 * (1.0 - 0.1 * min(p.rounding, 30.0) / 30.0)
        sw *= 1.0 - 0.08 * p.protraction
        out[L.LEFT_SHOULDER] = sh_mid + protract + sw * lat
        out[L.RIGHT_SHOULDER] = sh_mid + protract - sw * lat

        # head: follows the upper back, nodded forward (bowed) or back (chin tucked) on top
        head_tilt = upper_tilt + p.head_nod
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
            dy = -math.cos(math.radians(elev + (p.elev_diff if side < 0 else 0.0)))
            dx = float(np.clip((wx - s[0]) / reach, -1.0, 1.0))
            scale = min(1.0, math.sqrt(0.995 / max(dx * dx + dy * dy, 1e-9)))
            dx, dy = dx * scale, dy * scale
            d = np.array([dx, dy, math.sqrt(max(0.0, 1.0 - dx * dx - dy * dy))])
            if p.abduction:  # the raise turned outwards
                ab = math.radians(p.abduction) * side
                d = np.array([d[0] * math.cos(ab) + d[2] * math.sin(ab), d[1],
                              -d[0] * math.sin(ab) + d[2] * math.cos(ab)])  # fmt: skip
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
        if p.twist:  # the upper body turns about the vertical through the hips
            a = math.radians(p.twist)
            rot = np.array([[math.cos(a), 0.0, math.sin(a)], [0.0, 1.0, 0.0],
                            [-math.sin(a), 0.0, math.cos(a)]])  # fmt: skip
            upper = [i for i in range(N_LANDMARKS) if i <= int(L.RIGHT_THUMB)]
            out[upper] = out[upper] @ rot.T
        if p.body_lean:  # the whole body tips forward about the ankles
            pivot_pt = (out[L.LEFT_ANKLE] + out[L.RIGHT_ANKLE]) / 2
            out = np.array([pivot_pt + tilt(v - pivot_pt, p.body_lean) for v in out])
            out -= (out[L.LEFT_HIP] + out[L.RIGHT_HIP]) / 2
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
