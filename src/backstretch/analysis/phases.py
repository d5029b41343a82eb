"""The phase state machine: rest -> raising -> position -> releasing -> rest.

It is fed one frame at a time (so the live coach and the offline analysis share it) and
uses hysteresis (enter above ``enter_deg``, leave below ``exit_deg``), a minimum dwell in
the position (shorter stays are front raises, not repetitions), a gate (standing, arms not
out to the sides) and tolerance for short pose losses (a frame without a pose does not vote).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from backstretch.exercise.schema import Detection

# A longer gap between two frames (a stalled camera, a dropped batch, a clock jump) adds at
# most this much to the position time, as in the live session (``session/live.py``).
MAX_STEP_S = 0.5


class Phase(StrEnum):
    REST = "rest"
    RAISING = "raising"
    POSITION = "position"
    RELEASING = "releasing"


@dataclass
class Episode:
    """One stay in the stretch position, from the start of the raise to arms down."""

    start_t: float
    enter_t: float = math.nan
    exit_t: float = math.nan
    end_t: float = math.nan
    position_s: float = 0.0


class PhaseMachine:
    """Incremental phase tracking; :attr:`episodes` collects the repetitions found."""

    def __init__(self, detection: Detection) -> None:
        self.d = detection
        self.phase = Phase.REST
        self.episodes: list[Episode] = []
        self.current: Episode | None = None
        self._last_t: float | None = None
        self._last_seen: float | None = None
        self._low_since: float | None = None  # the arms below exit_deg since (seen frames)

    @property
    def counted(self) -> bool:
        """Whether the episode in progress has stayed long enough to be a repetition."""
        return self.current is not None and self.current.position_s >= self.d.min_position_s

    def update(self, t: float, elevation: float, gate: bool = True) -> Phase:
        """Advance to time ``t`` with the arm elevation (deg, NaN = not seen)."""
        d = self.d
        # A timestamp going backwards adds nothing; a long gap adds at most MAX_STEP_S.
        dt = 0.0 if self._last_t is None else min(max(0.0, t - self._last_t), MAX_STEP_S)
        self._last_t = t
        if math.isnan(elevation):
            gap = t - (self._last_seen if self._last_seen is not None else t)
            if self.phase is Phase.POSITION and self.current and gap <= d.max_gap_s:
                self.current.position_s += dt
            return self.phase
        self._last_seen = t
        ph = self.phase
        raised = elevation >= d.enter_deg and gate
        # arms that stay a little above rest_deg (hanging arms read 19-23 deg from the side
        # on some bodies) are down once they have stayed below exit_deg for down_after_s
        if elevation >= d.exit_deg:
            self._low_since = None
        elif self._low_since is None or t < self._low_since:  # (or the clock went back)
            self._low_since = t
        down = self._low_since is not None and t - self._low_since >= d.down_after_s
        if ph is Phase.REST:
            if elevation > d.rest_deg and not down:
                self.current = Episode(start_t=t)
                self.phase = Phase.RAISING
                if raised:
                    self._enter(t)
        elif ph is Phase.RAISING:
            if raised:
                self._enter(t)
            elif elevation < d.rest_deg or down:
                self.current, self.phase = None, Phase.REST
        elif ph is Phase.POSITION:
            assert self.current is not None
            self.current.position_s += dt
            if elevation < d.exit_deg or not gate:
                self.current.exit_t = t
                self.phase = Phase.RELEASING
        elif ph is Phase.RELEASING:
            if raised:
                # Back in the position after a dip: the exit recorded is the last one.
                assert self.current is not None
                self.current.exit_t = math.nan
                self.phase = Phase.POSITION
            elif elevation < d.rest_deg:
                self._close(t)
            elif down and self._low_since is not None:
                self._close(self._low_since)
        return self.phase

    def _enter(self, t: float) -> None:
        assert self.current is not None
        if math.isnan(self.current.enter_t):
            self.current.enter_t = t
        self.phase = Phase.POSITION

    def _close(self, t: float) -> None:
        ep = self.current
        if ep is not None and ep.position_s >= self.d.min_position_s:
            ep.end_t = t
            if math.isnan(ep.exit_t):
                ep.exit_t = t
            self.episodes.append(ep)
        self.current, self.phase = None, Phase.REST

    def finish(self, t: float) -> list[Episode]:
        """End of the recording: a repetition still in progress counts if long enough."""
        if self.current is not None and not math.isnan(self.current.enter_t):
            low = self._low_since if self.phase is Phase.RELEASING else None
            self._close(t if low is None else min(low, t))  # arms down since ``low``
        self.current = None
        return self.episodes
