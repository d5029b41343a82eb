"""Shared fixtures and builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from backstretch.exercise import Exercise, builtin_exercise

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def ex() -> Exercise:
    return builtin_exercise()


@pytest.fixture(scope="session")
def data() -> Path:
    return DATA
