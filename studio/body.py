"""The anny body (MakeHuman/MPFB2 assets, CC0; code Apache-2.0), posed from the synthetic
performer's few pose numbers (`BodyPose`), so rendered clips and synthetic landmarks share one
script and one truth.

anny's world is Z-up, the body faces -Y and its own left is +X; the root sits at the pelvis.
We pose with ``world-orient``: each bone's world orientation is its rest orientation turned by
a world rotation ``G``, and a bone without its own rotation takes its parent's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from backstretch.pose.synthetic.body import BodyPose

REGIONS = {  # dominant bone name prefix -> clothing region
    "upperleg": "trousers", "lowerleg": "trousers", "pelvis": "trousers", "root": "trousers",
    "foot": "shoes", "toe": "shoes",
    "spine": "shirt", "clavicle": "shirt", "shoulder": "shirt", "upperarm": "shirt",
    "lowerarm": "skin", "wrist": "skin", "finger": "skin", "metacarpal": "skin",
    "neck": "skin", "head": "skin", "eye": "skin",
}  # fmt: skip


def rot(axis: np.ndarray, deg: float) -> np.ndarray:
    """Rotation matrix about ``axis`` (world) by ``deg`` degrees (right-handed)."""
    a = np.asarray(axis, dtype=float)
    a = a / np.linalg.norm(a)
    t = math.radians(deg)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * (k @ k)


def unit_(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def align(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction ``u`` to direction ``v``."""
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    c = float(np.clip(u @ v, -1.0, 1.0))
    axis = np.cross(u, v)
    if np.linalg.norm(axis) < 1e-9:
        return np.eye(3) if c > 0 else rot(np.array([1.0, 0, 0]), 180.0)
    return rot(axis, math.degrees(math.acos(c)))


X, Y, Z = np.eye(3)
FORWARD = -Y  # the body faces -Y
LEFT = X

#: Wrist to middle knuckle of the default adult body, m (grip distances are for this hand).
ADULT_HAND = 0.095
#: A script's wrist gap from this up (m) holds the hands apart whatever the grip.
APART = 0.2
FINGERS = ("finger2", "finger3", "finger4", "finger5")  # index to little (finger1: the thumb)


@dataclass(frozen=True)
class Grip:
    """How the hands are held once the arms are forward (the seed's step 3 and its faults).

    ``point``: where the fingers point, ``forward`` (along the arms) or ``inward`` (towards the
    other hand); ``palm``: where the palm faces, ``away`` (forward, away from the body),
    ``body`` (towards it), ``inward`` (towards the other hand) or ``down``; ``curl``: each
    finger joint's bend, deg; ``gap``: wrist to wrist, m (for an adult: a child's is scaled);
    ``stagger``: the right hand's knuckles this far below the left's, m, so linked fingers
    fall between each other."""

    point: str
    palm: str
    curl: float
    gap: float
    stagger: float = 0.0


#: The faults each grip shows (the seed's step 3: fingers interlaced, palms turned away).
GRIP_FAULTS: dict[str, tuple[str, ...]] = {
    "interlaced_palms_away": (),
    "interlaced_palms_body": ("palms_not_away",),
    "palms_together": ("fingers_not_linked", "palms_not_away"),
    "hands_apart": ("fingers_not_linked", "palms_not_away"),
    "fists": ("fingers_not_linked", "palms_not_away"),
}
#: The hand configurations the studio can perform. ``loose``: the hands as the studio held them
#: before it posed hands (the wrist follows the forearm, fingers as modelled).
GRIPS: dict[str, Grip | None] = {
    "loose": None,
    "interlaced_palms_away": Grip("inward", "away", 55.0, 0.15, 0.009),
    "interlaced_palms_body": Grip("inward", "body", 55.0, 0.15, 0.009),
    "palms_together": Grip("forward", "inward", 5.0, 0.04),
    "hands_apart": Grip("forward", "inward", 15.0, 0.30),
    "fists": Grip("forward", "inward", 95.0, 0.07),
}


@dataclass
class Colours:
    skin: tuple[int, int, int] = (224, 172, 140)
    shirt: tuple[int, int, int] = (40, 90, 170)
    trousers: tuple[int, int, int] = (40, 40, 48)
    shoes: tuple[int, int, int] = (235, 235, 235)
    hair: tuple[int, int, int] = (60, 40, 25)


