"""What the live coach sends: the state after each frame, and the summary of a session (the
WebSocket's answers; one schema, validated as it is built)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backstretch.analysis.model import Rep, SkippedCheck, Summary
from backstretch.exercise.schema import View

LivePhase = Literal["setup", "rest", "raising", "position", "releasing", "finished"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CueOut(_Out):
    id: int
    kind: str
    text: str


class BreathOut(_Out):
    phase: Literal["in", "out"]
    progress: float
    seconds_left: float


class LiveState(_Out):
    """What the coach shows after one frame."""

    t: float
    phase: LivePhase
    step: str = Field(description="title of the exercise step for this moment")
    hold_s: float = Field(description="seconds held in good form in this repetition")
    hold_target_s: float
    hold_left_s: float
    holding: bool = Field(description="the hold timer is running")
    paused_reason: str | None = None
    rep: int = Field(description="number of the repetition in progress, 0 between them")
    rep_count: int = Field(description="repetitions finished")
    reps_target: int
    faults: list[str] = Field(default_factory=list)
    cue: CueOut | None = None
    breath: BreathOut | None = None
    framing: list[str] = Field(default_factory=list, description="framing problems, said")
    view: View | None = None
    checks_unavailable: list[str] = Field(default_factory=list)
    landmarks: list[list[float]] | None = Field(
        default=None, description="33 x [x, y, visibility] in picture coordinates (0-1)"
    )
    finished: bool = False


class PainReport(_Out):
    rating: int = Field(ge=0, le=10, description="0 = no pain, 10 = the worst imaginable")
    where: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=500)


class LiveSummary(_Out):
    exercise: str
    stopped: Literal["done", "pain", "ended"]
    duration_s: float
    camera_view: View | None
    reps: list[Rep]
    summary: Summary
    pain: PainReport | None = None
    safety: str | None = Field(default=None, description="safety advice after a pain stop")
    hold_target_s: float
    session_id: int | None = Field(default=None, description="where the store keeps it")
    previous: dict[str, object] | None = Field(
        default=None, description="the last stored session, for comparison"
    )
    checks_skipped: list[SkippedCheck] = Field(
        default_factory=list, description="checks the session could not make, and why"
    )
