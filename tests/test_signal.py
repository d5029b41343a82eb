"""Filters and geometry: properties and the One Euro filter's published behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backstretch.signal.filters import (
    OneEuroFilter,
    fall_time,
    fill_gaps,
    moving_rms,
    moving_slope,
    moving_std,
    zero_phase_bandpass,
    zero_phase_lowpass,
)
from backstretch.signal.geometry import joint_angle, signed_incline


@given(arrays(np.float64, st.integers(20, 200), elements=st.floats(-100, 100)))
@settings(max_examples=50, deadline=None)
def test_lowpass_keeps_constants_and_bounds(x):
    c = np.full_like(x, 3.5)
    assert np.allclose(zero_phase_lowpass(c, 30.0, 4.0), 3.5)
    y = zero_phase_lowpass(x, 30.0, 4.0)
    assert y.shape == x.shape
    assert np.all(np.abs(y) <= np.abs(x).max() * 1.5 + 1e-9)


def test_lowpass_has_no_lag_and_removes_jitter():
    t = np.arange(0, 10, 1 / 30)
    slow = np.sin(2 * np.pi * 0.3 * t)
    noisy = slow + np.random.default_rng(0).normal(0, 0.1, t.size)
    y = zero_phase_lowpass(noisy, 30.0, 2.0)
    rms = lambda e: float(np.sqrt(np.mean(e**2)))  # noqa: E731
    assert rms(y - slow) < 0.5 * rms(noisy - slow)
    lag = np.argmax(np.correlate(y - y.mean(), slow - slow.mean(), "full")) - (t.size - 1)
    assert lag == 0


def test_nan_runs_are_filtered_separately_and_short_gaps_filled():
    t = np.arange(100) / 30
    x = np.ones(100)
    x[40:45] = np.nan  # 5 frames = 0.17 s
    x[70:] = np.nan
    filled = fill_gaps(t, x, 0.5)
    assert np.all(np.isfinite(filled[:70])) and np.all(np.isnan(filled[70:]))
    assert np.isnan(fill_gaps(t, x, 0.1)[42])
    y = zero_phase_lowpass(x, 30.0, 4.0)
    assert np.isnan(y[42]) and np.allclose(y[:40], 1.0)


def test_bandpass_sees_shakes_not_slow_moves():
    t = np.arange(0, 10, 1 / 30)
    slow = np.sin(2 * np.pi * 0.2 * t)
    shake = slow + 0.1 * np.sin(2 * np.pi * 2.5 * t)
    quiet = moving_rms(zero_phase_bandpass(slow, 30.0, 1.2, 5.0), 30.0, 1.0)
    loud = moving_rms(zero_phase_bandpass(shake, 30.0, 1.2, 5.0), 30.0, 1.0)
    assert np.median(quiet) < 0.01 < 0.05 < np.median(loud)
    assert np.isnan(zero_phase_bandpass(slow, 2.0, 1.2, 5.0)).all()  # band above Nyquist


def test_one_euro_is_a_first_order_lowpass_when_beta_is_zero():
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    dt = 1 / 30
    out = [f(i * dt, 1.0 if i else 0.0) for i in range(200)]
    tau = 1 / (2 * np.pi * 1.0)
    alpha = 1 / (1 + tau / dt)
    assert out[1] == pytest.approx(alpha)
    assert out[-1] == pytest.approx(1.0, abs=1e-3)


def test_one_euro_lags_less_when_moving_fast_with_beta():
    t = np.arange(0, 3, 1 / 30)
    ramp = 5.0 * t
    still, fast = OneEuroFilter(1.0, 0.0), OneEuroFilter(1.0, 0.5)
    lag0 = ramp[-1] - [still(a, b) for a, b in zip(t, ramp, strict=True)][-1]
    lag1 = ramp[-1] - [fast(a, b) for a, b in zip(t, ramp, strict=True)][-1]
    assert 0 < lag1 < 0.5 * lag0


def test_one_euro_passes_nan_without_losing_state():
    f = OneEuroFilter(1.0, 0.0)
    f(0.0, np.array([1.0, 2.0]))
    out = f(0.1, np.array([np.nan, 2.0]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(2.0)
    assert np.isfinite(f(0.2, np.array([1.0, 2.0]))).all()


@given(st.floats(1, 179))
def test_joint_angle_matches_construction(deg):
    r = np.radians(deg)
    a, b, c = np.array([1.0, 0, 0]), np.zeros(3), np.array([np.cos(r), np.sin(r), 0])
    assert joint_angle(a, b, c) == pytest.approx(deg, abs=1e-6)


def test_signed_incline_convention():
    fwd = np.array([0.0, 0, 1])
    assert signed_incline(np.array([0.0, -1, 0]), fwd) == pytest.approx(0)
    assert signed_incline(np.array([0.0, -1, 1]), fwd) == pytest.approx(45)
    assert signed_incline(np.array([0.0, -1, -1]), fwd) == pytest.approx(-45)


@pytest.mark.parametrize("causal", [False, True])
def test_windowed_measures_take_columns_one_by_one(causal):
    """Several series in one (T, k) array give what each gives alone, NaN gaps and all."""
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.05, 0.08, 80))
    x = np.column_stack([np.sin(t), 3.0 * t, rng.normal(size=80)])
    x[10:14, 0] = np.nan
    x[40:, 2] = np.nan
    slopes = moving_slope(t, x, 15.0, 1.0, causal=causal)
    spreads = moving_std(x, 15.0, 1.0, causal=causal)
    for k in range(3):
        np.testing.assert_allclose(slopes[:, k], moving_slope(t, x[:, k], 15.0, 1.0, causal=causal))
        np.testing.assert_allclose(spreads[:, k], moving_std(x[:, k], 15.0, 1.0, causal=causal))
    np.testing.assert_allclose(slopes[20:70, 1], 3.0)  # a steady trend, whatever the spacing


def test_the_band_pass_gives_nan_not_an_error_where_the_band_stops_fitting():
    """Near 2.67 frames a second the shake band's lower edge meets its upper one (held at 0.9
    of Nyquist); a live client slowed down by a busy server sends such rates. Every rate
    gives numbers or NaN, never an error."""
    x = np.random.default_rng(0).normal(size=(40, 3))
    results = [zero_phase_bandpass(x, fs, 1.2, 5.0) for fs in np.linspace(2.66, 2.68, 2001)]
    assert np.isnan(results[0]).all()  # the band does not fit under 0.9 of Nyquist
    assert np.isfinite(results[-1]).all()


def _standing(n: int, x: float = 0.5) -> np.ndarray:
    """Picture landmarks of a person standing still at ``x`` (shoulders 0.3, hips 0.5 high)."""
    img = np.full((n, 33, 3), 0.4)
    img[:, [11, 12], 1], img[:, [23, 24], 1] = 0.3, 0.5  # torso 0.2 of the picture
    img[:, :, 0] = x
    return img


@pytest.mark.parametrize(
    ("shift", "gap_frames", "expected"),
    [
        (0.0, 0, []),  # still: nothing
        (0.1, 0, []),  # half a torso in a frame: a quick move, not a jump
        (0.3, 0, [1.0]),  # 1.5 torso lengths from one frame to the next: someone else
        (0.3, 3, [1.3]),  # ... also across a 0.4 s gap with nobody found
        (0.3, 10, []),  # lost for 1.1 s and found elsewhere: the person may have moved
    ],
)
def test_pose_jumps(shift, gap_frames, expected):
    from backstretch.signal.tracking import pose_jumps

    t = np.arange(20) * 0.1
    img = _standing(20)
    img[10:, :, 0] += shift
    img[10 : 10 + gap_frames] = np.nan
    got = pose_jumps(t, img, 1.0, 1.0, max_jump=1.0, max_gap_s=0.5)
    assert got.tolist() == pytest.approx(expected)


def _fall(duration: float, fps: float, top: float = 85.0, low: float = 8.0):
    """Arms held at ``top``, lowered on a half cosine over ``duration`` s, then at ``low``."""
    t = np.arange(0.0, 4.0 + duration, 1.0 / fps)
    s = np.clip((t - 2.0) / duration, 0.0, 1.0)
    return t, low + (top - low) * (1 + np.cos(np.pi * s)) / 2


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
@pytest.mark.parametrize("duration", [0.35, 1.5])
def test_fall_time_times_the_middle_of_the_drop(fps, duration):
    # a half cosine spends 41 % of its time between 80 % and 20 % of its drop
    t, x = _fall(duration, fps)
    got = fall_time(t, x, 85.0)
    assert got is not None and got == pytest.approx(0.410 * duration, abs=0.25 / fps)


def test_fall_time_ignores_jitter_before_the_fall_and_a_record_cut_at_the_floor():
    t, x = _fall(1.5, 30.0)
    whole = fall_time(t, x, 85.0, floor=18.0)
    jittered = x + np.where(t < 2.0, np.random.default_rng(1).normal(0, 3, len(t)), 0.0)
    assert fall_time(t, jittered, 85.0, floor=18.0) == pytest.approx(whole, abs=0.02)
    cut = x > 17.0  # live, the repetition closes once the arms are down
    assert fall_time(t[cut], x[cut], 85.0, floor=18.0) == pytest.approx(whole, abs=0.02)
    # without the floor the cut record's drop ends higher than the whole one's
    assert abs(fall_time(t[cut], x[cut], 85.0) - fall_time(t, x, 85.0)) > 0.05


def test_fall_time_abstains_without_a_fall():
    t, x = _fall(1.0, 30.0, top=40.0, low=30.0)
    assert fall_time(t, x, 40.0, min_drop=20.0) is None
    assert fall_time(t[:1], x[:1], 85.0) is None
    assert fall_time(t, x, float("nan")) is None


def test_fall_time_is_not_fooled_by_a_low_sample_before_the_fall():
    t, x = _fall(1.5, 24.0)
    whole = fall_time(t, x, 85.0, floor=18.0)
    early = x.copy()
    early[0] = 25.0  # the record starts as the arms come up (live: the raise's last frames)
    glitch = x.copy()
    glitch[len(t) // 4] = 30.0  # one frame of the hold read low
    for y in (early, glitch):
        assert fall_time(t, y, 85.0, floor=18.0) == pytest.approx(whole, abs=1e-9)
    arms_up_again = np.concatenate([x, np.full(5, 85.0)])  # no fall after the last time up
    assert fall_time(np.arange(len(arms_up_again)) / 24.0, arms_up_again, 85.0) is None
