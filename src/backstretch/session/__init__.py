"""Live and guided sessions: streaming analysis, cue scheduling, breathing pace."""

from backstretch.session.live import LiveSession, LiveState, LiveSummary, PainReport

__all__ = ["LiveSession", "LiveState", "LiveSummary", "PainReport"]
