"""Load and validate exercise definitions from TOML."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from backstretch.errors import ExerciseDefinitionError
from backstretch.exercise.schema import Exercise

DEFAULT_EXERCISE = "back_stretch"


def _format_errors(source: str, err: ValidationError) -> str:
    lines = [f"{source}: not a valid exercise definition:"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"  - {where}: unknown key")
        elif e["type"] == "missing":
            lines.append(f"  - {where}: missing")
        else:
            got = repr(e.get("input"))
            got = got if len(got) <= 60 else got[:57] + "..."
            lines.append(f"  - {where}: {e['msg']} (got {got})")
    return "\n".join(lines)


def parse_exercise(text: str, source: str = "<string>") -> Exercise:
    """Parse the TOML text of an exercise definition, or raise ExerciseDefinitionError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ExerciseDefinitionError(f"{source}: not valid TOML: {e}") from None
    try:
        return Exercise.model_validate(data)
    except ValidationError as e:
        raise ExerciseDefinitionError(_format_errors(source, e)) from None


def load_exercise(path: str | Path | None = None) -> Exercise:
    """Load an exercise from a TOML file; ``None`` loads the built-in Back Stretch."""
    if path is None:
        return builtin_exercise(DEFAULT_EXERCISE)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExerciseDefinitionError(f"{p}: exercise file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ExerciseDefinitionError(f"{p}: cannot read exercise file: {e}") from None
    return parse_exercise(text, str(p))


@cache
def builtin_exercise(name: str = DEFAULT_EXERCISE) -> Exercise:
    """One of the definitions shipped in ``backstretch/exercise/definitions``."""
    ref = resources.files("backstretch.exercise") / "definitions" / f"{name}.toml"
    if not ref.is_file():
        raise ExerciseDefinitionError(f"no built-in exercise called {name!r}")
    return parse_exercise(ref.read_text(encoding="utf-8"), f"built-in {name}.toml")
