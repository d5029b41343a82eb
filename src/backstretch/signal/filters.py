"""Filters: pure functions (offline) and one small stateful filter (live).

- :func:`fill_gaps` interpolates short NaN gaps and leaves long ones as NaN.
- :func:`zero_phase_lowpass` / :func:`zero_phase_bandpass` are Butterworth filters run
  forwards and backwards (``scipy.signal.filtfilt``): no lag, for recorded video. Each
  NaN-free run is filtered on its own, so a lost pose never smears into its neighbours.
- :func:`moving_rms` measures how much a (band-passed) signal moves over a window.
- :func:`fall_time` times a fall through the middle of its drop (a release's pace).
- :class:`OneEuroFilter` is the causal filter of Casiez, Roussel and Vogel (CHI 2012) for
  live use: smooth when still, little lag when moving.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import signal as sps
from scipy.ndimage import uniform_filter1d

from backstretch.types import FloatArray


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of a 1-D boolean array."""
    padded = np.concatenate([[False], valid, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def fill_gaps(t: FloatArray, x: FloatArray, max_gap_s: float) -> FloatArray:
    """Linearly interpolate NaN gaps of at most ``max_gap_s`` along axis 0.

    ``x`` has shape (T,) or (T, ...); a row counts as missing when any of its values is NaN.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    flat = x.reshape(len(x), -1)
    ok = ~np.isnan(flat).any(axis=1)
    if ok.all() or not ok.any():
        return x
    for start, stop in _runs(~ok):
        if start == 0 or stop == len(ok):
            continue
        if t[stop] - t[start - 1] > max_gap_s + 1e-9:
            continue
        w = (t[start:stop] - t[start - 1]) / (t[stop] - t[start - 1])
        flat[start:stop] = flat[start - 1] + w[:, None] * (flat[stop] - flat[start - 1])
    return x


def _zero_phase(x: FloatArray, b: FloatArray, a: FloatArray, short: float | None) -> FloatArray:
    """filtfilt along axis 0 on each NaN-free run; runs too short to pad become ``short``
    (or stay unfiltered when ``short`` is None)."""
    out = np.array(x, dtype=np.float64, copy=True)
    padlen = 3 * max(len(a), len(b))
    flat = out.reshape(len(out), -1)
    ok = ~np.isnan(flat).any(axis=1)
    for start, stop in _runs(ok):
        if stop - start > padlen:
            flat[start:stop] = sps.filtfilt(b, a, flat[start:stop], axis=0)
        elif short is not None:
            flat[start:stop] = short
    return out


def zero_phase_lowpass(x: FloatArray, fs: float, cutoff_hz: float, order: int = 2) -> FloatArray:
    """Zero-phase Butterworth low-pass along axis 0, run separately on each NaN-free run.

    The cutoff is held below 0.8 x Nyquist so that low frame rates still work; runs too short
    for the filter's padding are returned unfiltered.
    """
    x = np.asarray(x, dtype=np.float64)
    if fs <= 0 or len(x) < 2:
        return np.array(x, copy=True)
    b, a = _butter(order, (_edge(min(cutoff_hz / (fs / 2.0), 0.8)),), "lowpass")
    return _zero_phase(x, b, a, None)


def zero_phase_bandpass(
    x: FloatArray, fs: float, low_hz: float, high_hz: float, order: int = 2
) -> FloatArray:
    """Zero-phase Butterworth band-pass along axis 0 (NaN runs as in the low-pass).

    The upper edge is held below 0.9 x Nyquist; when the band no longer fits under it the
    result is all NaN (the frame rate is too low to see that band).
    """
    x = np.asarray(x, dtype=np.float64)
    hi = _edge(min(high_hz / (fs / 2.0), 0.9)) if fs > 0 else 0.0
    lo = _edge(low_hz / (fs / 2.0)) if fs > 0 else 1.0
    if len(x) < 2 or lo >= hi:
        return np.full_like(x, np.nan)
    b, a = _butter(order, (lo, hi), "bandpass")
    return _zero_phase(x, b, a, np.nan)


def _edge(fraction_of_nyquist: float) -> float:
    """A band edge rounded to 1e-4 of Nyquist: the live coach asks for nearly the same
    filters every frame (its frame rate wanders a little), and each design is kept."""
    return round(fraction_of_nyquist, 4)


@lru_cache(maxsize=256)
def _butter(order: int, band: tuple[float, ...], btype: str) -> tuple[FloatArray, FloatArray]:
    edges = band[0] if len(band) == 1 else list(band)
    b, a = sps.butter(order, edges, btype=btype)
    return b, a


def moving_rms(x: FloatArray, fs: float, window_s: float) -> FloatArray:
    """Root mean square over a centred window, along axis 0 (summed over other axes)."""
    x = np.asarray(x, dtype=np.float64)
    power = (x.reshape(len(x), -1) ** 2).sum(axis=1)
    size = max(1, round(window_s * fs))
    return np.sqrt(uniform_filter1d(power, size=size, mode="nearest"))


def _window_sums(x: FloatArray, size: int, causal: bool) -> FloatArray:
    """Sums over a window of ``size`` samples (odd): centred, or ending at each sample."""
    size |= 1
    origin = (size - 1) // 2 if causal else 0
    return np.asarray(uniform_filter1d(x, size=size, axis=0, mode="nearest", origin=origin) * size)


def moving_slope(
    t: FloatArray, x: FloatArray, fs: float, window_s: float, *, causal: bool = False
) -> FloatArray:
    """Least-squares slope of ``x`` over a window of ``window_s`` seconds (units of x per
    second), centred offline or ending at each sample live; NaN samples do not vote, and a
    window with fewer than three samples gives NaN. A steady trend shows; a quick shake about
    a steady value (faster than the window) averages out. ``x`` of shape (T, k): each column
    on its own, in one pass."""
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    size = max(3, round(window_s * fs))
    ok = np.isfinite(x).astype(np.float64)
    tt = (t - t[0]) if len(t) else t
    tt = tt.reshape(len(tt), *([1] * (x.ndim - 1)))
    xx = np.where(ok > 0, x, 0.0)
    n = _window_sums(ok, size, causal)
    st, sx = _window_sums(tt * ok, size, causal), _window_sums(xx, size, causal)
    stt, stx = _window_sums(tt * tt * ok, size, causal), _window_sums(tt * xx, size, causal)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = stt - st * st / n
        slope = (stx - st * sx / n) / var
    return np.where((n >= 3) & (var > 1e-12), slope, np.nan)


def moving_std(x: FloatArray, fs: float, window_s: float, *, causal: bool = False) -> FloatArray:
    """Standard deviation over a window (NaN samples do not vote); columns of a (T, k) ``x``
    each on their own."""
    x = np.asarray(x, dtype=np.float64)
    size = max(2, round(window_s * fs))
    ok = np.isfinite(x).astype(np.float64)
    xx = np.where(ok > 0, x, 0.0)
    n = _window_sums(ok, size, causal)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _window_sums(xx, size, causal) / n
        var = _window_sums(xx * xx, size, causal) / n - mean * mean
    return np.where(n >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)


def derivative(t: FloatArray, x: FloatArray, n: int = 1) -> FloatArray:
    """The n-th time derivative along axis 0 (central differences, NaN-propagating)."""
    out = np.asarray(x, dtype=np.float64)
    for _ in range(n):
        if len(out) < 2:
            return np.full_like(out, np.nan)
        out = np.gradient(out, t, axis=0)
    return out


def fall_time(
    t: FloatArray,
    x: FloatArray,
    top: float,
    *,
    floor: float = -math.inf,
    band: tuple[float, float] = (0.2, 0.8),
    min_drop: float = 0.0,
) -> float | None:
    """Seconds ``x`` took to fall through the middle of its drop from ``top`` to its lowest
    value (or ``floor``, if that is higher: where the fall is said to end, so that a record
    cut short there and a longer one read the same): from the last time it was above
    ``band[1]`` of the drop to the first time after that it was below ``band[0]`` (crossings
    interpolated between samples; a low sample before the fall does not count). The time of
    a whole fall depends on where it is said to begin and end, and a peak rate on a single
    noisy step; the middle of the drop is timed by two crossings. None when the drop is
    under ``min_drop``, ``x`` has fewer than two finite samples, or it does not fall."""
    ok = np.isfinite(x)
    t, x = np.asarray(t, dtype=np.float64)[ok], np.asarray(x, dtype=np.float64)[ok]
    if len(x) < 2 or not math.isfinite(top):
        return None
    low = max(float(np.min(x)), floor)
    drop = top - low
    if drop <= max(min_drop, 0.0):
        return None
    hi, lo = low + band[1] * drop, low + band[0] * drop
    tops = np.flatnonzero(x >= hi)
    if not tops.size:
        return None
    above = int(tops[-1])  # the fall starts after the last time x was up
    under = np.flatnonzero(x[above:] <= lo)
    if not under.size:
        return None
    below = above + int(under[0])

    def crossing(i: int, level: float) -> float:  # between samples i and i + 1
        step = x[i] - x[i + 1]
        return float(t[i] + (t[i + 1] - t[i]) * ((x[i] - level) / step if step else 0.0))

    return crossing(below - 1, lo) - crossing(above, hi)


class OneEuroFilter:
    """Causal One Euro filter over arrays of any fixed shape.

    ``min_cutoff`` (Hz) sets the smoothing when still; ``beta`` raises the cutoff with speed
    so that fast moves lag less; ``d_cutoff`` (Hz) smooths the speed estimate. NaN input
    values pass through as NaN and do not disturb the state.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._x: FloatArray | None = None
        self._dx: FloatArray | None = None
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff: FloatArray | float, dt: float) -> FloatArray | float:
        tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, t: float, x: FloatArray | float) -> FloatArray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or self._dx is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        if dt <= 0:
            return self._x.copy()
        self._t = t
        fresh = ~np.isnan(x)
        prev = np.where(np.isnan(self._x), x, self._x)
        dx = (x - prev) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        dx_hat = np.where(fresh, a_d * dx + (1 - a_d) * self._dx, self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = self._alpha(cutoff, dt)
        x_hat = np.where(fresh, a * x + (1 - a) * prev, self._x)
        self._x, self._dx = x_hat, np.nan_to_num(dx_hat)
        return np.where(fresh, x_hat, np.nan)
