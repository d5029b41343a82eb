"""backstretch: a coach for the standing Back Stretch.

The public API: load an exercise, open a source (video, landmark recording or the built-in
sample), analyse it, and read the report; or coach live, one pose at a time (LiveSession).
The web app is ``backstretch.web.create_app``.
"""

from backstretch.analysis.engine import Analysis, analyze_frames, analyze_series
from backstretch.analysis.model import SCHEMA_VERSION, Report
from backstretch.analysis.phases import Phase, PhaseMachine
from backstretch.errors import (
    BackstretchError,
    ExerciseDefinitionError,
    InputError,
    LandmarkFileError,
    NoPersonError,
    ShapeError,
    VideoError,
)
from backstretch.exercise import Exercise, builtin_exercise, load_exercise
from backstretch.pose.base import PoseEstimator
from backstretch.pose.replay import ReplayEstimator, open_recording, write_landmarks
from backstretch.session import LiveSession, LiveState, LiveSummary, PainReport
from backstretch.types import Landmark, PoseFrame, PoseSeries, VideoInfo

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "Analysis",
    "BackstretchError",
    "Exercise",
    "ExerciseDefinitionError",
    "InputError",
    "Landmark",
    "LandmarkFileError",
    "LiveSession",
    "LiveState",
    "LiveSummary",
    "NoPersonError",
    "PainReport",
    "Phase",
    "PhaseMachine",
    "PoseEstimator",
    "PoseFrame",
    "PoseSeries",
    "ReplayEstimator",
    "Report",
    "ShapeError",
    "VideoError",
    "VideoInfo",
    "__version__",
    "analyze_frames",
    "analyze_series",
    "builtin_exercise",
    "load_exercise",
    "open_recording",
    "write_landmarks",
]
