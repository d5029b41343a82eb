"""Live and guided sessions: streaming analysis, cue scheduling, breathing pace."""

from backstretch.session.live import LiveSession
from backstretch.session.messages import LiveState, LiveSummary, PainReport

__all__ = ["LiveSession", "LiveState", "LiveSummary", "PainReport"]
