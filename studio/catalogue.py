"""The benchmark set, as scenario files. ``python -m studio scenarios`` writes them.

Two splits that differ in what we do not control, not only in the camera:

- **tune** (thresholds may be chosen here): bodies ana, ben, cleo, dev; the back rounded by
  upper-back flexion with the head bowed or the chin tucked; a moderate tempo; arms at
  80-92 deg with straight elbows; half of the non-stretch movements' performers.
- **test** (reported only): bodies eli, fay, gus, hana; the back rounded by drawing the
  shoulder blades forward (or a mix) with the head in line with the trunk; tempo 0.6-1.6x,
  arm height 74-100 deg, soft elbows, looser hand contact, more sway and breathing.

Each split has every fault three times (in views that can see it, each acted out with its own
severity), clean sets, and all the non-stretch movements. Cameras vary in both: yaw 0-90,
height, distance (some far away), tilt, frame rate 10-60, size (320x240 to portrait
1080x1920), codec (H.264, MPEG-4 part 2, VP9), and scenes (clutter, dim light, clothes).
Everything is drawn from one seeded generator, so the set is the same on every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from backstretch.pose.synthetic import NON_STRETCH

BODIES: dict[str, dict[str, float]] = {
    # tune
    "ana": {"gender": 0.0, "age": 0.45, "weight": 0.4, "height": 0.45, "muscle": 0.5},
    "ben": {"gender": 1.0, "age": 0.5, "weight": 0.6, "height": 0.75, "muscle": 0.7},
    "cleo": {"gender": 0.2, "age": 0.85, "weight": 0.7, "height": 0.35, "muscle": 0.35},
    "dev": {"gender": 0.85, "age": 0.3, "weight": 0.3, "height": 0.3, "muscle": 0.5},
    # test
    "eli": {"gender": 0.9, "age": 0.8, "weight": 0.9, "height": 0.55, "muscle": 0.4},
    "fay": {"gender": 0.05, "age": 0.35, "weight": 0.2, "height": 0.9, "muscle": 0.45,
            "proportions": 0.8},
    "gus": {"gender": 0.7, "age": 0.2, "weight": 0.55, "height": 0.15, "muscle": 0.9},
    "hana": {"gender": 0.3, "age": 0.6, "weight": 0.5, "height": 0.6, "muscle": 0.3,
             "proportions": 0.2},
    # holdout
    "ivo": {"gender": 0.95, "age": 0.95, "weight": 0.8, "height": 0.4, "muscle": 0.3},
    "jun": {"gender": 0.1, "age": 0.25, "weight": 0.35, "height": 0.3, "muscle": 0.55,
            "proportions": 0.5},
    "kim": {"gender": 0.6, "age": 0.5, "weight": 0.15, "height": 1.0, "muscle": 0.6,
            "proportions": 0.9},
    "lou": {"gender": 0.25, "age": 0.7, "weight": 0.95, "height": 0.5, "muscle": 0.2},
}  # fmt: skip
SPLIT_BODIES = {"tune": ["ana", "ben", "cleo", "dev"], "test": ["eli", "fay", "gus", "hana"],
                "holdout": ["ivo", "jun", "kim", "lou"]}  # fmt: skip
#: the holdout split's ways of rounding: the head and the lead in pairs neither other split has
HOLDOUT_FAMILIES = (("neutral", "flexion"), ("bowed", "protraction"), ("bowed", "mixed"),
                    ("tucked", "protraction"), ("tucked", "mixed"))  # fmt: skip
SKINS = [(224, 172, 140), (150, 100, 70), (235, 190, 160), (110, 75, 50), (190, 140, 100)]

#: the views each fault's check can be made in (as in the exercise definition)
FAULT_VIEWS = {
    "elbows_bent": (0, 90), "arms_too_low": (0, 90), "arms_too_high": (0, 90),
    "hands_apart": (0, 55), "no_rounding": (35, 90), "release_too_fast": (0, 90),
    "jerky_movement": (0, 90), "stance_too_narrow": (0, 55), "stance_too_wide": (0, 55),
    "trunk_leaning": (35, 90), "hold_too_short": (0, 90),
}  # fmt: skip
#: how hard each fault is acted out (pose numbers or times), drawn per clip
SEVERITY = {
    "elbows_bent": {"elbow_flex": (62.0, 85.0)},
    "arms_too_low": {"elevation": (45.0, 58.0)},
    "arms_too_high": {"elevation": (120.0, 128.0)},
    "hands_apart": {"hand_gap": (0.3, 0.5)},
    "stance_too_narrow": {"stance": (0.0, 0.1)},
    "stance_too_wide": {"stance": (0.8, 0.95)},
    "trunk_leaning": {"lean": (28.0, 38.0)},
    "jerky_movement": {"wobble": (7.0, 10.0)},
    "release_too_fast": {"release_s": (0.3, 0.45)},
    "hold_too_short": {"hold_s": (6.0, 10.0)},
    "no_rounding": {},
}
FAULTS_PER_SPLIT = 3
CLEAN_PER_SPLIT = 11


def _u(rng: np.random.Generator, lo: float, hi: float, nd: int = 2) -> float:
    return round(float(rng.uniform(lo, hi)), nd)


def _style(rng: np.random.Generator, split: str) -> tuple[str, dict[str, Any]]:
    if split == "tune":
        head, lead = str(rng.choice(["bowed", "tucked"])), "flexion"
        style = {"amount": _u(rng, 0.9, 1.3), "elevation": _u(rng, 80, 92, 1),
                 "elbow_flex": _u(rng, 0, 8, 1), "hand_gap": _u(rng, 0.03, 0.08),
                 "tempo": _u(rng, 0.8, 1.2), "sway": _u(rng, 0, 1.5),
                 "breathing": _u(rng, 0.5, 1.5)}  # fmt: skip
    elif split == "holdout":
        head, lead = HOLDOUT_FAMILIES[int(rng.integers(len(HOLDOUT_FAMILIES)))]
        style = {"amount": _u(rng, 0.8, 1.3), "elevation": _u(rng, 72, 102, 1),
                 "elbow_flex": _u(rng, 0, 18, 1), "hand_gap": _u(rng, 0.02, 0.12),
                 "tempo": _u(rng, 0.6, 1.6), "sway": _u(rng, 0, 3),
                 "breathing": _u(rng, 0, 2)}  # fmt: skip
    else:
        head, lead = "neutral", str(rng.choice(["protraction", "mixed"]))
        style = {"amount": _u(rng, 0.8, 1.3), "elevation": _u(rng, 74, 100, 1),
                 "elbow_flex": _u(rng, 0, 20, 1), "hand_gap": _u(rng, 0.02, 0.12),
                 "tempo": _u(rng, 0.6, 1.6), "sway": _u(rng, 0, 3),
                 "breathing": _u(rng, 0, 2)}  # fmt: skip
    return f"{head}-{lead}", {"head": head, "lead": lead, **style}


def _camera(rng: np.random.Generator, yaw: float, k: int, fps: float | None = None) -> dict:
    """Camera k of a split: most are ordinary, every few an unusual one."""
    cam: dict[str, Any] = {
        "yaw": float(yaw), "distance": _u(rng, 2.4, 3.6), "height": _u(rng, 0.8, 1.6),
        "aim": _u(rng, 0.8, 1.15), "fps": fps or float(rng.choice([10.0, 10.0, 10.0, 10.0, 12.0])),
        "codec": str(rng.choice(["h264", "h264", "h264", "mp4v", "vp9"])),
    }  # fmt: skip
    special = k % 24
    if special in (1, 13):
        cam |= {"width": 320, "height_px": 240}  # an old webcam
    elif special == 3:
        cam |= {"width": 1080, "height_px": 1920, "fps": fps or 10.0}  # a phone held upright
    elif special in (5, 17):
        cam |= {"distance": _u(rng, 6.0, 7.0), "vfov": 55.0}  # far away: a third of the frame
    elif special == 7:
        cam |= {"width": 1280, "height_px": 720, "vfov": 45.0}
    elif special in (9, 21):
        cam |= {"width": 480, "height_px": 640, "distance": _u(rng, 3.2, 3.8)}
    return cam


def _scene(rng: np.random.Generator, k: int) -> dict[str, Any]:
    dim = k % 10 == 4
    return {
        "background": tuple(int(c) for c in rng.integers(60, 245, 3)),
        "floor": tuple(int(c) for c in rng.integers(60, 200, 3)),
        "light": 0.4 if dim else _u(rng, 0.6, 1.4),
        "clutter": int(rng.integers(3, 9)) if rng.random() < 0.5 else 0,
        "seed": int(rng.integers(0, 1_000_000)),
    }


def _colours(rng: np.random.Generator) -> dict[str, Any]:
    def c() -> tuple[int, ...]:
        return tuple(int(x) for x in rng.integers(15, 240, 3))

    return {"skin": SKINS[int(rng.integers(len(SKINS)))], "shirt": c(), "trousers": c(),
            "shoes": c(), "hair": c()}  # fmt: skip


def _toml_value(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _toml(d: dict[str, Any]) -> str:
    top = [f"{k} = {_toml_value(v)}" for k, v in d.items() if not isinstance(v, dict)]
    parts = ["\n".join(top)]

    def table(name: str, v: dict[str, Any]) -> None:
        lines = [f"[{name}]"]
        subs = []
        for kk, vv in v.items():
            if isinstance(vv, dict) and kk == "style":
                subs.append((f"{name}.{kk}", vv))
            elif isinstance(vv, dict):
                inner = ", ".join(f'"{a}" = {_toml_value(b)}' for a, b in vv.items())
                lines.append(f"{kk} = {{ {inner} }}")
            else:
                lines.append(f"{kk} = {_toml_value(vv)}")
        parts.append("\n".join(lines))
        for n, sub in subs:
            table(n, sub)

    for k, v in d.items():
        if isinstance(v, dict):
            table(k, v)
    return "\n\n".join(parts) + "\n"


def _add_split(
    rng: np.random.Generator,
    out: dict[str, dict[str, Any]],
    split: str,
    faults_per: int,
    clean_per: int,
    moves: tuple[str, ...],
) -> None:
    """Add one split's scenarios: every fault ``faults_per`` times, ``clean_per`` clean sets,
    and the non-stretch ``moves``, all drawn from ``rng`` in a fixed order."""

    def add(name: str, body: str, cam: dict, script: dict, k: int) -> None:
        out[name] = {"name": name, "split": split, "body": BODIES[body],
                     "colours": _colours(rng), "scene": _scene(rng, k), "camera": cam,
                     "script": script}  # fmt: skip

    bodies = SPLIT_BODIES[split]
    k = 0
    for code, (lo, hi) in FAULT_VIEWS.items():
        for j in range(faults_per):
            k += 1
            # k + j walks through the bodies when a fault has an odd number of clips; with an
            # even number it keeps one parity (two bodies only), so k // 2 + j walks instead
            body = bodies[(k + j if faults_per % 2 else k // 2 + j) % len(bodies)]
            yaw = round((lo + (hi - lo) * (j + rng.uniform(0, 1)) / faults_per) / 5) * 5
            family, style = _style(rng, split)
            sev = {key: _u(rng, a, b) for key, (a, b) in SEVERITY[code].items()}
            fps = 24.0 if code == "jerky_movement" else None
            # a form fault held all through leaves no hold in good form: its length does not
            # matter, so those clips are shorter
            whole = code in ("jerky_movement", "release_too_fast")
            hold = (16.3, 17.5) if whole else (9.0, 13.0)
            script = {"reps": 1, "hold_s": _u(rng, *hold, 1), "faults": {"0": code},
                      "severity": sev, "style": style, "family": family,
                      "lead_s": _u(rng, 1.5, 3.0, 1)}  # fmt: skip
            cam = _camera(rng, yaw, k, fps)
            add(f"{split}-{code}-{body}-{yaw}-{j}", body, cam, script, k)
    for j in range(clean_per):
        k += 1
        body = bodies[j % len(bodies)]
        yaw = round(rng.uniform(0, 90) / 5) * 5
        family, style = _style(rng, split)
        fps = (60.0 if split == "test" else 30.0) if j == 0 else None
        reps = 2 if j % 4 == 2 else 1
        script = {"reps": reps, "hold_s": _u(rng, 16.5, 19.0, 1), "style": style,
                  "family": family, "lead_s": _u(rng, 1.5, 3.0, 1),
                  "rest_s": _u(rng, 2.5, 4.0, 1)}  # fmt: skip
        cam = _camera(rng, yaw, k, fps)
        add(f"{split}-clean-{body}-{yaw}-{j}", body, cam, script, k)
    for j, move in enumerate(moves):
        k += 1
        body = bodies[(j + (split == "test")) % len(bodies)]
        yaw = round(rng.uniform(0, 90) / 5) * 5
        script = {"kind": "non_stretch", "movement": move, "family": "movement",
                  "style": {"sway": _u(rng, 0, 2)}}  # fmt: skip
        cam = _camera(rng, yaw, k, 10.0)
        add(f"{split}-move-{move}-{body}-{yaw}", body, cam, script, k)


def catalogue() -> dict[str, dict[str, Any]]:
    """Every scenario of the benchmark set (tune and test), by name."""
    rng = np.random.default_rng(20261202)
    out: dict[str, dict[str, Any]] = {}
    for split in ("tune", "test"):
        _add_split(rng, out, split, FAULTS_PER_SPLIT, CLEAN_PER_SPLIT, NON_STRETCH)
    return out


#: The holdout split (rendered 2026-12-04, after every threshold of the analysis was chosen):
#: four new bodies, ways of rounding neither other split has (``HOLDOUT_FAMILIES``), every
#: fault twice, eight clean sets and half the non-stretch movements. It is reported only; a
#: change made after looking at it must say so, as the test split's do.
HOLDOUT_MOVES = 15


def holdout_catalogue() -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(20261204)
    moves = tuple(str(m) for m in rng.choice(NON_STRETCH, HOLDOUT_MOVES, replace=False))
    out: dict[str, dict[str, Any]] = {}
    _add_split(rng, out, "holdout", 2, 8, moves)
    return out


SAMPLE = {"name": "sample", "split": "test", "body": BODIES["ana"],
          "colours": {"shirt": (180, 40, 60), "trousers": (30, 30, 40), "hair": (90, 55, 30)},
          "scene": {"background": (200, 205, 210), "floor": (150, 140, 130), "light": 1.0},
          "camera": {"yaw": 45.0, "distance": 2.6, "fps": 15.0},
          "script": {"reps": 2, "hold_s": 15.5, "lead_s": 2.0}}  # fmt: skip


#: Test scenarios filmed again as a phone or webcam records: 30 fps, 1280x720. At 10-12 fps
#: the analysis sees every frame; these are where it chooses which frames to analyse
#: (benchmarks/bench_rate.py compares that choice with every frame).
RATE_FROM = ("test-clean-fay-45-1", "test-clean-hana-75-7", "test-clean-eli-25-8",
             "test-release_too_fast-eli-25-0", "test-jerky_movement-fay-45-1",
             "test-hold_too_short-hana-60-2")  # fmt: skip


def rate_catalogue() -> dict[str, dict[str, Any]]:
    cat = catalogue()
    out = {}
    for name in RATE_FROM:
        d = {**cat[name], "name": name.replace("test-", "rate-", 1)}
        d["camera"] = {**d["camera"], "fps": 30.0, "width": 1280, "height_px": 720,
                       "codec": "h264"}  # fmt: skip
        out[d["name"]] = d
    return out


#: The hands set (issue 11): every grip of ``studio.body.GRIPS`` but ``loose``, in four views,
#: on two bodies a split; short clips (one 6 s hold) at 960x720, where a hand is 60-110
#: pixels long, as a phone or webcam films it from 2-3 m.
HAND_GRIPS = ("interlaced_palms_away", "interlaced_palms_body", "palms_together", "hands_apart",
              "fists")  # fmt: skip
HAND_YAWS = (0, 25, 45, 70)
HAND_BODIES = {"tune": ("ana", "ben"), "test": ("eli", "fay")}


def hands_catalogue() -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(20261203)
    out: dict[str, dict[str, Any]] = {}
    k = 0
    for split, bodies in HAND_BODIES.items():
        for grip in HAND_GRIPS:
            for body in bodies:
                for yaw in HAND_YAWS:
                    k += 1
                    family, style = _style(rng, split)
                    cam = {"yaw": float(yaw), "distance": _u(rng, 2.2, 3.0),
                           "height": _u(rng, 1.0, 1.5), "aim": _u(rng, 0.9, 1.1), "fps": 10.0,
                           "width": 960, "height_px": 720,
                           "codec": str(rng.choice(["h264", "h264", "mp4v", "vp9"]))}  # fmt: skip
                    script = {"reps": 1, "hold_s": 6.0, "lead_s": 1.5, "rest_s": 1.0,
                              "style": {**style, "grip": grip}, "family": family}  # fmt: skip
                    name = f"hands-{split}-{grip}-{body}-{yaw}"
                    out[name] = {"name": name, "split": split, "body": BODIES[body],
                                 "colours": _colours(rng), "scene": _scene(rng, k), "camera": cam,
                                 "script": script}  # fmt: skip
    return out


def write_scenarios(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = _write(out / "rate", {name: _toml(d) for name, d in rate_catalogue().items()})
    paths += _write(out / "hands", {name: _toml(d) for name, d in hands_catalogue().items()})
    paths += _write(out / "holdout", {n: _toml(d) for n, d in holdout_catalogue().items()})
    files = {name: _toml(d) for name, d in catalogue().items()}
    files["sample"] = _toml(SAMPLE)
    return paths + _write(out, files)


def _write(out: Path, files: dict[str, str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for old in out.glob("*.toml"):
        if old.stem not in files:
            old.unlink()
    for name, text in files.items():
        p = out / f"{name}.toml"
        p.write_text(f"# {name}: written by `python -m studio scenarios`\n" + text)
        paths.append(p)
    return paths
