"""The truth file written beside every rendered clip (``clip.truth.json``) and its schema.

Names match the analysis report: a repetition's ``start_s``, ``hold_start_s``, ``hold_end_s``,
``end_s``, ``position_s``, ``hold_s`` (in correct form), its ``faults`` (report fault codes),
and the clip's ``rep_count``, ``completed_count``, ``fault_codes``. Only pydantic is needed
to read it, so CI validates every truth file without the rendering stack.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backstretch.exercise.schema import FAULT_CODES

TRUTH_VERSION = 1


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepTruth(_M):
    start_s: float = Field(ge=0)
    hold_start_s: float | None
    hold_end_s: float | None
    end_s: float
    position_s: float = Field(ge=0)
    hold_s: float = Field(ge=0)
    faults: list[str]

    @model_validator(mode="after")
    def _ordered(self) -> RepTruth:
        if not self.start_s < self.end_s:
            raise ValueError("a repetition must end after it starts")
        if (self.hold_start_s is None) != (self.hold_end_s is None):
            raise ValueError("hold_start_s and hold_end_s are both set or both null")
        hs, he = self.hold_start_s, self.hold_end_s
        if hs is not None and he is not None and not self.start_s <= hs <= he <= self.end_s:
            raise ValueError("the hold must lie inside the repetition")
        unknown = set(self.faults) - set(FAULT_CODES)
        if unknown:
            raise ValueError(f"unknown fault codes {sorted(unknown)}")
        return self


class ClipTruth(_M):
    truth_version: Literal[1] = 1
    name: str
    split: Literal["tune", "test", "holdout"]
    kind: Literal["stretch", "non_stretch"]
    video: str
    fps: float = Field(gt=0)
    frames: int = Field(gt=0)
    width: int
    height: int
    duration_s: float = Field(gt=0)
    camera_yaw_deg: float = Field(ge=0, le=90)
    view: Literal["front", "oblique", "side"]
    body: dict[str, float]
    family: str = ""
    style: dict[str, float | str] = Field(default_factory=dict)
    movement: str = ""
    camera: dict[str, float | int | str] = Field(default_factory=dict)
    reps: list[RepTruth]
    rep_count: int = Field(ge=0)
    completed_count: int = Field(ge=0)
    fault_codes: list[str]

    @model_validator(mode="after")
    def _counts(self) -> ClipTruth:
        if self.rep_count != len(self.reps):
            raise ValueError("rep_count must equal the number of reps")
        if self.completed_count != sum(not r.faults for r in self.reps):
            raise ValueError("completed_count must count the reps without faults")
        if self.fault_codes != sorted({c for r in self.reps for c in r.faults}):
            raise ValueError("fault_codes must be the sorted union of the reps' faults")
        if self.kind == "non_stretch" and self.reps:
            raise ValueError("a non-stretch clip has no repetitions")
        return self
