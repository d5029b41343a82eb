"""The analysis report: a versioned, documented data model (serialised as JSON).

Field names are a contract other tools read; add fields, never rename them, and bump
``SCHEMA_VERSION`` on any change of meaning.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VideoFacts(_Model):
    source: str = Field(description="the analysed file")
    fps: float = Field(description="frames per second of the container")
    frames: int = Field(description="frames analysed")
    duration_s: float
    width: int
    height: int


class Fault(_Model):
    code: str = Field(description="stable fault name, e.g. elbows_bent")
    start_s: float
    end_s: float
    message: str
    tip: str = Field(default="", description="the exercise tip the fault relates to")
    confidence: float = Field(
        default=1.0, ge=0, le=1,
        description="share of the span the rule was seen broken x share of the position its "
        "measure was seen",
    )  # fmt: skip


class Rep(_Model):
    index: int = Field(description="1-based repetition number")
    start_s: float = Field(description="the arms start to rise")
    hold_start_s: float | None = Field(description="first moment in good form, null if none")
    hold_end_s: float | None = Field(description="last moment in good form, null if none")
    end_s: float = Field(description="the arms are back down")
    position_s: float = Field(description="whole time in the stretch position")
    hold_s: float = Field(description="time in the position with good form (the hold timer)")
    completed: bool = Field(description="hold_s reached the target and no fault")
    confidence: float = Field(ge=0, le=1, description="how well the body was seen (0-1)")
    peak_reach: float = Field(
        description="furthest the hands got forward of the hips (torso lengths)"
    )
    faults: list[Fault]


class Summary(_Model):
    rep_count: int
    completed_count: int
    total_hold_s: float
    score: int = Field(ge=0, le=100)
    fault_codes: list[str]
    set_complete: bool = Field(description="at least reps_min completed repetitions")
    note: str = ""


class SkippedCheck(_Model):
    check: str
    reason: str


class Report(_Model):
    schema_version: Literal[1] = 1  # SCHEMA_VERSION
    exercise: str
    video: VideoFacts
    camera_view: Literal["front", "oblique", "side"]
    camera_yaw_deg: float | None = Field(description="estimated body turn from the camera")
    camera_advice: str
    reps: list[Rep]
    summary: Summary
    checks_skipped: list[SkippedCheck]
    hold_timing: str = Field(
        default="", description="what the hold timer's start and end are based on"
    )
    warnings: list[str] = Field(default_factory=list)
    targets: dict[str, float] = Field(default_factory=dict)
