"""The public API does not drift, and data containers check their shapes."""

from __future__ import annotations

import numpy as np
import pytest

import backstretch
from backstretch.errors import ShapeError
from backstretch.types import MIRROR_INDEX, Landmark, PoseFrame


def test_all_names_exist_and_nothing_else_is_public():
    for name in backstretch.__all__:
        assert hasattr(backstretch, name), name
    public = {n for n in dir(backstretch) if not n.startswith("_") and n not in backstretch.__all__}
    modules = {
        "analysis",
        "errors",
        "exercise",
        "pose",
        "signal",
        "types",
        "pipeline",
        "report",
        "cli",
        "session",
        "web",
        "store",
        "tui",
    }
    assert public <= modules, public - modules


def test_pose_frame_checks_shapes():
    with pytest.raises(ShapeError, match=r"image must have shape \(33, 3\), got \(32, 3\)"):
        PoseFrame(0, 0.0, np.zeros((32, 3)), np.zeros(32))
    with pytest.raises(ShapeError, match="visibility is required"):
        PoseFrame(0, 0.0, np.zeros((33, 3)))


def test_mirroring_swaps_sides_twice_is_identity():
    assert MIRROR_INDEX[Landmark.LEFT_WRIST] == Landmark.RIGHT_WRIST
    assert MIRROR_INDEX[Landmark.NOSE] == Landmark.NOSE
    rng = np.random.default_rng(0)
    f = PoseFrame(0, 0.0, rng.random((33, 3)), rng.random(33), rng.random((33, 3)))
    g = f.mirrored().mirrored()
    assert np.allclose(g.image, f.image) and np.allclose(g.world, f.world)
