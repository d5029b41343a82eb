"""Exercise definitions: data, validated by one strict schema."""

from backstretch.exercise.loader import builtin_exercise, load_exercise, parse_exercise
from backstretch.exercise.schema import ALL_VIEWS, FAULT_CODES, Exercise, View

__all__ = [
    "ALL_VIEWS",
    "FAULT_CODES",
    "Exercise",
    "View",
    "builtin_exercise",
    "load_exercise",
    "parse_exercise",
]
