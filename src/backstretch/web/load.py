"""How often the live coach judges each client's frames, by how busy the server is.

Judging a frame (the measures over the last seconds of poses, the rules) costs a few
milliseconds; the frames between judgements get the last judgement and cost a tenth of it.
With many people on one server (``serve --pose browser``), judging each at the full rate
(``live.judge_max_hz``) can take more than the core has, and then every answer comes late.
:class:`JudgeRate` measures the share of each second the server spends on landmark frames
and, past ``live.judge_busy_share``, lowers the rate for everyone (not below
``live.judge_min_hz``) so that answers stay prompt; it climbs back as the load goes. A lower
rate judges the same poses less often: a pause of the hold timer then ends only at the next
judged frame. The meter is the server's, not a session's: it holds no one's data.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: At most this much faster a period, when the load falls (a rate grows back gradually;
#: after an idle stretch, by this for each period of it).
MAX_STEP_UP = 1.25
MAX_IDLE_STEPS = 20.0  # 1.25 ** 20 is about 87: from any rate back to the full one


class JudgeRate:
    def __init__(
        self,
        full_hz: float,
        min_hz: float,
        busy_share: float,
        *,
        period_s: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.full_hz, self.min_hz, self.busy_share = full_hz, min(min_hz, full_hz), busy_share
        self.period_s, self._clock = period_s, clock
        self.scale = 1.0
        self._busy = 0.0
        self._since = clock()

    def hz(self) -> float:
        """The rate every client's frames are judged at now."""
        return max(self.min_hz, self.full_hz * self.scale)

    def add(self, busy_s: float) -> None:
        """``busy_s`` seconds spent on one frame; once a period, the rate follows the load."""
        self._busy += busy_s
        now = self._clock()
        span = now - self._since
        if span < self.period_s:
            return
        share, self._busy, self._since = self._busy / span, 0.0, now
        # (after a long quiet stretch the exponent is capped: back to the full rate anyway)
        up = MAX_STEP_UP ** min(span / self.period_s, MAX_IDLE_STEPS)
        step = min(self.busy_share / share, up) if share > 0 else up
        low = self.min_hz / self.full_hz
        self.scale = min(1.0, max(low, self.scale * step))
