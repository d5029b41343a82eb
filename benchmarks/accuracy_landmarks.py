"""Accuracy on synthetic landmarks with known truth (no pixels; rendered videos come later).

    python benchmarks/accuracy_landmarks.py [--live]

Grid: 3 bodies x 4 views (0, 30, 60, 90 deg) x (clean + every fault), 2 repetitions each,
with landmark noise and dropouts, plus the non-stretch movements in every view. Prints, per
view, rep count exact %, completed count exact %, hold mean absolute error (s), per-fault
precision / recall / F1 (over the views where the check is valid), and phantom reps.
With ``--live`` the same clips go through the live coach's session instead (frame by frame,
causal filters) at 15 fps, a webcam's rate when the server is busy.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backstretch.exercise import FAULT_CODES, builtin_exercise
from backstretch.pose.synthetic import (
    NON_STRETCH,
    Body,
    Camera,
    Performer,
    non_stretch_script,
    stretch_script,
)
from tests.builders import run, run_live

BODIES = {
    "average": Body(),
    "tall": Body(height=1.88, torso=0.31),
    "short": Body(height=1.55, upper_arm=0.18),
}
YAWS = (0.0, 30.0, 60.0, 90.0)


def main() -> None:
    live = "--live" in sys.argv[1:]
    fps = 15.0 if live else 30.0
    ex = builtin_exercise()
    per_view: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    seed = 0
    for body_name, body in BODIES.items():
        for yaw in YAWS:
            for code in (None, *FAULT_CODES):
                seed += 1
                script = stretch_script(2, 18.0, faults={0: code} if code else {})
                perf = Performer(script, body=body, camera=Camera(yaw=yaw, fps=fps), noise_px=2.0,
                                 world_noise_m=0.01, dropout=0.03, seed=seed)  # fmt: skip
                if live:
                    r, truth = run_live(perf, ex)
                    skipped = {
                        c for c in FAULT_CODES if truth["view"] not in ex.faults.rule(c).views
                    }
                else:
                    analysis, truth = run(perf, ex)
                    r = analysis.report
                    skipped = {s.check for s in r.checks_skipped}
                v = per_view[truth["view"]]
                v["rep_exact"].append(r.summary.rep_count == truth["rep_count"])
                v["completed_exact"].append(r.summary.completed_count == truth["completed_count"])
                for got, exp in zip(r.reps, truth["reps"], strict=False):
                    v["hold_err"].append(abs(got.hold_s - exp["hold_s"]))
                    found = {f.code for f in got.faults}
                    for c in FAULT_CODES:
                        if c in skipped:
                            continue
                        tp[c] += c in found and c in exp["faults"]
                        fp[c] += c in found and c not in exp["faults"]
                        fn[c] += c not in found and c in exp["faults"]
        print(f"body {body_name} done", file=sys.stderr)
    phantom = 0
    for kind in NON_STRETCH:
        for yaw in YAWS:
            perf = Performer(
                non_stretch_script(kind), camera=Camera(yaw=yaw, fps=fps), noise_px=2.0
            )
            if live:
                phantom += run_live(perf, ex)[0].summary.rep_count
            else:
                phantom += run(perf, ex)[0].report.summary.rep_count
    print(f"{'view':8} {'clips':>5} {'rep exact':>10} {'completed exact':>16} {'hold MAE (s)':>13}")
    for view, v in sorted(per_view.items()):
        n = len(v["rep_exact"])
        rep_exact = 100 * sum(v["rep_exact"]) / n
        completed = 100 * sum(v["completed_exact"]) / n
        mae = sum(v["hold_err"]) / len(v["hold_err"])
        print(f"{view:8} {n:5d} {rep_exact:9.1f}% {completed:15.1f}% {mae:13.2f}")
    print(f"\n{'fault':18} {'precision':>9} {'recall':>7} {'F1':>6}")
    for c in FAULT_CODES:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else float("nan")
        rc = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else float("nan")
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        print(f"{c:18} {p:9.2f} {rc:7.2f} {f1:6.2f}")
    print(f"\nphantom reps on {len(NON_STRETCH) * len(YAWS)} non-stretch clips: {phantom}")


if __name__ == "__main__":
    main()
