"""The strict schema of an exercise definition (pydantic, unknown keys refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

View = Literal["front", "oblique", "side"]
Phase = Literal["rest", "raising", "position", "releasing"]
ALL_VIEWS: tuple[View, ...] = ("front", "oblique", "side")

FAULT_CODES: tuple[str, ...] = (
    "hold_too_short",
    "elbows_bent",
    "arms_too_low",
    "arms_too_high",
    "hands_apart",
    "no_rounding",
    "release_too_fast",
    "jerky_movement",
    "stance_too_narrow",
    "stance_too_wide",
    "trunk_leaning",
    "fingers_not_linked",
    "palms_not_away",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Step(Strict):
    phase: Phase
    title: str
    cue: str


class Targets(Strict):
    hold_s: float = Field(gt=0)
    hold_max_s: float = Field(gt=0)
    reps_min: int = Field(ge=1)
    reps_max: int = Field(ge=1)
    breath_in_s: float = Field(gt=0)
    breath_out_s: float = Field(gt=0)
    rest_between_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Targets:
        if self.hold_max_s < self.hold_s:
            raise ValueError("hold_max_s must not be below hold_s")
        if self.reps_max < self.reps_min:
            raise ValueError("reps_max must not be below reps_min")
        return self


class Detection(Strict):
    min_visibility: float = Field(ge=0, le=1)
    min_detected_fraction: float = Field(ge=0, le=1)
    min_person_px: float = Field(ge=0)
    rest_deg: float
    enter_deg: float
    exit_deg: float
    down_after_s: float = Field(gt=0)
    min_position_s: float = Field(gt=0)
    max_gap_s: float = Field(ge=0)
    settled_speed: float = Field(gt=0)
    settled_for_s: float = Field(ge=0)
    onset_speed_deg_s: float = Field(gt=0)
    # (defaults: exercise files written before these existed stay valid)
    max_jump_torso: float = Field(1.0, gt=0)
    jump_max_gap_s: float = Field(0.5, gt=0)

    @model_validator(mode="after")
    def _hysteresis(self) -> Detection:
        if not self.rest_deg < self.exit_deg <= self.enter_deg:
            raise ValueError("need rest_deg < exit_deg <= enter_deg (hysteresis)")
        return self


class Envelope(Strict):
    """What counts as the stretch position (a frame outside it is not the stretch)."""

    min_deg: float = Field(ge=0, le=180)
    max_deg: float = Field(ge=0, le=180)
    max_arm_difference_deg: float = Field(gt=0)
    min_arms_forward: float = Field(ge=-1, le=1)
    min_straightness: float = Field(gt=0, le=1)
    max_hands_gap: float = Field(gt=0)
    max_hands_off_centre: float = Field(gt=0)
    max_hands_crossed: float = Field(gt=0)
    faulty_low_deg: float = Field(gt=0)
    faulty_low_picture_deg: float = Field(default=62.0, gt=0)
    faulty_upper_arm_deg: float = Field(gt=0)
    faulty_straightness: float = Field(gt=0, le=1)
    faulty_hands_gap: float = Field(gt=0)
    standing_min: float = Field(gt=0)
    min_knee_deg: float = Field(gt=0, le=180)
    max_hips_over_feet: float = Field(gt=0)
    max_twist_deg: float = Field(gt=0)
    max_trend_deg_s: float = Field(gt=0)
    max_spread_deg: float = Field(gt=0)
    max_gap_spread: float = Field(gt=0)

    @model_validator(mode="after")
    def _band(self) -> Envelope:
        if not self.min_deg < self.max_deg:
            raise ValueError("need min_deg < max_deg")
        return self


class ViewLimits(Strict):
    front_max_deg: float = Field(ge=0, le=90)
    side_min_deg: float = Field(ge=0, le=90)


class Filters(Strict):
    offline_cutoff_hz: float = Field(gt=0)
    offline_order: int = Field(ge=1, le=8)
    interp_max_gap_s: float = Field(ge=0)
    live_min_cutoff_hz: float = Field(gt=0)
    live_beta: float = Field(ge=0)
    live_d_cutoff_hz: float = Field(gt=0)


class Rule(Strict):
    tip: str
    message: str
    views: list[View] = Field(min_length=1)
    #: The share of the time in position a frame fault must cover for the repetition to be
    #: given it (0: any lasting span counts). Its flag still pauses the hold timer.
    min_share: float = Field(default=0.0, ge=0, le=1)
    #: Whether the rule's flag pauses the hold timer (a whole-repetition judgement does not).
    pauses_hold: bool = True
    #: How long the flag must last to pause the hold timer and be reported (default: the
    #: ``[faults]`` section's ``min_duration_s``).
    min_duration_s: float | None = Field(default=None, gt=0)


class HoldTooShort(Rule):
    pass


class ElbowsBent(Rule):
    straightness_min: float = Field(gt=0, le=1)
    angle_2d_min_deg: float = Field(gt=0, le=180)
    min_2d_length: float = Field(gt=0, le=1)
    angle_2d_min_yaw_deg: float = Field(ge=0, le=90)
    angle_2d_max_straightness: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _agreement_possible(self) -> ElbowsBent:
        if self.angle_2d_max_straightness <= self.straightness_min:
            raise ValueError(
                "angle_2d_max_straightness must be above straightness_min (below it the 3-D "
                "reading flags the elbows on its own, and the picture angle would never count)"
            )
        return self


class ArmsTooLow(Rule):
    min_deg: float


class ArmsTooHigh(Rule):
    max_deg: float


class HandsApart(Rule):
    max_gap: float = Field(gt=0)


class NoRounding(Rule):
    shoulders_forward: float = Field(gt=0)
    head_drop: float = Field(gt=0)
    head_weight: float = Field(ge=0)
    min_score: float


class ReleaseTooFast(Rule):
    min_fall_s: float = Field(gt=0)
    min_drop_deg: float = Field(gt=0)

    @model_validator(mode="before")
    @classmethod
    def _old_key(cls, data: object) -> object:
        if isinstance(data, dict) and "max_speed_deg_s" in data:
            raise ValueError(
                "max_speed_deg_s (a peak lowering speed) is no longer read: the release is "
                "timed instead; give min_fall_s (the seconds the arms take over the middle of "
                "their drop, 0.16 in the built-in exercise) and min_drop_deg (20)"
            )
        return data


class JerkyMovement(Rule):
    max_shake: float = Field(gt=0)
    shake_percentile: float = Field(gt=0, le=100)
    min_fps: float = Field(gt=0)


class StanceTooNarrow(Rule):
    min_width: float = Field(gt=0)


class StanceTooWide(Rule):
    max_width: float = Field(gt=0)


class TrunkLeaning(Rule):
    max_forward_deg: float = Field(gt=0)
    max_backward_deg: float = Field(gt=0)
    max_sideways_deg: float = Field(gt=0)
    sideways_max_yaw_deg: float = Field(gt=0, le=90)


class HandRule(Rule):
    """A check of the hands, made from the hand model's readings (issue 11)."""

    min_hand_px: float = Field(gt=0)  # the hands at least this long in the picture (pixels)
    max_yaw_deg: float = Field(gt=0, le=90)  # judged in frames with the body turned less


