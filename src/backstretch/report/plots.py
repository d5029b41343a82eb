"""Plots of the key measures over time, with the phases shaded (matplotlib, no display)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from backstretch.analysis.engine import Analysis
from backstretch.exercise.schema import Exercise

PHASE_COLOURS = {"raising": "#fde9b5", "position": "#cfe8d5", "releasing": "#f6d5c9"}


def _shade(ax: plt.Axes, t: np.ndarray, phase: np.ndarray, ok: np.ndarray) -> None:
    for name, colour in PHASE_COLOURS.items():
        mask = phase == name
        ax.fill_between(t, 0, 1, where=mask, color=colour, transform=ax.get_xaxis_transform(), lw=0)
    ax.fill_between(t, 0, 0.04, where=ok, color="#2e7d32", transform=ax.get_xaxis_transform(), lw=0)


def measures_png(a: Analysis, ex: Exercise) -> bytes:
    """One PNG with stacked panels: arm height, rounding, elbows, hands and trunk, and where
    the hands were read, the palms and the fingers."""
    f, tl = a.features, a.timeline
    fr = ex.faults
    panels = [
        ("Arm height (deg)", f.arm_height, [fr.arms_too_low.min_deg, fr.arms_too_high.max_deg]),
        ("Upper-back rounding (score)", tl.rounding, [fr.no_rounding.min_score]),
        ("Arm straightness", f.straightness, [fr.elbows_bent.straightness_min]),
        ("Hands apart (torso lengths)", f.hands_gap_2d, [fr.hands_apart.max_gap]),
        ("Trunk lean forward (deg)", f.trunk_forward, [fr.trunk_leaning.max_forward_deg]),
    ]
    if np.isfinite(f.palm_away).any():  # the hand model read the hands
        panels += [
            ("Palms turned away (+1)", f.palm_away, [fr.palms_not_away.min_away]),
            ("Fingers across, linked (+1)", f.fingers_across, [fr.fingers_not_linked.min_across]),
        ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.9 * len(panels)), sharex=True)
    for ax, (title, y, limits) in zip(axes, panels, strict=True):
        _shade(ax, tl.t, tl.phase, tl.form_ok)
        ax.plot(tl.t, y, color="#1f4e79", lw=1.2)
        for lim in limits:
            ax.axhline(lim, color="#b71c1c", lw=0.8, ls="--")
        ax.set_ylabel(title, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.margins(x=0)
    axes[-1].set_xlabel(
        "time (s)   shading: yellow raise, green position, red release; "
        "dark green bar: hold counted"
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
