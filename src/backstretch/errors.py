"""One exception tree for backstretch.

Library code raises these with messages a person can act on; the CLI turns them into a
message and an exit code, a web layer into a 4xx answer.

    BackstretchError
    ├── InputError                 bad input from the user (exit code 2)
    │   ├── VideoError             missing, empty, unreadable or truncated video
    │   ├── NoPersonError          no person found in (enough of) the video
    │   ├── LandmarkFileError      a recorded landmark file that cannot be read
    │   ├── ExerciseDefinitionError an exercise TOML that does not match the schema
    │   ├── FrameError             a live camera frame or message that cannot be used
    │   └── StoreError             a database that cannot be reached, read or written
    └── ShapeError                 a data container built with arrays of the wrong shape
"""

from __future__ import annotations


class BackstretchError(Exception):
    """Base class of every error backstretch raises on purpose."""


class InputError(BackstretchError):
    """The user gave us something we cannot work with; the message says what and why."""


class VideoError(InputError):
    """A video file that is missing, empty, not a video, or cannot be decoded."""


class NoPersonError(InputError):
    """No person (or too little of one) was found in the input."""


class LandmarkFileError(InputError):
    """A recorded landmark file (JSONL or Keraal JSON) that cannot be read."""


class ExerciseDefinitionError(InputError):
    """An exercise definition file that is missing or does not match the schema."""


class FrameError(InputError):
    """A live frame (or message) that is not a usable picture: not an image, too big, etc."""


class StoreError(InputError):
    """The session store cannot be used: unreachable, read-only, or not a database."""


class ShapeError(BackstretchError, ValueError):
    """An array given to a data container has the wrong shape."""