class FingersNotLinked(HandRule):
    min_across: float = Field(ge=-1, le=1)


class PalmsNotAway(HandRule):
    min_away: float = Field(ge=-1, le=1)


class Faults(Strict):
    min_duration_s: float = Field(ge=0)
    merge_gap_s: float = Field(ge=0)
    settle_s: float = Field(ge=0)
    min_coverage: float = Field(ge=0, le=1)
    hold_too_short: HoldTooShort
    elbows_bent: ElbowsBent
    arms_too_low: ArmsTooLow
    arms_too_high: ArmsTooHigh
    hands_apart: HandsApart
    no_rounding: NoRounding
    release_too_fast: ReleaseTooFast
    jerky_movement: JerkyMovement
    stance_too_narrow: StanceTooNarrow
    stance_too_wide: StanceTooWide
    trunk_leaning: TrunkLeaning
    fingers_not_linked: FingersNotLinked
    palms_not_away: PalmsNotAway

    def rule(self, code: str) -> Rule:
        if code not in FAULT_CODES:
            raise KeyError(code)
        rule: Rule = getattr(self, code)
        return rule


class Scoring(Strict):
    hold_weight: float = Field(ge=0)
    form_weight: float = Field(ge=0)
    fault_penalty: float = Field(ge=0)


class LiveSay(Strict):
    """What the live coach says about framing and progress (``{n}``: a number)."""

    no_person: str
    not_whole_body: str
    too_far: str
    too_close: str
    too_dark: str
    someone_else: str = (  # (a default: exercise files written before it stay valid)
        "Someone else may be in the picture: make sure only you are in view."
    )
    settling: str
    hold_done: str
    rep_done: str
    set_done: str


class Live(Strict):
    window_s: float = Field(gt=0)
    judge_max_hz: float = Field(gt=0, le=1000)
    # how a busy server spares itself (web/load.py); a custom exercise may leave them out
    judge_min_hz: float = Field(default=4.0, gt=0, le=1000)
    judge_busy_share: float = Field(default=0.6, gt=0, le=1)
    cue_min_display_s: float = Field(ge=0)
    cue_debounce_s: float = Field(ge=0)
    min_brightness: float = Field(ge=0, le=1)
    body_min_height: float = Field(gt=0, le=1)
    body_max_height: float = Field(gt=0, le=1)
    edge_margin: float = Field(ge=0, lt=0.5)
    release_speed_window_s: float = Field(gt=0)
    pain_areas: list[str] = Field(min_length=1)
    say: LiveSay

    @model_validator(mode="after")
    def _heights(self) -> Live:
        if self.body_min_height >= self.body_max_height:
            raise ValueError("body_min_height must be below body_max_height")
        if self.judge_min_hz > self.judge_max_hz:
            raise ValueError("judge_min_hz must not be above judge_max_hz")
        return self


class Progression(Strict):
    """How the hold target grows with clean sessions and steps back after pain."""

    clean_sessions_to_step: int = Field(ge=1)
    step_s: float = Field(gt=0)
    pain_step_back_s: float = Field(ge=0)
    pain_window_days: int = Field(ge=1)
    pain_reports_to_stop: int = Field(ge=1)
    say_target_up: str
    say_lighter: str
    say_see_professional: str


class Exercise(Strict):
    """One exercise definition: steps, tips, targets and every analysis threshold."""

    schema_version: Literal[1]
    id: str
    name: str
    summary: str
    camera_advice: str
    safety: str
    warm_up: str
    steps: list[Step] = Field(min_length=1)
    tips: dict[str, str]
    targets: Targets
    detection: Detection
    envelope: Envelope
    view: ViewLimits
    filters: Filters
    faults: Faults
    scoring: Scoring
    live: Live
    progression: Progression

    @model_validator(mode="after")
    def _tips_exist(self) -> Exercise:
        for code in FAULT_CODES:
            tip = self.faults.rule(code).tip
            if tip not in self.tips:
                raise ValueError(f"faults.{code}.tip names an unknown tip {tip!r}")
        return self

    def tip_for(self, code: str) -> str:
        return self.tips[self.faults.rule(code).tip]
