"""Guided practice without a camera: the exercise as timed steps, driven by a clock.

:class:`GuideMachine` is pure: feed it the time (``tick``) and the keys (``toggle_pause``,
``stop_for_pain``, ``quit``); it says what to show and hands out each repetition as it is
done. The terminal program (``backstretch guide``) only draws it and reads keys, so tests
drive this class directly. Guided repetitions are unverified: nobody watched the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from backstretch.analysis.model import Rep, Summary
from backstretch.analysis.scoring import summarize
from backstretch.exercise.schema import Exercise
from backstretch.session.breathing import Breath, breath_at

StepKind = Literal["warm_up", "ready", "raise", "round", "hold", "release", "rest"]

#: Seconds for the steps the exercise file does not time (the hold and rest come from it).
STEP_SECONDS: dict[str, float] = {
    "warm_up": 10.0, "ready": 4.0, "raise": 3.0, "round": 3.0, "release": 4.0,
}  # fmt: skip


@dataclass(frozen=True)
class GuideStep:
    kind: StepKind
    title: str
    cue: str
    seconds: float
    rep: int  # 1-based repetition number; 0 for the warm-up


def guide_plan(ex: Exercise, reps: int, hold_s: float) -> list[GuideStep]:
    """The whole session as steps: warm-up, then per repetition the exercise's steps."""
    phases = ("rest", "raising", "position", "releasing")
    ready, up, pos, down = ([s for s in ex.steps if s.phase == p] for p in phases)
    plan = [GuideStep("warm_up", "Warm up", ex.warm_up, STEP_SECONDS["warm_up"], 0)]
    for k in range(1, reps + 1):
        plan += [
            GuideStep("ready", ready[0].title, ready[0].cue, STEP_SECONDS["ready"], k),
            GuideStep("raise", up[0].title, up[0].cue, STEP_SECONDS["raise"], k),
            GuideStep("round", pos[0].title, pos[0].cue, STEP_SECONDS["round"], k),
            GuideStep("hold", pos[-1].title, pos[-1].cue, hold_s, k),
            GuideStep("release", down[0].title, down[0].cue, STEP_SECONDS["release"], k),
        ]
        if k < reps and ex.targets.rest_between_s > 0:
            plan.append(GuideStep("rest", "Rest", ex.tips["breathe"], ex.targets.rest_between_s, k))
    return plan


@dataclass(frozen=True)
class GuideView:
    """What the screen shows now."""

    step: GuideStep | None
    index: int
    left_s: float
    progress: float  # 0-1 through the current step
    breath: Breath | None
    paused: bool
    reps_done: int
    reps_total: int
    finished: bool
    ended_by: Literal["done", "pain", "quit"] | None


class GuideMachine:
    def __init__(
        self,
        ex: Exercise,
        reps: int,
        hold_s: float,
        on_rep: Callable[[Rep], None] | None = None,
    ) -> None:
        self.ex = ex
        self.steps = guide_plan(ex, reps, hold_s)
        self.reps_total = reps
        self.on_rep = on_rep
        self.reps: list[Rep] = []
        self.elapsed = 0.0  # active (unpaused) seconds since the start
        self.paused = False
        self.ended_by: Literal["done", "pain", "quit"] | None = None
        self._last: float | None = None
        self._index = 0
        self._starts = [0.0]
        for s in self.steps:
            self._starts.append(self._starts[-1] + s.seconds)
        self._rep_times: dict[int, dict[str, float]] = {}

    @property
    def finished(self) -> bool:
        return self.ended_by is not None

    def tick(self, now: float) -> GuideView:
        """Advance to the clock time ``now`` (seconds; any origin) and say what to show."""
        if self._last is not None and not self.paused and not self.finished:
            self.elapsed += max(0.0, now - self._last)
        self._last = now
        while not self.finished and self.elapsed >= self._starts[self._index + 1]:
            self._end_step(self.steps[self._index])
            self._index += 1
            if self._index == len(self.steps):
                self.ended_by = "done"
        return self.view()

    def view(self) -> GuideView:
        if self.finished or self._index >= len(self.steps):
            return GuideView(None, self._index, 0.0, 1.0, None, False, len(self.reps),
                             self.reps_total, True, self.ended_by)  # fmt: skip
        step = self.steps[self._index]
        into = self.elapsed - self._starts[self._index]
        breath = None
        if step.kind == "hold":
            breath = breath_at(into, self.ex.targets.breath_in_s, self.ex.targets.breath_out_s)
        return GuideView(
            step, self._index, max(0.0, step.seconds - into),
            min(1.0, into / step.seconds) if step.seconds else 1.0, breath, self.paused,
            len(self.reps), self.reps_total, False, None,
        )  # fmt: skip

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        return self.paused

    def stop_for_pain(self) -> None:
        self.ended_by = "pain"

    def quit(self) -> None:
        self.ended_by = "quit"

    def summary(self) -> Summary:
        return summarize(self.reps, self.ex)

    def _end_step(self, step: GuideStep) -> None:
        times = self._rep_times.setdefault(step.rep, {})
        start, end = self._starts[self._index], self._starts[self._index + 1]
        times[f"{step.kind}_start"], times[f"{step.kind}_end"] = start, end
        if step.kind != "release":
            return
        hold = times["hold_end"] - times["hold_start"]
        rep = Rep(
            index=step.rep,
            start_s=round(times["raise_start"], 2),
            hold_start_s=round(times["hold_start"], 2),
            hold_end_s=round(times["hold_end"], 2),
            end_s=round(end, 2),
            position_s=round(times["hold_end"] - times["round_start"], 2),
            hold_s=round(hold, 2),
            completed=hold >= self.ex.targets.hold_s,
            confidence=0.0,  # nobody watched: an unverified repetition
            peak_reach=0.0,
            faults=[],
        )
        self.reps.append(rep)
        if self.on_rep is not None:
            self.on_rep(rep)
