"""A performer: a script acted out by a body in front of a camera, seen by a noisy model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backstretch.pose.synthetic.body import Body, Camera
from backstretch.pose.synthetic.script import FormLimits, Script
from backstretch.types import N_LANDMARKS, PoseFrame, VideoInfo


@dataclass(frozen=True)
class Performer:
    """Someone acting out a script in front of a camera, seen by an imperfect pose model."""

    script: Script
    body: Body = field(default_factory=Body)
    camera: Camera = field(default_factory=Camera)
    noise_px: float = 1.5  # picture landmark jitter (pixels, standard deviation)
    world_noise_m: float = 0.008
    dropout: float = 0.0  # chance that a frame has no pose at all
    breathing: bool = True  # the script's breathing and sway (off: the bare script)
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
            pose, _ = self.script.pose_at(t, motion=self.breathing)
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
