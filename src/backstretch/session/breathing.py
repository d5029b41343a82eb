"""The breathing pace shown during a hold: in for ``in_s``, out for ``out_s``, repeated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Breath:
    phase: Literal["in", "out"]
    progress: float  # 0 at the start of this breath phase, 1 at its end
    seconds_left: float


def breath_at(elapsed_s: float, in_s: float, out_s: float) -> Breath:
    """Where in the breathing cycle one is ``elapsed_s`` after the pace started."""
    pos = max(0.0, elapsed_s) % (in_s + out_s)
    if pos < in_s:
        return Breath("in", pos / in_s, in_s - pos)
    return Breath("out", (pos - in_s) / out_s, in_s + out_s - pos)
