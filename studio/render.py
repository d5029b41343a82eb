"""Offscreen rendering (pyrender on EGL, Mesa llvmpipe on the CPU) and MP4 writing (ffmpeg)."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Camera pose (OpenGL: looks down its -Z, +Y up) at ``eye`` looking at ``target``."""
    f = target - eye
    f = f / np.linalg.norm(f)
    r = np.cross(f, up)
    r = r / np.linalg.norm(r)
    u = np.cross(r, f)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = r, u, -f, eye
    return m


class Renderer:
    """One scene: the body mesh (replaced each frame), a floor, a camera and lights."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        yaw_deg: float,
        distance: float,
        cam_height: float,
        vfov_deg: float,
        background: tuple[int, int, int],
        floor: tuple[int, int, int],
        light: float,
        aim: float = 0.95,
        clutter: int = 0,
        seed: int = 0,
    ) -> None:
        import pyrender
        import trimesh

        self.pyrender, self.trimesh = pyrender, trimesh
        bg = [c / 255 for c in background] + [1.0]
        self.scene = pyrender.Scene(bg_color=bg, ambient_light=[0.35 * light] * 3)
        # the person turns yaw degrees away from the camera: the camera sits on a circle
        y = math.radians(yaw_deg)
        eye = np.array([distance * math.sin(y), -distance * math.cos(y), cam_height])
        target = np.array([0.0, 0.0, aim])
        pose = look_at(eye, target, np.array([0.0, 0.0, 1.0]))
        cam = pyrender.PerspectiveCamera(yfov=math.radians(vfov_deg), aspectRatio=width / height)
        self.scene.add(cam, pose=pose)
        key = look_at(eye + np.array([1.0, 0.0, 1.2]), target, np.array([0.0, 0.0, 1.0]))
        self.scene.add(pyrender.DirectionalLight(intensity=2.5 * light), pose=key)
        fill = look_at(np.array([-2.0, -1.0, 2.5]), target, np.array([0.0, 0.0, 1.0]))
        self.scene.add(pyrender.DirectionalLight(intensity=1.0 * light), pose=fill)
        plane = trimesh.creation.box(extents=[8.0, 8.0, 0.02])
        plane.apply_translation([0.0, 0.0, -0.011])
        plane.visual.vertex_colors = np.tile([*floor, 255], (len(plane.vertices), 1))
        self.scene.add(pyrender.Mesh.from_trimesh(plane, smooth=False))
        if clutter:
            self._clutter(clutter, eye, seed)
        self.r = pyrender.OffscreenRenderer(width, height)
        self._node = None

    def _clutter(self, n: int, eye: np.ndarray, seed: int) -> None:
        """A wall behind the person and ``n`` boxes of random size and colour (furniture,
        shelves, a door): a busy background that the pose model must look past."""
        rng = np.random.default_rng(seed)
        back = -eye[:2] / np.linalg.norm(eye[:2])  # from the person away from the camera
        side = np.array([-back[1], back[0]])
        wall = self.trimesh.creation.box(extents=[6.0, 0.05, 3.0])
        angle = math.atan2(back[1], back[0]) - math.pi / 2
        turn = self.trimesh.transformations.rotation_matrix(angle, [0, 0, 1])
        wall.apply_transform(turn)
        wall.apply_translation([*(back * 2.2), 1.5])
        wall_colour = [*rng.integers(90, 240, 3), 255]
        wall.visual.vertex_colors = np.tile(wall_colour, (len(wall.vertices), 1))
        self.scene.add(self.pyrender.Mesh.from_trimesh(wall, smooth=False))
        for _ in range(n):
            ext = rng.uniform([0.2, 0.2, 0.2], [0.9, 0.5, 1.9])
            box = self.trimesh.creation.box(extents=ext)
            box.apply_transform(turn)
            pos = back * rng.uniform(1.0, 2.0) + side * rng.uniform(-2.0, 2.0)
            if abs(float(pos @ side)) < 0.5:  # keep the person's outline free
                pos = pos + side * np.sign(float(pos @ side) or 1.0) * 0.6
            box.apply_translation([*pos, ext[2] / 2])
            colour = [*rng.integers(20, 250, 3), 255]
            box.visual.vertex_colors = np.tile(colour, (len(box.vertices), 1))
            self.scene.add(self.pyrender.Mesh.from_trimesh(box, smooth=False))

    def frame(self, vertices: np.ndarray, faces: np.ndarray, colours: np.ndarray) -> np.ndarray:
        mesh = self.trimesh.Trimesh(vertices, faces, vertex_colors=colours, process=False)
        node = self.scene.add(self.pyrender.Mesh.from_trimesh(mesh, smooth=True))
        if self._node is not None:
            self.scene.remove_node(self._node)
        self._node = node
        rgb, _ = self.r.render(self.scene)
        return np.ascontiguousarray(rgb)

    def close(self) -> None:
        self.r.delete()


#: ffmpeg encoder options per codec: H.264 (phones), MPEG-4 part 2 ("mp4v", old cameras and
#: OpenCV's default writer), VP9 (browsers' recordings); all in an MP4 container.
CODECS = {
    "h264": ["-c:v", "libx264", "-preset", "medium", "-crf", "28"],
    "mp4v": ["-c:v", "mpeg4", "-q:v", "6"],
    "vp9": ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "40", "-row-mt", "1", "-deadline", "good",
            "-cpu-used", "4"],
}  # fmt: skip


class Mp4Writer:
    """Frames (RGB uint8) piped to ffmpeg: small files any player reads."""

    def __init__(
        self, path: Path, width: int, height: int, fps: float, codec: str = "h264"
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.p = subprocess.Popen(
            ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
             "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-", "-an", *CODECS[codec],
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
            stdin=subprocess.PIPE,
        )  # fmt: skip

    def write(self, rgb: np.ndarray) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(rgb.tobytes())

    def close(self) -> None:
        assert self.p.stdin is not None
        self.p.stdin.close()
        if self.p.wait() != 0:
            raise RuntimeError("ffmpeg failed to write the clip")
