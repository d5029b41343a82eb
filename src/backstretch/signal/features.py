"""Per-frame body measures, computed for a whole recording at once (vectorised).

Every length is divided by the person's torso length (shoulder midpoint to hip midpoint,
median over the recording), so measures do not depend on body size or camera distance.
Landmarks whose visibility is below ``min_visibility`` do not vote: a measure uses the
other side when one side is hidden, and is NaN when neither side is seen.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from backstretch.signal.filters import (
    derivative,
    fill_gaps,
    moving_rms,
    moving_slope,
    moving_std,
    zero_phase_bandpass,
    zero_phase_lowpass,
)
from backstretch.signal.geometry import UP, dot, horizontal, joint_angle, norm, signed_incline, unit
from backstretch.types import FloatArray, Landmark, PoseSeries

L = Landmark
SIDES = (
    (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST),
)

#: Smooth stretching moves the hands below about 1 Hz; jerks and bounces show up above.
SHAKE_BAND_HZ = (1.2, 5.0)
#: The arms' trend is a slope over 2 s (a 2.5 Hz shake of 9 deg averages out to under
#: 12 deg/s); their spread a standard deviation over 1 s (a swing or a clap shows in it).
TREND_WINDOW_S = 2.0
SPREAD_WINDOW_S = 1.0
#: Whether the shoulders and head have stopped moving into the stretch: a slope over 1 s.
SETTLE_WINDOW_S = 1.0
STANCE_MIN_TURN = 0.6  # cos of the largest body turn the stance's picture gap is undone for
#: The shoulders' forward travel is seen in the picture from this body turn on (deg), and the
#: hips' lean over the feet is judged (nearer the front it lies along the line of sight) ...
FORWARD_MIN_YAW = 30.0
#: The same limit on the turn read at rest, which the rounding is undone for: the pose model
#: reads the body turned 4.9 deg further over a whole recording than at rest (every rendered
#: stretch clip: rest 1.2 under the camera's turn, the recording 3.7 over it), so 30 there is
#: 25 at rest (at 30 a 35 deg camera, the one that checks the grip too, lost the rounding on
#: 2 of 5 tune clips; 25 and 30 gave the same accuracy on every split).
REST_FORWARD_MIN_YAW = 25.0
#: ... and left-right measures (hands to one side, crossed) up to this turn.
SIDEWAYS_MAX_YAW = 60.0


@dataclass
class Features:
    """Body measures per frame (arrays of shape (T,)) plus per-recording constants."""

    t: FloatArray
    detected: np.ndarray
    elevation: FloatArray  # arm elevation from straight down, deg (mean of the seen arms)
    straightness: FloatArray  # shoulder-wrist / (upper + fore arm), worst seen arm
    elbow_2d: FloatArray  # elbow angle in the picture, deg, NaN where the arm is foreshortened
    arm_2d_length: FloatArray  # picture length of the arm / its true length, best seen arm
    hands_gap: FloatArray  # wrist distance / torso length (3-D)
    hands_gap_2d: FloatArray  # wrist distance in the picture / torso there, undone for the turn
    stance: FloatArray  # ankle distance in the picture / torso there, undone for the turn
    standing: FloatArray  # hip-to-ankle height / torso length
    trunk_forward: FloatArray  # trunk incline, deg, + forward
    trunk_sideways: FloatArray  # trunk incline to the side, deg (absolute)
    rounding_raw: FloatArray  # neck line over trunk line, deg, + forward (not yet baselined)
    reach: FloatArray  # hands forward of the hips / torso length
    shake: FloatArray  # RMS of hand motion at 1.2-5 Hz over 1 s, torso lengths (NaN: fps too low)
    elevation_speed: FloatArray  # d(elevation)/dt, deg/s
    yaw: FloatArray  # body yaw to the camera, deg, 0 = facing it, 90 = side-on
    # -- the arms' height seen in the picture (judge.arm_height turns them into degrees) -----
    # (in pixels: offline and live alike; a torso length would be the whole recording's
    # offline and the last 2.5 s's live, where the rounding itself shortens it from the front)
    left_arm_2d: FloatArray  # the left arm's picture length (upper + fore)
    right_arm_2d: FloatArray  # ... the right arm's
    left_drop_2d: FloatArray  # the left wrist below its shoulder in the picture
    right_drop_2d: FloatArray  # ... the right wrist's
    arm_height: FloatArray  # elevation the arm-height faults judge, deg (the 3-D reading
    # until judge.arm_height replaces it with the picture's, against the rest posture)
    # -- the stretch envelope (what counts as the position) --------------------------------
    elevation_low: FloatArray  # elevation of the lower arm, deg
    upper_arm_low: FloatArray  # elevation of the lower upper arm (shoulder to elbow), deg
    elevation_high: FloatArray  # elevation of the higher arm, deg
    arms_forward: FloatArray  # forward share of the less forward arm (1 = straight ahead)
    hands_off_centre: FloatArray  # wrist midpoint sideways from the shoulder midpoint / torso
    hands_order: FloatArray  # left wrist to the left of the right one / torso (< 0: crossed)
    knee_angle: FloatArray  # the more bent knee, deg (180 = straight)
    hips_over_feet: FloatArray  # hips forward of the ankles / torso (a whole-body lean)
    twist: FloatArray  # shoulder line turned against the hip line, deg (absolute)
    elevation_trend: FloatArray  # least-squares slope of the elevation over 2 s, deg/s
    elevation_spread: FloatArray  # standard deviation of the elevation over 1 s, deg
    gap_spread: FloatArray  # standard deviation of the hand gap over 1 s, torso lengths
    # -- the rounding of the upper back, seen several ways (raw, not baselined) -------------
    shoulders_forward: FloatArray  # shoulder midpoint forward of the hip midpoint / torso
    shoulders_offset_2d: FloatArray  # ... in the picture, before it is undone for the turn
    head_height: FloatArray  # ears above the shoulder midpoint / torso (drops as the head bows)
    shoulder_width: FloatArray  # shoulder to shoulder / torso (narrows as the blades protract)
    settle_speed: FloatArray  # how fast the shoulders and head still move (torso lengths/s)
    forward: FloatArray  # (T, 3) the body's forward axis, camera axes (y down), unit
    left: FloatArray  # (T, 3) the body's own left, horizontal, unit
    # -- the hands, from the hand model's readings (signal/hands.py; NaN until attached) -----
    palm_away: FloatArray  # palms out of the body's front: +1 away, -1 towards the body
    fingers_across: FloatArray  # fingers pointing towards the other hand: +1 across, 0 forward
    hand_px: FloatArray  # the hands' length in the picture, pixels
    torso_length: float
    extra: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)

    @property
    def fps(self) -> float:
        return self.extra.get("fps", 30.0)


def _mid(a: FloatArray, b: FloatArray) -> FloatArray:
    """Midpoint, or the one point seen when the other is NaN."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2.0))