class AnnyBody:
    def __init__(self, phenotype: dict[str, float], colours: Colours) -> None:
        import anny
        import torch

        self.torch = torch
        self.m = anny.Anny(pose_parameterization="world-orient")
        self.names = list(self.m.bone_labels)
        self.idx = {n: i for i, n in enumerate(self.names)}
        self.parent = [int(p) for p in self.m.bone_parents]
        self.pheno = {
            k: torch.tensor([float(v)], dtype=torch.float64) for k, v in phenotype.items()
        }
        out = self.m(pose_parameters=None, phenotype_kwargs=self.pheno)
        self.rest = out["rest_bone_poses"][0].detach().numpy().astype(np.float64)  # (J, 4, 4)
        self.heads = self.rest[:, :3, 3]
        self.faces = self.m.get_triangular_faces().numpy()
        rest_v = out["rest_vertices"][0].detach().numpy()
        self.colours = self._colours(colours, rest_v)
        self.height = float(rest_v[:, 2].max() - rest_v[:, 2].min())
        assert all(p < j for j, p in enumerate(self.parent) if j), "parents must come first"
        self.seg = {side: self._segments(side) for side in ("L", "R")}
        self.hand = {side: self._hand_frame(side) for side in ("L", "R")}
        self.grip: Grip | None = None  # GRIPS[name], set by the clip

    def _segments(self, side: str) -> dict[str, Any]:
        def head(name: str) -> np.ndarray:
            return np.asarray(self.heads[self.idx[f"{name}.{side}"]])

        upper = head("lowerarm01") - head("upperarm01")
        fore = head("wrist") - head("lowerarm01")
        return {
            "upper": upper,
            "fore": fore,
            "upper_len": float(np.linalg.norm(upper)),
            "fore_len": float(np.linalg.norm(fore)),
        }

    def _hand_frame(self, side: str) -> dict[str, Any]:
        """The hand at rest: its length (wrist to the middle knuckle) and its frame, columns
        (along the fingers, out of the palm, across the palm)."""
        h = {n: np.asarray(self.heads[self.idx[f"{n}.{side}"]]) for n in
             ("wrist", "finger2-1", "finger3-1", "finger3-3", "finger5-1")}  # fmt: skip
        along = h["finger3-1"] - h["wrist"]
        length = float(np.linalg.norm(along))
        along = along / length
        across = h["finger2-1"] - h["finger5-1"]
        across = across - along * float(across @ along)
        across /= np.linalg.norm(across)
        palm = np.cross(along, across)
        tip = h["finger3-3"] - h["finger3-1"]  # the modelled fingers curl a little: to the palm
        if float(tip @ palm) < 0:
            palm = -palm
        return {"length": length, "frame": np.column_stack([along, palm, np.cross(along, palm)])}

    def _colours(self, c: Colours, rest_vertices: np.ndarray) -> np.ndarray:
        w = self.m.vertex_bone_weights.numpy()
        b = self.m.vertex_bone_indices.numpy()
        dominant = b[np.arange(len(b)), np.argmax(w, axis=1)]
        rgb = np.zeros((len(b), 4), dtype=np.uint8)
        rgb[:, 3] = 255
        eye_z = self.heads[self.idx["eye.L"]][2]
        for v, j in enumerate(dominant):
            name = self.names[j]
            region = next((r for p, r in REGIONS.items() if name.startswith(p)), "skin")
            if name == "head":
                _, y, z = rest_vertices[v]
                if z > eye_z + 0.035 or (
                    y > self.heads[self.idx["head"]][1] + 0.02 and z > eye_z - 0.06
                ):
                    region = "hair"
            rgb[v, :3] = getattr(c, region)
        return rgb

    def vertices(self, p: BodyPose, t: float = 0.0) -> np.ndarray:
        """Skinned vertices (V, 3) for pose ``p``, feet on the floor (z = 0)."""
        G = self._rotations(p, t)
        D = np.tile(np.eye(4), (len(self.names), 1, 1))
        D[:, :3, :3] = G @ self.rest[:, :3, :3]
        D[0, :3, 3] = self.heads[0]
        tt = self.torch.tensor(D[None], dtype=self.torch.float64)
        out = self.m(pose_parameters=tt, phenotype_kwargs=self.pheno)
        v = out["vertices"][0].detach().numpy()
        v = v - np.array([0.0, 0.0, v[:, 2].min()])
        return v

    # -- the pose -----------------------------------------------------------------------------
    def _rotations(self, p: BodyPose, t: float) -> np.ndarray:
        own: dict[str, np.ndarray] = {}
        # legs: stance (abduction about the forward axis), knee bend (squats), a lunge (the left
        # thigh forward, the right one back)
        for side, sign in (("L", 1.0), ("R", -1.0)):
            hip = self.heads[self.idx[f"upperleg01.{side}"]]
            ankle = self.heads[self.idx[f"foot.{side}"]]
            drop = hip[2] - ankle[2]
            rest = math.atan2(abs(ankle[0]) - abs(hip[0]), drop)  # anny's legs stand a little apart
            want = math.atan2(p.stance / 2 - abs(hip[0]), drop)
            spread = math.degrees(want - rest) * sign
            step = p.lunge * sign
            flex = p.knee_flex + (1.2 * p.lunge if sign > 0 else 0.4 * p.lunge)
            # (a positive turn about FORWARD swings a leg towards +X, the body's left)
            thigh = rot(FORWARD, spread) @ rot(LEFT, -0.6 * flex - step)
            own[f"upperleg01.{side}"] = thigh
            own[f"lowerleg01.{side}"] = thigh @ rot(LEFT, flex) if flex else thigh
            own[f"foot.{side}"] = rot(FORWARD, spread)
        # trunk: lean at the lumbar spine, rounding spread over the thoracic spine, a twist of
        # the upper body, the shoulder blades drawn forward, the head nodded on top
        # (a positive turn about LEFT tips the up axis forward, towards -Y)
        lean = rot(LEFT, p.lean) @ rot(FORWARD, -p.side_lean)
        own["spine05"] = lean
        r = p.rounding
        own["spine03"] = lean @ rot(Z, p.twist) @ rot(LEFT, r / 3)
        own["spine02"] = own["spine03"] @ rot(LEFT, r / 3)
        own["spine01"] = own["spine02"] @ rot(LEFT, r / 3)
        for side, sign in (("L", 1.0), ("R", -1.0)):  # the clavicle turns its outer end forward
            own[f"clavicle.{side}"] = own["spine01"] @ rot(Z, -sign * 20.0 * p.protraction)
        own["neck01"] = own["spine01"] @ rot(LEFT, p.head_nod / 2)
        own["neck02"] = own["neck01"] @ rot(LEFT, p.head_nod / 2)
        G = self._chain(own)
        heads = self._posed_heads(G)
        # arms: aim each wrist like the synthetic body does, a two-bone chain with the elbow bend
        base = p.elevation + p.wobble * math.sin(2 * math.pi * 2.5 * t)
        sh_l, sh_r = heads[self.idx["upperarm01.L"]], heads[self.idx["upperarm01.R"]]
        mid_x = (sh_l[0] + sh_r[0]) / 2
        for side, sign in (("L", 1.0), ("R", -1.0)):
            elev = base + (p.elev_diff if sign < 0 else 0.0)
            blend = float(np.clip((base - 20.0) / 40.0, 0.0, 1.0))
            blend = blend * blend * (3 - 2 * blend)
            seg = self.seg[side]
            s = heads[self.idx[f"upperarm01.{side}"]]
            a, b = seg["upper_len"], seg["fore_len"]
            inner = math.radians(180.0 - p.elbow_flex)
            reach = math.sqrt(a * a + b * b - 2 * a * b * math.cos(inner))
            rest_x = s[0] + sign * 0.03
            gap = p.hand_gap
            if self.grip is not None and gap < APART:  # the grip sets the wrists' distance
                gap = self.grip.gap * self.hand[side]["length"] / ADULT_HAND
            wx = rest_x + (mid_x + sign * (gap / 2 + 0.01) - rest_x) * blend
            dz = -math.cos(math.radians(elev))
            if self.grip is not None and sign < 0:  # linked fingers fall between each other
                dz -= self.grip.stagger * blend / reach
            dx = float(np.clip((wx - s[0]) / reach, -1.0, 1.0))
            scale = min(1.0, math.sqrt(0.995 / max(dx * dx + dz * dz, 1e-9)))
            dx, dz = dx * scale, dz * scale
            d = np.array([dx, 0.0, dz]) + FORWARD * math.sqrt(max(0.0, 1 - dx * dx - dz * dz))
            if p.abduction:  # the raise turned outwards
                d = rot(Z, sign * p.abduction) @ d
            w = s + reach * d
            cos_alpha = (a * a + reach * reach - b * b) / (2 * a * reach)
            alpha = math.acos(float(np.clip(cos_alpha, -1.0, 1.0)))
            bend = sign * 0.7 * LEFT - 0.7 * Z
            bend = bend - d * float(bend @ d)
            bend /= np.linalg.norm(bend)
            e = s + a * (math.cos(alpha) * d + math.sin(alpha) * bend)
            upper = align(seg["upper"], e - s)
            fore = align(seg["fore"], w - e)
            own[f"upperarm01.{side}"] = upper
            own[f"lowerarm01.{side}"] = fore
            own[f"wrist.{side}"] = fore
            if self.grip is not None and blend > 0:
                self._pose_hand(own, side, sign, self.grip, blend)
        G = self._chain(own)
        if p.body_lean:  # the whole body tips forward (the feet are put back on the floor)
            G = rot(LEFT, p.body_lean) @ G
        return G

    def _pose_hand(
        self, own: dict[str, np.ndarray], side: str, sign: float, g: Grip, blend: float
    ) -> None:
        """Turn the hand to the grip (``blend`` 0-1: how far the arms have come up) and bend
        the fingers; the forearm's far half takes half the hand's turn, as the radius does."""
        from scipy.spatial.transform import Rotation, Slerp

        inward = -sign * LEFT
        along = FORWARD if g.point == "forward" else unit_(inward + 0.25 * FORWARD)
        palm = {"away": FORWARD, "body": -FORWARD, "inward": inward, "down": -Z}[g.palm]
        palm = unit_(palm - along * float(palm @ along))
        want = np.column_stack([along, palm, np.cross(along, palm)])
        fore = own[f"lowerarm01.{side}"]
        turn = Rotation.from_matrix(want @ self.hand[side]["frame"].T @ fore.T)
        path = Slerp([0.0, 1.0], Rotation.concatenate([Rotation.identity(), turn]))
        hand = path([blend]).as_matrix()[0] @ fore
        # the forearm's twist: the turn's part about the forearm's own axis (swing-twist)
        d = fore @ unit_(self.seg[side]["fore"])
        x, y, z, w = turn.as_quat()
        twist = np.array([*(d * float(np.array([x, y, z]) @ d)), w])
        if np.linalg.norm(twist) > 1e-9:
            half = Rotation.from_quat(twist / np.linalg.norm(twist)).as_rotvec() * 0.5 * blend
            own[f"lowerarm02.{side}"] = Rotation.from_rotvec(half).as_matrix() @ fore
        own[f"wrist.{side}"] = hand
        # a finger bends about the hand's across-the-palm axis, towards the palm
        axis = hand @ self.hand[side]["frame"][:, 2]
        for finger in FINGERS:
            bent = hand
            for k in (1, 2, 3):
                bent = rot(axis, g.curl * blend) @ bent
                own[f"{finger}-{k}.{side}"] = bent
        for m in range(1, 5):  # the palm's bones turn with the hand
            own[f"metacarpal{m}.{side}"] = hand

    def _chain(self, own: dict[str, np.ndarray]) -> np.ndarray:
        G = np.tile(np.eye(3), (len(self.names), 1, 1))
        for j, name in enumerate(self.names):  # parents come before children in anny's list
            G[j] = own[name] if name in own else G[self.parent[j]] if j else np.eye(3)
        return G

    def _posed_heads(self, G: np.ndarray) -> np.ndarray:
        """Where the bone heads go under world rotations G (each head follows its parent)."""
        heads = np.zeros_like(self.heads)
        heads[0] = self.heads[0]
        for j in range(1, len(self.names)):
            pj = self.parent[j]
            heads[j] = heads[pj] + G[pj] @ (self.heads[j] - self.heads[pj])
        return heads
