"""The sentences of a report: the set note and the warnings about the recording."""

from __future__ import annotations

import numpy as np

from backstretch.exercise.schema import Exercise, View
from backstretch.signal.features import Features
from backstretch.types import Landmark, PoseSeries

_FRAME_POINTS = [
    int(m)
    for m in (
        Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_WRIST,
        Landmark.RIGHT_WRIST, Landmark.LEFT_HIP, Landmark.RIGHT_HIP, Landmark.LEFT_ANKLE,
        Landmark.RIGHT_ANKLE,
    )
]  # fmt: skip


def note(completed: int, reps: int, ex: Exercise) -> str:
    lo, hi = ex.targets.reps_min, ex.targets.reps_max
    if reps == 0:
        return "No repetition of the stretch was found."
    if completed > hi:
        return (
            f"{completed} completed repetitions: more than the {lo}-{hi} asked for, which is fine."
        )
    if completed >= lo:
        return f"Set complete: {completed} completed repetitions."
    return f"{completed} of at least {lo} repetitions completed."


def out_of_picture(series: PoseSeries) -> float:
    """The share of frames with a person where a key joint lies outside the picture."""
    img = series.image[series.detected][:, _FRAME_POINTS, :2]
    return float(((img < 0) | (img > 1)).any(axis=(1, 2)).mean()) if img.size else 0.0


def warnings_for(series: PoseSeries, f: Features, share: float, view: View) -> list[str]:
    out: list[str] = []
    if share < 0.9:
        out.append(f"A person was found in only {share:.0%} of the frames.")
    outside = out_of_picture(series)
    if outside > 0.2:
        out.append(
            f"Part of the body is out of the picture in {outside:.0%} of the frames; "
            "step back or move the camera so that you are seen from head to feet."
        )
    arms_up = np.nan_to_num(f.elevation, nan=0.0) > 60.0
    if arms_up.any() and np.nanmedian(np.where(arms_up, f.standing, np.nan)) < 1.05:
        out.append("You do not seem to be standing; the stretch is done standing tall.")
    if view == "front":
        out.append(
            "Front view: the rounding of the upper back and leaning forward cannot be checked; "
            "turn the camera about 45 deg."
        )
    elif view == "side":
        out.append(
            "Side view: the width of the stance cannot be checked; turn the camera about 45 deg."
        )
    if not np.isfinite(f.elevation).any():
        out.append("The arms were never seen clearly.")
    return out
