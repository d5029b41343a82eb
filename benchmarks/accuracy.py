"""Accuracy on rendered videos with exact truth (real pixels through MediaPipe).

    python benchmarks/accuracy.py [--split test|tune|all] [--only NAME ...] [--json]

Every clip in ``benchmarks/data/rendered`` (made by ``python -m studio``) is analysed like a
user's video; its ``.truth.json`` says what really happened. Prints, per camera view:
repetition count exact %, completed count exact %, hold-time mean absolute error (s), then
per-fault precision / recall / F1 over the clips whose view can make that check, phantom
repetitions on the non-stretch clips and on the real clips in ``tests/data``.
Targets: rep count exact >= 98 %, hold MAE <= 0.7 s, every fault F1 >= 0.9, 0 phantoms.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backstretch.exercise import FAULT_CODES, builtin_exercise  # noqa: E402
from backstretch.pipeline import analyze_source, open_source  # noqa: E402
from studio.truth import ClipTruth  # noqa: E402

RENDERED = ROOT / "benchmarks" / "data" / "rendered"
REAL = [
    ROOT / "tests" / "data" / "pose_squats.mp4",
    ROOT / "tests" / "data" / "sports2d_demo.mp4",
    *sorted((ROOT / "tests" / "data" / "keraal").glob("*.json")),
]


def truths(split: str, only: list[str] | None = None) -> list[ClipTruth]:
    out = []
    for p in sorted(RENDERED.glob("*.truth.json")):
        t = ClipTruth.model_validate_json(p.read_text())
        if (split == "all" or t.split == split) and (not only or t.name in only):
            out.append(t)
    return out


def evaluate(clips: list[ClipTruth], real: bool = True) -> dict[str, Any]:
    ex = builtin_exercise()
    views: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    tp: dict[str, int] = defaultdict(int)
    fp: dict[str, int] = defaultdict(int)
    fn: dict[str, int] = defaultdict(int)
    phantom_rendered = 0
    per_clip = []
    for t in clips:
        r = analyze_source(open_source(RENDERED / t.video), ex).report
        skipped = {s.check for s in r.checks_skipped}
        per_clip.append(
            {"name": t.name, "reps": r.summary.rep_count, "truth_reps": t.rep_count,
             "faults": r.summary.fault_codes, "truth_faults": t.fault_codes}
        )  # fmt: skip
        print(f"{t.name}: {r.summary.rep_count}/{t.rep_count} reps, faults {r.summary.fault_codes}"
              f" (truth {t.fault_codes})", file=sys.stderr)  # fmt: skip
        if t.kind == "non_stretch":
            phantom_rendered += r.summary.rep_count
            continue
        v = views[t.view]
        v["rep_exact"].append(r.summary.rep_count == t.rep_count)
        v["completed_exact"].append(r.summary.completed_count == t.completed_count)
        for got, want in zip(r.reps, t.reps, strict=False):
            v["hold_err"].append(abs(got.hold_s - want.hold_s))
            found = {f.code for f in got.faults}
            for c in FAULT_CODES:
                if c in skipped:
                    continue
                tp[c] += c in found and c in want.faults
                fp[c] += c in found and c not in want.faults
                fn[c] += c not in found and c in want.faults
    table = {}
    for view, v in sorted(views.items()):
        n = len(v["rep_exact"])
        table[view] = {
            "clips": n,
            "rep_exact_pct": round(100 * sum(v["rep_exact"]) / n, 1),
            "completed_exact_pct": round(100 * sum(v["completed_exact"]) / n, 1),
            "hold_mae_s": round(sum(v["hold_err"]) / len(v["hold_err"]), 2)
            if v["hold_err"]
            else None,
        }
    faults = {}
    for c in FAULT_CODES:
        if tp[c] + fp[c] + fn[c] == 0:
            continue
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0
        rc = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0
        faults[c] = {"precision": round(p, 2), "recall": round(rc, 2),
                     "f1": round(2 * p * rc / (p + rc), 2) if p + rc else 0.0,
                     "tp": tp[c], "fp": fp[c], "fn": fn[c]}  # fmt: skip
    phantom_real = {}
    if real:
        for path in REAL:
            phantom_real[path.name] = analyze_source(open_source(path), ex).report.summary.rep_count
    return {"views": table, "faults": faults, "phantom_rendered": phantom_rendered,
            "phantom_real": phantom_real, "clips": per_clip}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=["test", "tune", "all"], default="test")
    ap.add_argument("--only", nargs="*", help="clip names")
    ap.add_argument("--no-real", action="store_true", help="skip the real clips in tests/data")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    clips = truths(args.split, args.only)
    if not clips:
        raise SystemExit(f"no rendered clips for split {args.split!r} in {RENDERED}")
    res = evaluate(clips, real=not args.no_real)
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"split: {args.split}, {len(clips)} clips")
    print(f"{'view':8} {'clips':>5} {'rep exact':>10} {'completed exact':>16} {'hold MAE (s)':>13}")
    for view, v in res["views"].items():
        mae = "-" if v["hold_mae_s"] is None else f"{v['hold_mae_s']:.2f}"
        print(f"{view:8} {v['clips']:5d} {v['rep_exact_pct']:9.1f}% "
              f"{v['completed_exact_pct']:15.1f}% {mae:>13}")  # fmt: skip
    print(f"\n{'fault':18} {'precision':>9} {'recall':>7} {'F1':>6}   (tp/fp/fn)")
    for c, f in res["faults"].items():
        print(f"{c:18} {f['precision']:9.2f} {f['recall']:7.2f} {f['f1']:6.2f}   "
              f"({f['tp']}/{f['fp']}/{f['fn']})")  # fmt: skip
    print(f"\nphantom reps on rendered non-stretch clips: {res['phantom_rendered']}")
    for name, n in res["phantom_real"].items():
        print(f"phantom reps on real {name}: {n}")


if __name__ == "__main__":
    main()
