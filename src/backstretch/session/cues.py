"""One cue at a time: the most urgent wins, and nothing flickers.

Urgency: safety > framing > form > step > encouragement. A shown cue stays up for at least
``min_display_s`` unless a more urgent one arrives (or the next step of
the exercise begins); a framing problem must persist for
``debounce_s`` before it is said (a single bad frame is not worth a word). Every new cue gets
a new ``id``, so a client speaks each cue once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CueKind = Literal["safety", "framing", "form", "step", "encouragement"]
URGENCY: dict[str, int] = {"safety": 0, "framing": 1, "form": 2, "step": 3, "encouragement": 4}


@dataclass(frozen=True)
class Cue:
    kind: CueKind
    text: str
    id: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.text


class CueScheduler:
    """Picks the cue to show from what could be said at each moment."""

    def __init__(self, min_display_s: float, debounce_s: float) -> None:
        self.min_display_s = min_display_s
        self.debounce_s = debounce_s
        self.current: Cue | None = None
        self._shown_at = 0.0
        self._since: dict[tuple[str, str], float] = {}
        self._next_id = 1

    def offer(self, t: float, candidates: list[Cue]) -> Cue | None:
        """What to show at time ``t`` given the cues that apply now (in any order)."""
        keys = {c.key for c in candidates}
        self._since = {k: v for k, v in self._since.items() if k in keys}
        for c in candidates:
            self._since.setdefault(c.key, t)
        ready = [
            c
            for c in candidates
            if c.kind != "framing" or t - self._since[c.key] >= self.debounce_s
        ]
        best = min(ready, key=lambda c: URGENCY[c.kind]) if ready else None
        cur = self.current
        if best is None:
            if cur is not None and cur.key not in keys and self._held(t):
                self.current = None
            return self.current
        urgent = cur is not None and (
            URGENCY[best.kind] < URGENCY[cur.kind] or best.kind == cur.kind == "step"
        )
        if cur is None or (best.key != cur.key and (urgent or self._held(t))):
            self._show(t, best)
        return self.current

    def _held(self, t: float) -> bool:
        return t - self._shown_at >= self.min_display_s

    def _show(self, t: float, cue: Cue) -> None:
        self.current = Cue(cue.kind, cue.text, self._next_id)
        self._next_id += 1
        self._shown_at = t
