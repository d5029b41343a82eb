"""The adaptive analysis rate: as accurate as posing every frame, at what speed.

    python benchmarks/bench_rate.py                 # both parts
    python benchmarks/bench_rate.py --kept-only     # part 1 only (seconds)

1. **The rendered split, from the kept poses** (``--split test``): every stretch clip's
   kept landmarks (MediaPipe on every frame) analysed as they are, and again after
   ``pose_adaptively`` chose which of them to pose (the rest interpolated). Same repetitions,
   completed repetitions and faults, and hold times within 0.2 s? This replays the poses; it
   does not replay the tracker, whose state differs when frames are skipped (part 2 does).
2. **The 30 fps, 1280x720 renders** (``benchmarks/data/rate``, ``python -m studio`` from
   ``studio/scenarios/rate``), through the real pose model: a bare MediaPipe loop, ``analyze
   --every-frame`` and the default ``analyze``, side by side: time ratios, frames posed, and
   the results against every frame and against the truth.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import landmarks_of, truths  # noqa: E402
from benchmarks.bench_speed import bare_mediapipe  # noqa: E402

from backstretch.analysis.engine import analyze_frames  # noqa: E402
from backstretch.analysis.model import Report  # noqa: E402
from backstretch.errors import BackstretchError  # noqa: E402
from backstretch.exercise import builtin_exercise  # noqa: E402
from backstretch.pipeline import analyze_source, open_source  # noqa: E402
from backstretch.pose.rate import RateStats, pose_adaptively  # noqa: E402
from backstretch.pose.replay import open_recording  # noqa: E402
from studio.truth import ClipTruth  # noqa: E402

NO_PICTURE = np.zeros((1, 1, 3), dtype=np.uint8)  # the kept poses stand for the pictures
RATE = ROOT / "benchmarks" / "data" / "rate"
HOLD_TOL_S = 0.2


def _result(r: Report) -> tuple[int, int, list[list[str]]]:
    return (r.summary.rep_count, sum(x.completed for x in r.reps),
            [sorted(f.code for f in x.faults) for x in r.reps])  # fmt: skip


def _differs(every: Report, other: Report, truth: ClipTruth) -> str:
    """Where ``other`` is less accurate than ``every`` ('' when it is not): different
    repetitions, completed count or faults, or a hold error (against the truth) more than
    HOLD_TOL_S larger."""
    if _result(every) != _result(other):
        return f"{_result(other)} instead of {_result(every)}"
    worse = max((abs(b.hold_s - t.hold_s) - abs(a.hold_s - t.hold_s)
                 for a, b, t in zip(every.reps, other.reps, truth.reps, strict=False)),
                default=0.0)  # fmt: skip
    return f"hold error {worse:.2f} s larger" if worse > HOLD_TOL_S else ""


def _hold_err(r: Report, truth: ClipTruth) -> list[float]:
    return [abs(a.hold_s - t.hold_s) for a, t in zip(r.reps, truth.reps, strict=False)]


def kept(split: str) -> None:
    ex = builtin_exercise()
    frames = posed = 0
    worst, differ, n = 0.0, [], 0
    errs: tuple[list[float], list[float]] = ([], [])
    for t in truths(split):
        lm = landmarks_of(t)
        if t.kind != "stretch" or not lm.exists():
            continue
        rec = open_recording(lm)
        every = list(rec.frames())
        by_index = {f.index: f for f in every}
        st = RateStats()
        items = ((f.index, f.t, NO_PICTURE) for f in every)
        thin = list(pose_adaptively(items, lambda _i, _t, k, m=by_index: m[k], rec.info.width,
                                    rec.info.height, stats=st))  # fmt: skip
        try:
            a = analyze_frames(every, rec.info, ex).report
        except BackstretchError:
            continue  # refused with every frame: nothing to compare
        b = analyze_frames(thin, rec.info, ex).report
        n += 1
        frames, posed = frames + st.frames, posed + st.posed
        d = _differs(a, b, t)
        errs[0].extend(_hold_err(a, t))
        errs[1].extend(_hold_err(b, t))
        for x, y in zip(a.reps, b.reps, strict=False):
            worst = max(worst, abs(x.hold_s - y.hold_s))
        if d:
            differ.append(f"{t.name}: {d}")
    print(f"1. {split} split, kept poses: {n} stretch clips, {posed} of {frames} frames posed "
          f"({100 * posed / max(frames, 1):.0f} %)")  # fmt: skip
    print(f"   clips whose repetitions, completed count or faults differ, or whose hold error is "
          f"more than {HOLD_TOL_S} s larger: {len(differ)}  (target 0)")  # fmt: skip
    for line in differ:
        print(f"     {line}")
    print(f"   hold error against the truth, mean: every frame posed {_mean(errs[0]):.2f} s, "
          f"adaptive {_mean(errs[1]):.2f} s; largest hold difference between the two "
          f"{worst:.2f} s")  # fmt: skip


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def rendered30() -> None:
    ex = builtin_exercise()
    found = sorted(RATE.glob("*.truth.json"))
    clips = [ClipTruth.model_validate_json(p.read_text()) for p in found]
    if not clips:
        print(f"2. no clips in {RATE}: render them with python -m studio batch "
              "studio/scenarios/rate/*.toml --out benchmarks/data/rate")  # fmt: skip
        return
    print(f"\n2. {len(clips)} renders at 30 fps, 1280x720, real pose model "
          "(bare loop / every frame / default):")  # fmt: skip
    tb = te = td = 0.0
    bad = 0
    errs: tuple[list[float], list[float]] = ([], [])
    for t in clips:
        video = RATE / t.video
        b, _ = _timed(bare_mediapipe, video)
        e, every = _timed(lambda v: analyze_source(open_source(v, stride=1), ex).report, video)
        src = open_source(video)
        d, default = _timed(lambda s: analyze_source(s, ex).report, src)
        tb, te, td = tb + b, te + e, td + d
        diff = _differs(every, default, t)
        bad += bool(diff)
        errs[0].extend(_hold_err(every, t))
        errs[1].extend(_hold_err(default, t))
        rate = src.rate or RateStats(src.total, src.total)
        holds = [round(r.hold_s, 1) for r in default.reps]
        print(f"   {t.name:34} {b:5.1f} / {e:5.1f} / {d:5.1f} s  default/bare {d / b:4.2f}  "
              f"posed {rate.posed}/{t.frames}  holds {holds} (every frame "
              f"{[round(r.hold_s, 1) for r in every.reps]}, truth {[r.hold_s for r in t.reps]})"
              f"  faults {_result(default)[2]} (truth {t.fault_codes})"
              f"{'  WORSE: ' + diff if diff else ''}")  # fmt: skip
    print(f"   all clips: every-frame / bare {te / tb:.3f}  (target <= 1.05); "
          f"default / bare {td / tb:.3f}  (target <= 0.5)")  # fmt: skip
    print(f"   hold error against the truth, mean: every frame {_mean(errs[0]):.2f} s, default "
          f"{_mean(errs[1]):.2f} s")  # fmt: skip
    print(f"   clips where the default has other repetitions or faults than every frame, or a "
          f"hold error more than {HOLD_TOL_S} s larger: {bad}  (target 0)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=["test", "tune", "all"], default="test")
    ap.add_argument("--kept-only", action="store_true")
    args = ap.parse_args()
    kept(args.split)
    if not args.kept_only:
        rendered30()


if __name__ == "__main__":
    main()
