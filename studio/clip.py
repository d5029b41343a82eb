"""One scenario -> ``NAME.mp4`` + ``NAME.truth.json`` + ``NAME.csv`` (true pose per frame)."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

from backstretch.exercise import builtin_exercise
from backstretch.pose.synthetic import (
    POSE_FIELDS,
    Body,
    Script,
    Style,
    non_stretch_script,
    stretch_script,
)
from studio.body import GRIPS, AnnyBody, Colours
from studio.render import Mp4Writer, Renderer
from studio.scenario import Scenario
from studio.truth import ClipTruth, RepTruth
from tests.builders import limits_for

CSV_FIELDS = ("t", "phase", *POSE_FIELDS)


#: Bodies at least this tall (m) perform the scripts' distances as written; a smaller one
#: (a child) in proportion to its height.
ADULT_HEIGHT = 1.5


def build_script(sc: Scenario, body: AnnyBody) -> Script:
    s = sc.script
    if s.kind == "non_stretch":
        script = non_stretch_script(s.movement, sway=s.style.sway)
    else:
        faults = {int(k): v for k, v in s.faults.items()}
        script = stretch_script(s.reps, s.hold_s, faults=faults, lead_s=s.lead_s,
                                rest_s=s.rest_s, name=sc.name,
                                style=Style(**s.style.model_dump()),
                                severity=s.severity)  # fmt: skip
    script.size = min(1.0, body.height / ADULT_HEIGHT)
    return script


def truth_body(body: AnnyBody) -> Body:
    """The synthetic body with this anny body's proportions (for the truth's measures)."""
    h, i = body.heads, body.idx
    height = body.height
    shoulders = (h[i["upperarm01.L"]] + h[i["upperarm01.R"]]) / 2
    hips = (h[i["upperleg01.L"]] + h[i["upperleg01.R"]]) / 2
    seg = body.seg["L"]
    return Body(
        height=height,
        torso=float(np.linalg.norm(shoulders - hips)) / height,
        upper_arm=seg["upper_len"] / height,
        forearm=seg["fore_len"] / height,
    )


def render_clip(sc: Scenario, out: Path, anny_body: AnnyBody | None = None) -> ClipTruth:
    body = anny_body or AnnyBody(sc.body.model_dump(), Colours(**sc.colours.model_dump()))
    script = build_script(sc, body)
    body.grip = GRIPS[sc.script.style.grip] if sc.script.kind == "stretch" else None
    cam = sc.camera
    renderer = Renderer(cam.width, cam.height_px, yaw_deg=cam.yaw, distance=cam.distance,
                        cam_height=cam.height, vfov_deg=cam.vfov, aim=cam.aim,
                        background=sc.scene.background, floor=sc.scene.floor,
                        light=sc.scene.light, clutter=sc.scene.clutter,
                        seed=sc.scene.seed)  # fmt: skip
    video = out / f"{sc.name}.mp4"
    writer = Mp4Writer(video, cam.width, cam.height_px, cam.fps, codec=cam.codec)
    n = round(script.duration * cam.fps)
    rows = []
    started = time.monotonic()
    try:
        for k in range(n):
            t = k / cam.fps
            pose, phase = script.pose_at(t)
            writer.write(renderer.frame(body.vertices(pose, t), body.faces, body.colours))
            rows.append([round(t, 4), phase, *(round(getattr(pose, f), 3) for f in CSV_FIELDS[2:])])
            if k % 50 == 0:
                rate = (k + 1) / max(time.monotonic() - started, 1e-6)
                print(f"\r{sc.name}: {k + 1}/{n} frames ({rate:.1f}/s)", end="", file=sys.stderr)
    finally:
        writer.close()
        renderer.close()
    print(file=sys.stderr)
    with (out / f"{sc.name}.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_FIELDS)
        w.writerows(rows)
    truth = clip_truth(sc, script, body, n)
    (out / f"{sc.name}.truth.json").write_text(truth.model_dump_json(indent=2) + "\n")
    return truth


def clip_truth(sc: Scenario, script: Script, body: AnnyBody, frames: int) -> ClipTruth:
    ex = builtin_exercise()
    fps = sc.camera.fps
    raw = script.truth(truth_body(body), sc.camera.yaw, fps, limits_for(ex))
    times = np.arange(frames) / fps
    phases = np.array([script.pose_at(float(t))[1] for t in times])
    reps = []
    for r in raw["reps"]:
        inside = (times >= r["start_s"]) & (times < r["end_s"]) & (phases == "position")
        reps.append(
            RepTruth(
                start_s=round(r["start_s"], 3),
                hold_start_s=None if r["hold_start_s"] is None else round(r["hold_start_s"], 3),
                hold_end_s=None if r["hold_end_s"] is None else round(r["hold_end_s"], 3),
                end_s=round(r["end_s"], 3),
                position_s=round(float(inside.sum()) / fps, 3),
                hold_s=round(r["hold_s"], 3),
                faults=r["faults"],
            )
        )
    return ClipTruth(
        name=sc.name, split=sc.split, kind=sc.script.kind, video=f"{sc.name}.mp4", fps=fps,
        frames=frames, width=sc.camera.width, height=sc.camera.height_px,
        duration_s=round(frames / fps, 3), camera_yaw_deg=sc.camera.yaw, view=raw["view"],
        body=sc.body.model_dump(), family=sc.script.family,
        style=sc.script.style.model_dump() if sc.script.kind == "stretch" else {},
        movement=sc.script.movement, camera=sc.camera.model_dump(), reps=reps, rep_count=len(reps),
        completed_count=sum(not r.faults for r in reps),
        fault_codes=sorted({c for r in reps for c in r.faults}),
    )  # fmt: skip
