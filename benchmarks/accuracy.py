"""Accuracy on rendered videos with exact truth (real pixels through MediaPipe).

    python benchmarks/accuracy.py [--split test|tune|holdout|all] [--only NAME ...] [--live]
                                  [--compare-live] [--json]
    python benchmarks/accuracy.py --extract      # pose every clip once, keep the landmarks

Every clip in ``benchmarks/data/rendered`` (made by ``python -m studio``) has a truth file
(what really happened) and, once extracted, its MediaPipe landmarks
(``NAME.landmarks.jsonl.gz``, the same poses ``backstretch analyze`` would compute), so a
rerun takes a minute, not the half hour of the pose model. ``--live`` feeds the same poses to
the live coach, frame by frame.

Prints the targets of issue 9 per camera view and per style family: repetition count exact,
completed count exact, hold error on clean repetitions, per-fault precision / recall / F1 with
the confusion counts (in the views that can make each check; a check the analysis skipped
counts as not found), and phantom repetitions on the non-stretch clips and on the real clips
in ``tests/data``, naming every clip that missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backstretch.analysis.faults import HAND_RULES  # noqa: E402
from backstretch.analysis.model import Rep  # noqa: E402
from backstretch.errors import BackstretchError  # noqa: E402
from backstretch.exercise import FAULT_CODES, Exercise, builtin_exercise  # noqa: E402
from backstretch.pipeline import analyze_source, open_source  # noqa: E402
from studio.truth import ClipTruth  # noqa: E402

RENDERED = ROOT / "benchmarks" / "data" / "rendered"
REAL = [
    ROOT / "tests" / "data" / "pose_squats.mp4",
    ROOT / "tests" / "data" / "sports2d_demo.mp4",
    ROOT / "tests" / "data" / "combined_squat_dance.gif",
    *sorted((ROOT / "tests" / "data" / "keraal").glob("*.json")),
]
TARGETS = {"rep_exact_pct": 98.0, "completed_exact_pct": 95.0, "hold_mae_s": 1.0, "f1": 0.9}


def landmarks_of(t: ClipTruth) -> Path:
    return RENDERED / f"{t.name}.landmarks.jsonl.gz"


def truths(split: str, only: list[str] | None = None) -> list[ClipTruth]:
    out = []
    for p in sorted(RENDERED.glob("*.truth.json")):
        t = ClipTruth.model_validate_json(p.read_text())
        if (split == "all" or t.split == split) and (not only or t.name in only):
            out.append(t)
    return out


def _body(t: ClipTruth) -> str:
    """The body's name, from the clip's: split-kind-body-yaw-seed, split-move-what-body-yaw."""
    parts = t.name.split("-")
    return parts[3] if parts[1] == "move" else parts[2]


def extract(clips: list[ClipTruth], ex: Exercise, force: bool = False) -> None:
    """Run the pose model once per clip and keep its landmarks beside the clip."""
    todo = [t for t in clips if force or not landmarks_of(t).exists()]
    started = time.monotonic()
    for k, t in enumerate(todo, 1):
        tmp = RENDERED / f"{t.name}.partial.jsonl.gz"  # renamed once complete
        try:
            analyze_source(open_source(RENDERED / t.video), ex, save_landmarks=tmp)
        except BackstretchError as e:  # the poses are kept all the same: that is the finding
            print(f"{t.name}: {e}", file=sys.stderr)
        tmp.rename(landmarks_of(t))
        rate = (time.monotonic() - started) / k
        print(f"[{k}/{len(todo)}] {t.name} ({rate:.1f} s a clip)", file=sys.stderr, flush=True)


def run_live(path: Path, ex: Exercise) -> tuple[list[Rep], set[str]]:
    """The live coach over a recording's poses, frame by frame: its repetitions, and the
    checks it could not make."""
    from backstretch.session import LiveSession

    src = open_source(path)
    session = LiveSession(ex, src.info.width, src.info.height)
    for frame in src.frames:
        if session.started_t is None:
            session.start(frame.t)
        session.push(frame)
    summary = session.stop()
    skipped = {s.check for s in summary.checks_skipped}
    return summary.reps, skipped


def analyse(t: ClipTruth, ex: Exercise, live: bool) -> tuple[list[Rep], set[str]] | str:
    """The repetitions and skipped checks, or the reason the recording was refused."""
    path = landmarks_of(t) if landmarks_of(t).exists() else RENDERED / t.video
    try:
        if live:
            return run_live(path, ex)
        r = analyze_source(open_source(path), ex).report
    except BackstretchError as e:  # refused with a reason (e.g. nobody found)
        return str(e).split(": ", 1)[-1]
    return r.reps, {s.check for s in r.checks_skipped}


def _pct(xs: list[bool]) -> float | None:
    return round(100 * sum(xs) / len(xs), 1) if xs else None


def _mae(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def evaluate(clips: list[ClipTruth], *, real: bool = True, live: bool = False) -> dict[str, Any]:
    ex = builtin_exercise()
    groups: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    conf: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    )
    misses: dict[str, list[str]] = defaultdict(list)
    phantom: dict[str, int] = {}
    per_clip = []
    refused: dict[str, str] = {}
    for t in clips:
        got = analyse(t, ex, live)
        if isinstance(got, str):  # not a silent wrong answer: counted apart, and named
            refused[t.name] = got
            print(f"{t.name}: refused: {got}", file=sys.stderr)
            continue
        reps, skipped = got
        found_codes = sorted({f.code for r in reps for f in r.faults})
        completed = sum(r.completed for r in reps)
        per_clip.append({"name": t.name, "view": t.view, "family": t.family, "reps": len(reps),
                         "truth_reps": t.rep_count, "completed": completed,
                         "truth_completed": t.completed_count, "faults": found_codes,
                         "truth_faults": t.fault_codes, "skipped": sorted(skipped),
                         "holds": [r.hold_s for r in reps],
                         "truth_holds": [r.hold_s for r in t.reps]})  # fmt: skip
        print(f"{t.name}: {len(reps)}/{t.rep_count} reps, holds {[r.hold_s for r in reps]} "
              f"(truth {[r.hold_s for r in t.reps]}), faults {found_codes} (truth "
              f"{t.fault_codes})", file=sys.stderr)  # fmt: skip
        if t.kind == "non_stretch":
            phantom[t.name] = len(reps)
            continue
        for key in (f"view:{t.view}", f"style:{t.family}", f"body:{_body(t)}", "all"):
            g = groups[key]
            g["rep_exact"].append(len(reps) == t.rep_count)
            g["completed_exact"].append(completed == t.completed_count)
        if len(reps) != t.rep_count:
            misses["rep count"].append(t.name)
        if completed != t.completed_count:
            misses["completed count"].append(t.name)
        for got, want in zip(reps, t.reps, strict=False):
            if not want.faults:
                err = abs(got.hold_s - want.hold_s)
                for key in (f"view:{t.view}", f"style:{t.family}", f"body:{_body(t)}", "all"):
                    groups[key]["hold_err"].append(err)
                if err > TARGETS["hold_mae_s"]:
                    misses["hold error > 1 s"].append(f"{t.name} ({err:.1f} s)")
        found = {f.code for r in reps for f in r.faults}
        for c in FAULT_CODES:
            if c in HAND_RULES:  # the rendered set's hands are not posed: benchmarks/hands.py
                continue
            if t.view not in ex.faults.rule(c).views:
                # the camera's view cannot make the check, so its truth does not say; the
                # analysis read another view (the body turned more than the camera) and gave
                # the fault: not scored, but named, since the catalogue acts no such fault there
                if c in found:
                    misses[f"{c} given outside the views scored"].append(f"{t.name} ({t.view})")
                continue
            want = c in t.fault_codes
            got = c in found
            cell = "tp" if got and want else "fp" if got else "fn" if want else "tn"
            for key in (f"view:{t.view}", "all"):
                conf[c][key][cell] += 1
            if cell in ("fp", "fn"):
                misses[f"{c} {cell}"].append(t.name + (" (skipped)" if c in skipped else ""))
    table = {
        key: {"clips": len(g["rep_exact"]), "rep_exact_pct": _pct(g["rep_exact"]),
              "completed_exact_pct": _pct(g["completed_exact"]),
              "hold_mae_s": _mae(g["hold_err"]), "clean_reps": len(g["hold_err"])}
        for key, g in sorted(groups.items())
    }  # fmt: skip
    faults = {}
    for c in FAULT_CODES:
        if c not in conf:
            continue
        cells = conf[c]["all"]
        tp, fp, fn = cells["tp"], cells["fp"], cells["fn"]
        p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
        rc = tp / (tp + fn) if tp + fn else 1.0
        faults[c] = {"precision": round(p, 2), "recall": round(rc, 2),
                     "f1": round(2 * p * rc / (p + rc), 2) if p + rc else 0.0,
                     **cells,
                     "by_view": {k: v for k, v in conf[c].items() if k != "all"}}  # fmt: skip
    phantom_real = {}
    if real:
        for path in REAL:
            phantom_real[path.name] = analyze_source(open_source(path), ex).report.summary.rep_count
    return {"mode": "live" if live else "offline", "groups": table, "faults": faults,
            "phantom_rendered": phantom, "phantom_real": phantom_real, "misses": dict(misses),
            "refused": refused, "clips": per_clip}  # fmt: skip


def _fmt(v: Any, spec: str = "") -> str:
    return "-" if v is None else format(v, spec)


def report(res: dict[str, Any], split: str, n: int) -> None:
    print(f"split: {split}, {n} clips, {res['mode']} analysis")
    print(f"{'group':30} {'clips':>5} {'rep exact':>10} {'completed exact':>16} "
          f"{'hold MAE, clean (s)':>20}")  # fmt: skip
    for key, g in res["groups"].items():
        print(f"{key:30} {g['clips']:5d} {_fmt(g['rep_exact_pct'], '.1f'):>9}% "
              f"{_fmt(g['completed_exact_pct'], '.1f'):>15}% "
              f"{_fmt(g['hold_mae_s'], '.2f'):>14} ({g['clean_reps']})")  # fmt: skip
    print(f"\n{'fault':18} {'precision':>9} {'recall':>7} {'F1':>6}   "
          "tp/fp/fn/tn (views that can check)")  # fmt: skip
    for c, f in res["faults"].items():
        views = ", ".join(f"{k[5:]} {v['tp']}/{v['fp']}/{v['fn']}/{v['tn']}"
                          for k, v in sorted(f["by_view"].items()))  # fmt: skip
        print(f"{c:18} {f['precision']:9.2f} {f['recall']:7.2f} {f['f1']:6.2f}   "
              f"{f['tp']}/{f['fp']}/{f['fn']}/{f['tn']}  [{views}]")  # fmt: skip
    bad = {k: v for k, v in res["phantom_rendered"].items() if v}
    print(f"\nphantom reps on {len(res['phantom_rendered'])} rendered non-stretch clips: "
          f"{sum(bad.values())} {bad if bad else ''}")  # fmt: skip
    for name, k in res["phantom_real"].items():
        print(f"phantom reps on real {name}: {k}")
    if res["refused"]:
        print(f"\nrefused with a reason (not scored above): {len(res['refused'])}")
        for name, why in res["refused"].items():
            print(f"  {name}: {why}")
    allg = res["groups"].get("all", {})
    worst_f1 = min((f["f1"] for f in res["faults"].values()), default=None)
    phantoms = sum(res["phantom_rendered"].values()) + sum(res["phantom_real"].values())
    print("\ntargets (all views):")
    for label, got, ok in (
        ("rep count exact >= 98 %", allg.get("rep_exact_pct"),
         (allg.get("rep_exact_pct") or 0) >= TARGETS["rep_exact_pct"]),
        ("completed count exact >= 95 %", allg.get("completed_exact_pct"),
         (allg.get("completed_exact_pct") or 0) >= TARGETS["completed_exact_pct"]),
        ("hold MAE on clean reps <= 1.0 s", allg.get("hold_mae_s"),
         allg.get("hold_mae_s") is not None and allg["hold_mae_s"] <= TARGETS["hold_mae_s"]),
        ("every fault F1 >= 0.9", worst_f1, worst_f1 is not None and worst_f1 >= TARGETS["f1"]),
        ("phantom repetitions = 0", phantoms, phantoms == 0),
    ):  # fmt: skip
        print(f"  {label:34} {_fmt(got):>8}  {'met' if ok else 'NOT MET'}")
    if res["misses"]:
        print("\nclips that missed:")
        for what, names in sorted(res["misses"].items()):
            print(f"  {what}: {', '.join(names)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=["test", "tune", "holdout", "all"], default="test")
    ap.add_argument("--only", nargs="*", help="clip names")
    ap.add_argument("--live", action="store_true", help="through the live coach, frame by frame")
    ap.add_argument("--compare-live", action="store_true",
                    help="also run the live coach and compare it with the offline")  # fmt: skip
    ap.add_argument("--no-real", action="store_true", help="skip the real clips in tests/data")
    ap.add_argument("--extract", action="store_true", help="pose the clips without landmarks")
    ap.add_argument("--force", action="store_true", help="with --extract: pose every clip again")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    clips = truths(args.split, args.only)
    if not clips:
        raise SystemExit(f"no rendered clips for split {args.split!r} in {RENDERED}")
    if args.extract:
        extract(clips, builtin_exercise(), args.force)
        return
    res = evaluate(clips, real=not args.no_real, live=args.live)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        report(res, args.split, len(clips))
    if args.compare_live:
        live = evaluate(clips, real=False, live=True)
        compare(res, live)


def compare(offline: dict[str, Any], live: dict[str, Any]) -> None:
    """The live coach against the offline analysis on the same poses (target: hold error
    within 0.3 s of the offline one)."""
    print(f"\nlive coach vs offline analysis, same poses ({offline['mode']} / {live['mode']}):")
    for key in offline["groups"]:
        a, b = offline["groups"][key], live["groups"].get(key, {})
        print(f"  {key:28} rep exact {_fmt(a['rep_exact_pct'])} / {_fmt(b.get('rep_exact_pct'))} %"
              f"   hold MAE {_fmt(a['hold_mae_s'])} / {_fmt(b.get('hold_mae_s'))} s")  # fmt: skip
    a, b = offline["groups"]["all"]["hold_mae_s"], live["groups"]["all"]["hold_mae_s"]
    ok = a is not None and b is not None and b - a <= 0.3
    diff = None if a is None or b is None else round(b - a, 2)
    print(f"  live hold MAE - offline hold MAE = {_fmt(diff)} s"
          f"  (target <= 0.3 s: {'met' if ok else 'NOT MET'})")  # fmt: skip


if __name__ == "__main__":
    main()