def _nanmedian(x: FloatArray, default: float) -> float:
    """The median of the finite values (np.median's, from a partition: a tenth of its cost on
    the live window)."""
    x = np.asarray(x)
    x = x[np.isfinite(x)]
    n = x.size
    if not n:
        return default
    k = n // 2
    if n % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2.0)


def body_points(series: PoseSeries) -> FloatArray:
    """3-D points in a y-down frame: world landmarks, else picture landmarks lifted to 3-D."""
    if series.has_world and np.isfinite(series.world).any():
        return np.asarray(series.world, dtype=np.float64)
    w, h = float(series.extra.get("width", 1)), float(series.extra.get("height", 1))
    scale = np.array([w, h, w]) / max(h, 1.0)
    return np.asarray(series.image, dtype=np.float64) * scale


def compute_features(
    series: PoseSeries,
    *,
    min_visibility: float,
    cutoff_hz: float | None,
    order: int = 2,
    interp_max_gap_s: float = 0.5,
    causal: bool = False,
) -> Features:
    """Measure the body in every frame; ``cutoff_hz=None`` skips the zero-phase filter, and
    ``causal`` takes the windowed measures (trend, spread) over the past only (live)."""
    t = np.asarray(series.t, dtype=np.float64)
    n = len(t)
    fs = (n - 1) / (t[-1] - t[0]) if n > 1 and t[-1] > t[0] else 30.0
    p3 = fill_gaps(t, body_points(series), interp_max_gap_s)
    w, h = float(series.extra.get("width", 1)), float(series.extra.get("height", 1))
    p2 = fill_gaps(
        t, np.asarray(series.image[..., :2], dtype=np.float64) * [w, h], interp_max_gap_s
    )
    if cutoff_hz is not None:
        p3 = zero_phase_lowpass(p3, fs, cutoff_hz, order)
        p2 = zero_phase_lowpass(p2, fs, cutoff_hz, order)
    detected = ~np.isnan(p3[:, 0, 0])
    vis = np.where(np.asarray(series.detected)[:, None], series.visibility, np.nan)
    hidden = ~(fill_gaps(t, vis, interp_max_gap_s) >= min_visibility)  # NaN counts as hidden
    p3v, p2v = p3.copy(), p2.copy()
    p3v[hidden] = np.nan
    p2v[hidden] = np.nan

    def pt(lm: Landmark, pts: FloatArray = p3v) -> FloatArray:
        return pts[:, int(lm)]

    sh_mid = _mid(pt(L.LEFT_SHOULDER), pt(L.RIGHT_SHOULDER))
    hip_mid = _mid(pt(L.LEFT_HIP), pt(L.RIGHT_HIP))
    torso = max(_nanmedian(norm(sh_mid - hip_mid), 1.0), 1e-6)
    torso_2d = _nanmedian(
        norm(
            _mid(pt(L.LEFT_SHOULDER, p2v), pt(L.RIGHT_SHOULDER, p2v))
            - _mid(pt(L.LEFT_HIP, p2v), pt(L.RIGHT_HIP, p2v))
        ),
        1.0,
    )
    px_per_unit = torso_2d / torso

    elev, upper_elev, straight, elbow2d, len2d, arm2d, drop2d = [], [], [], [], [], [], []
    for s, e, wr in SIDES:
        upper, fore = norm(pt(s) - pt(e)), norm(pt(e) - pt(wr))
        arm_len = max(_nanmedian(upper + fore, torso), 1e-6)
        drop = pt(wr)[:, 1] - pt(s)[:, 1]
        elev.append(np.degrees(np.arccos(np.clip(drop / arm_len, -1.0, 1.0))))
        upper_len = max(_nanmedian(upper, torso / 2.0), 1e-6)
        drop_elbow = (pt(e)[:, 1] - pt(s)[:, 1]) / upper_len
        upper_elev.append(np.degrees(np.arccos(np.clip(drop_elbow, -1.0, 1.0))))
        with np.errstate(invalid="ignore", divide="ignore"):
            straight.append(norm(pt(s) - pt(wr)) / (upper + fore))
        arm_px = norm(pt(s, p2v) - pt(e, p2v)) + norm(pt(e, p2v) - pt(wr, p2v))
        l2 = arm_px / (arm_len * px_per_unit)
        len2d.append(l2)
        arm2d.append(arm_px)
        drop2d.append(pt(wr, p2v)[:, 1] - pt(s, p2v)[:, 1])
        elbow2d.append(joint_angle(pt(s, p2v), pt(e, p2v), pt(wr, p2v)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames give NaN, as meant
        elevation = np.nanmean(np.stack(elev), axis=0)
        straightness = np.nanmin(np.stack(straight), axis=0)
        arm_2d = np.nanmax(np.stack(len2d), axis=0)
    elbow_2d = np.stack(elbow2d)
    l2s = np.stack(len2d)

    # Body axes: left (from the labels), forward = left x up, its sign fixed by the nose.
    left = horizontal(
        _mid(pt(L.LEFT_SHOULDER) - pt(L.RIGHT_SHOULDER), pt(L.LEFT_HIP) - pt(L.RIGHT_HIP))
    )
    left = unit(left)
    forward = unit(np.cross(left, UP))
    ear_mid = _mid(pt(L.LEFT_EAR), pt(L.RIGHT_EAR))
    facing = dot(horizontal(pt(L.NOSE) - ear_mid), forward)
    sign = 1.0 if _nanmedian(facing, 1.0) >= 0 else -1.0
    forward = forward * sign
    left = left * sign

    trunk = sh_mid - hip_mid
    neck = ear_mid - sh_mid
    trunk_forward = signed_incline(trunk, forward)
    # Sideways lean is a bend to the side of the pelvis: measured across the hips' line, not
    # the shoulders' and hips' mean, which turns with the shoulders in the stretch (a wide
    # stance turns it 25 deg) and then takes in part of the trunk's forward incline.
    pelvis_left = unit(horizontal(pt(L.LEFT_HIP) - pt(L.RIGHT_HIP)))
    trunk_sideways = np.abs(signed_incline(trunk, pelvis_left))
    rounding_raw = signed_incline(neck, forward) - trunk_forward

    wrist_mid = _mid(pt(L.LEFT_WRIST), pt(L.RIGHT_WRIST))
    hands_gap = norm(pt(L.LEFT_WRIST) - pt(L.RIGHT_WRIST)) / torso
    standing = (_mid(pt(L.LEFT_ANKLE), pt(L.RIGHT_ANKLE))[:, 1] - hip_mid[:, 1]) / torso
    reach = dot(wrist_mid - hip_mid, forward) / torso
    hand_pos = (wrist_mid - hip_mid) / torso
    shake = moving_rms(zero_phase_bandpass(hand_pos, fs, *SHAKE_BAND_HZ), fs, 1.0)
    elevation_speed = derivative(t, elevation, 1)
    yaw = np.degrees(np.arccos(np.clip(np.abs(forward[:, 2]), 0.0, 1.0)))
    # the envelope: both arms forward, together, in the middle; legs straight, hips over feet
    arm_fwd = []
    for s_, _, wr in SIDES:
        v = pt(wr) - pt(s_)
        with np.errstate(invalid="ignore", divide="ignore"):
            arm_fwd.append(dot(horizontal(v), forward) / norm(v))
    knees = [
        joint_angle(pt(hp), pt(kn), pt(an))
        for hp, kn, an in (
            (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
            (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
        )
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        elev_stack = np.stack(elev)
        elevation_low = np.nanmin(elev_stack, axis=0)
        elevation_high = np.nanmax(elev_stack, axis=0)
        upper_arm_low = np.nanmin(np.stack(upper_elev), axis=0)
        arms_forward = np.nanmin(np.stack(arm_fwd), axis=0)
        knee_angle = np.nanmin(np.stack(knees), axis=0)
    # one arm seen only: its partner cannot be judged, so the pair is unknown
    one_arm = np.isnan(elev_stack).any(axis=0)
    elevation_low = np.where(one_arm, np.nan, elevation_low)
    elevation_high = np.where(one_arm, np.nan, elevation_high)
    yaw_med = _nanmedian(yaw, 0.0)
    hands_off_centre = np.abs(dot(wrist_mid - sh_mid, left)) / torso
    hands_order = dot(pt(L.LEFT_WRIST) - pt(L.RIGHT_WRIST), left) / torso
    if yaw_med > SIDEWAYS_MAX_YAW:  # from the side, left-right lies along the line of sight
        hands_off_centre = np.full(len(t), np.nan)
        hands_order = np.full(len(t), np.nan)
        hands_gap = np.full(len(t), np.nan)
    ankle_mid = _mid(pt(L.LEFT_ANKLE), pt(L.RIGHT_ANKLE))
    hips_over_feet = dot(hip_mid - ankle_mid, forward) / torso
    if yaw_med < FORWARD_MIN_YAW:  # from the front, forward-back is the model's depth guess
        hips_over_feet = np.full(len(t), np.nan)
    sh_line = unit(horizontal(pt(L.LEFT_SHOULDER) - pt(L.RIGHT_SHOULDER)))
    hip_line = unit(horizontal(pt(L.LEFT_HIP) - pt(L.RIGHT_HIP)))
    twist = np.degrees(np.arccos(np.clip(dot(sh_line, hip_line), -1.0, 1.0)))
    elevation_trend = moving_slope(t, elevation, fs, TREND_WINDOW_S, causal=causal)
    elevation_spread = moving_std(elevation, fs, SPREAD_WINDOW_S, causal=causal)
    shoulders_forward_3d = dot(sh_mid - hip_mid, forward) / torso  # a motion cue only
    # Forward travel of the shoulders over the hips, seen in the picture (a monocular depth
    # guess is poor: near the front it even has the wrong sign), undone for the body's turn;
    # from the front (turn under SIDE_MIN_YAW) it cannot be seen.
    sh2 = _mid(pt(L.LEFT_SHOULDER, p2v), pt(L.RIGHT_SHOULDER, p2v))
    hip2 = _mid(pt(L.LEFT_HIP, p2v), pt(L.RIGHT_HIP, p2v))
    ear2 = _mid(pt(L.LEFT_EAR, p2v), pt(L.RIGHT_EAR, p2v))
    facing_2d = np.sign(_nanmedian(pt(L.NOSE, p2v)[:, 0] - ear2[:, 0], 0.0))
    side_turn = float(np.sin(np.radians(yaw_med)))
    # the same offset before it is undone for the turn (the rounding undoes it with the turn
    # read at rest: with the arms forward the model reads the body turned further)
    shoulders_offset_2d = (sh2[:, 0] - hip2[:, 0]) * facing_2d / torso_2d
    if facing_2d == 0:
        shoulders_offset_2d = np.full(len(t), np.nan)
    if side_turn >= np.sin(np.radians(FORWARD_MIN_YAW)) and facing_2d != 0:
        shoulders_forward = shoulders_offset_2d / side_turn
    else:
        shoulders_forward = np.full(len(t), np.nan)
    head_height = dot(ear_mid - sh_mid, UP) / torso
    shoulder_width = norm(pt(L.LEFT_SHOULDER) - pt(L.RIGHT_SHOULDER)) / torso
    # what moves while the body goes into the stretch, in 3-D and in the picture (from the
    # front the shoulders travel towards the camera: their picture width and the head's
    # height over them still change)
    head_2d = (sh2[:, 1] - _mid(pt(L.LEFT_EAR, p2v), pt(L.RIGHT_EAR, p2v))[:, 1]) / torso_2d
    width_2d = norm(pt(L.LEFT_SHOULDER, p2v) - pt(L.RIGHT_SHOULDER, p2v)) / torso_2d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        moving = np.column_stack(
            [shoulders_forward, shoulders_forward_3d, head_height, head_2d, width_2d]
        )
        settle_speed = np.nanmax(
            np.abs(moving_slope(t, moving, fs, SETTLE_WINDOW_S, causal=causal)), axis=1
        )

    # Side by side hands are seen best in the picture (a monocular depth guess is poor); the
    # sideways gap shrinks with the body's turn, so it is divided by cos(yaw) (at most x2.5).
    turn = max(float(np.cos(np.radians(_nanmedian(yaw, 0.0)))), 0.4)
    wrist_2d = norm(pt(L.LEFT_WRIST, p2v) - pt(L.RIGHT_WRIST, p2v))
    hands_gap_2d = wrist_2d / max(torso_2d, 1e-6) / turn
    # The feet likewise: the pose model's 3-D ankle gap is a depth guess that grows with the
    # turn and on short bodies (tune: shoulder-width feet 0.51-1.04, feet 0.8-0.95 m apart
    # 1.44-1.81); in the picture, undone for the turn, 0.63-0.98 and 1.78-2.06. The turn is
    # undone at most x1.67 (53 deg): past it an error of the turn's estimate grows the gap
    # fast (live, over 2.5 s, a child turned 59 deg read a wide stance).
    ankles_2d = norm(pt(L.LEFT_ANKLE, p2v) - pt(L.RIGHT_ANKLE, p2v))
    stance = ankles_2d / max(torso_2d, 1e-6) / max(turn, STANCE_MIN_TURN)
    gaps = moving_std(np.column_stack([hands_gap, hands_gap_2d]), fs, SPREAD_WINDOW_S,
                      causal=causal)  # fmt: skip
    gap_spread = np.fmax(gaps[:, 0], gaps[:, 1])

    return Features(
        t=t,
        detected=detected,
        elevation=elevation,
        straightness=straightness,
        elbow_2d=_least_foreshortened(elbow_2d, l2s),
        arm_2d_length=arm_2d,
        hands_gap=hands_gap,
        hands_gap_2d=hands_gap_2d,
        stance=stance,
        standing=standing,
        trunk_forward=trunk_forward,
        trunk_sideways=trunk_sideways,
        rounding_raw=rounding_raw,
        reach=reach,
        shake=shake,
        elevation_speed=elevation_speed,
        yaw=yaw,
        left_arm_2d=arm2d[0],
        right_arm_2d=arm2d[1],
        left_drop_2d=drop2d[0],
        right_drop_2d=drop2d[1],
        arm_height=elevation.copy(),
        elevation_low=elevation_low,
        upper_arm_low=upper_arm_low,
        elevation_high=elevation_high,
        arms_forward=arms_forward,
        hands_off_centre=hands_off_centre,
        hands_order=hands_order,
        knee_angle=knee_angle,
        hips_over_feet=hips_over_feet,
        twist=twist,
        elevation_trend=elevation_trend,
        elevation_spread=elevation_spread,
        gap_spread=gap_spread,
        shoulders_forward=shoulders_forward,
        shoulders_offset_2d=shoulders_offset_2d,
        head_height=head_height,
        shoulder_width=shoulder_width,
        settle_speed=settle_speed,
        forward=forward,
        left=left,
        palm_away=np.full(len(t), np.nan),
        fingers_across=np.full(len(t), np.nan),
        hand_px=np.full(len(t), np.nan),
        torso_length=torso,
        extra={"fps": fs, "px_per_unit": px_per_unit},
    )


def _least_foreshortened(angles: FloatArray, length_ratio: FloatArray) -> FloatArray:
    """Per frame, the elbow angle of the arm seen longest in the picture (least foreshortened)."""
    ratio = np.where(np.isnan(length_ratio), -1.0, length_ratio)
    best = np.argmax(ratio, axis=0)
    out = np.take_along_axis(angles, best[None, :], axis=0)[0]
    return np.where(ratio.max(axis=0) >= 0, out, np.nan)
