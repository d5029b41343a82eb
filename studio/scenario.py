"""Scenarios as data: one TOML file per clip (body, clothes, scene, camera, movements)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Colour = tuple[int, int, int]


class _S(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BodySpec(_S):
    """anny phenotype values, each 0-1 (0.5 is the average)."""

    gender: float = Field(0.5, ge=0, le=1)
    age: float = Field(0.5, ge=0, le=1)
    muscle: float = Field(0.5, ge=0, le=1)
    weight: float = Field(0.5, ge=0, le=1)
    height: float = Field(0.5, ge=0, le=1)
    proportions: float = Field(0.5, ge=0, le=1)


class ColourSpec(_S):
    skin: Colour = (224, 172, 140)
    shirt: Colour = (40, 90, 170)
    trousers: Colour = (40, 40, 48)
    shoes: Colour = (235, 235, 235)
    hair: Colour = (60, 40, 25)


class SceneSpec(_S):
    background: Colour = (200, 205, 210)
    floor: Colour = (150, 140, 130)
    light: float = Field(1.0, gt=0, le=3)
    clutter: int = Field(0, ge=0, le=20, description="furniture-like boxes behind the person")
    seed: int = 0


class CameraSpec(_S):
    yaw: float = Field(45.0, ge=0, le=90, description="0 = facing the camera, 90 = side-on")
    distance: float = Field(2.6, gt=0.5, le=10)
    height: float = Field(1.1, gt=0, le=3, description="camera height above the floor, m")
    vfov: float = Field(50.0, gt=10, le=120)
    aim: float = Field(0.95, ge=0, le=2, description="height the camera looks at, m (its tilt)")
    fps: float = Field(15.0, gt=0, le=60)
    width: int = Field(640, gt=0, le=1920)
    height_px: int = Field(480, gt=0, le=1920)
    codec: Literal["h264", "mp4v", "vp9"] = "h264"


class StyleSpec(_S):
    """How the stretch is performed (``backstretch.pose.synthetic.Style``)."""

    head: Literal["bowed", "neutral", "tucked"] = "bowed"
    lead: Literal["flexion", "protraction", "mixed"] = "flexion"
    amount: float = Field(1.0, ge=0.5, le=1.6)
    elevation: float = Field(85.0, ge=60, le=110)
    elbow_flex: float = Field(0.0, ge=0, le=30)
    hand_gap: float = Field(0.06, ge=0, le=0.15)
    tempo: float = Field(1.0, ge=0.5, le=2.0)
    sway: float = Field(0.0, ge=0, le=4)
    breathing: float = Field(1.0, ge=0, le=2)
    grip: Literal["loose", "interlaced_palms_away", "interlaced_palms_body", "palms_together",
                  "hands_apart", "fists"] = Field(
        "loose", description="how the hands are held in the stretch (studio.body.GRIPS)"
    )  # fmt: skip


class ScriptSpec(_S):
    """The movements: the stretch (with faults per repetition) or a non-stretch movement."""

    kind: Literal["stretch", "non_stretch"] = "stretch"
    reps: int = Field(2, ge=1, le=5)
    hold_s: float = Field(16.0, gt=0)
    faults: dict[str, str] = Field(default_factory=dict, description="rep index (0-based) -> code")
    movement: str = Field("", description="non_stretch: front_raises, squats_arms_forward, ...")
    lead_s: float = 2.5
    rest_s: float = 3.0
    severity: dict[str, float] = Field(
        default_factory=dict, description="how a fault is acted out, e.g. elbow_flex = 80"
    )
    style: StyleSpec = StyleSpec()
    family: str = Field("", description="the style family (splits are drawn by family)")


class Scenario(_S):
    name: str
    split: Literal["tune", "test", "holdout"]
    body: BodySpec = BodySpec()
    colours: ColourSpec = ColourSpec()
    scene: SceneSpec = SceneSpec()
    camera: CameraSpec = CameraSpec()
    script: ScriptSpec = ScriptSpec()


def load_scenario(path: str | Path) -> Scenario:
    with open(path, "rb") as fh:
        return Scenario.model_validate(tomllib.load(fh))
