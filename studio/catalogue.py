"""The benchmark set, as scenario files: 4 bodies, 7 camera yaws, every fault twice (once in
the tune split, once in the test split, each in a view where its check is valid), clean
sets, and non-stretch movements. ``python -m studio scenarios`` writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BODIES: dict[str, dict[str, float]] = {
    "ana": {"gender": 0.0, "age": 0.45, "weight": 0.4, "height": 0.45, "muscle": 0.5},
    "ben": {"gender": 1.0, "age": 0.5, "weight": 0.6, "height": 0.75, "muscle": 0.7},
    "cleo": {"gender": 0.2, "age": 0.85, "weight": 0.7, "height": 0.35, "muscle": 0.35},
    "dev": {"gender": 0.85, "age": 0.3, "weight": 0.3, "height": 0.3, "muscle": 0.5},
}
OUTFITS = {
    "ana": {"shirt": (180, 40, 60), "trousers": (30, 30, 40), "hair": (90, 55, 30)},
    "ben": {"shirt": (40, 110, 70), "trousers": (60, 70, 110), "hair": (30, 25, 20),
            "skin": (150, 100, 70)},
    "cleo": {"shirt": (220, 200, 80), "trousers": (80, 60, 50), "hair": (200, 200, 200),
             "skin": (235, 190, 160)},
    "dev": {"shirt": (60, 60, 60), "trousers": (120, 110, 90), "hair": (20, 15, 10),
            "skin": (110, 75, 50)},
}  # fmt: skip
SCENES = [
    {"background": (200, 205, 210), "floor": (150, 140, 130), "light": 1.0},
    {"background": (235, 225, 205), "floor": (120, 100, 80), "light": 1.2},
    {"background": (170, 185, 175), "floor": (160, 160, 160), "light": 0.8},
]

# (fault, body, yaw, split): each fault twice, in views where its check is valid
FAULTS = [
    ("elbows_bent", "ana", 45, "tune"), ("elbows_bent", "ben", 20, "test"),
    ("arms_too_low", "cleo", 60, "tune"), ("arms_too_low", "dev", 0, "test"),
    ("arms_too_high", "ben", 35, "tune"), ("arms_too_high", "ana", 75, "test"),
    ("hands_apart", "dev", 45, "tune"), ("hands_apart", "cleo", 20, "test"),
    ("no_rounding", "ana", 60, "tune"), ("no_rounding", "ben", 45, "test"),
    ("release_too_fast", "cleo", 0, "tune"), ("release_too_fast", "dev", 60, "test"),
    ("jerky_movement", "ben", 45, "tune"), ("jerky_movement", "ana", 35, "test"),
    ("stance_too_narrow", "dev", 35, "tune"), ("stance_too_narrow", "cleo", 45, "test"),
    ("stance_too_wide", "ana", 20, "tune"), ("stance_too_wide", "ben", 0, "test"),
    ("trunk_leaning", "cleo", 45, "tune"), ("trunk_leaning", "dev", 90, "test"),
    ("hold_too_short", "ben", 60, "tune"), ("hold_too_short", "cleo", 35, "test"),
]  # fmt: skip
CLEAN = [("ana", 45, "tune"), ("dev", 75, "tune"), ("ben", 90, "test"), ("cleo", 20, "test")]
MOVES = [
    ("front_raises", "ana", 45, "tune"), ("squats_arms_forward", "ben", 45, "test"),
    ("idle_gestures", "cleo", 0, "test"), ("t_pose", "dev", 20, "tune"),
    ("seated_reach", "ana", 60, "test"),
]  # fmt: skip
SAMPLE = {"name": "sample", "body": "ana", "yaw": 45}


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
    for k, v in d.items():
        if isinstance(v, dict):
            lines = [f"[{k}]"]
            for kk, vv in v.items():
                if isinstance(vv, dict):
                    inner = ", ".join(f'"{a}" = {_toml_value(b)}' for a, b in vv.items())
                    lines.append(f"{kk} = {{ {inner} }}")
                else:
                    lines.append(f"{kk} = {_toml_value(vv)}")
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _scenario(name: str, split: str, body: str, yaw: float, script: dict[str, Any], i: int) -> str:
    return _toml({
        "name": name,
        "split": split,
        "body": BODIES[body],
        "colours": OUTFITS[body],
        "scene": SCENES[i % len(SCENES)],
        "camera": {"yaw": float(yaw), "distance": 2.6 + 0.2 * (i % 3), "fps": 15.0},
        "script": script,
    })  # fmt: skip


def write_scenarios(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    i = 0
    for code, body, yaw, split in FAULTS:
        i += 1
        n = f"{split}-{code}-{body}-{yaw}"
        files[n] = _scenario(n, split, body, yaw, {"reps": 1, "faults": {"0": code}}, i)
    for body, yaw, split in CLEAN:
        i += 1
        n = f"{split}-clean-{body}-{yaw}"
        files[n] = _scenario(n, split, body, yaw, {"reps": 2}, i)
    for move, body, yaw, split in MOVES:
        i += 1
        n = f"{split}-move-{move}-{body}-{yaw}"
        files[n] = _scenario(n, split, body, yaw, {"kind": "non_stretch", "movement": move}, i)
    files["sample"] = _scenario("sample", "test", SAMPLE["body"], SAMPLE["yaw"],
                                {"reps": 2, "hold_s": 15.5, "lead_s": 2.0}, 0)  # fmt: skip
    paths = []
    for name, text in files.items():
        p = out / f"{name}.toml"
        p.write_text(f"# {name}: written by `python -m studio scenarios`\n" + text)
        paths.append(p)
    return paths
