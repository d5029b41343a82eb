"""The hands (issue 11) on the rendered hands set: what the hand model reads for each grip in
each view, and how well two thresholds chosen on the tune split tell the grips apart on the
test split (other bodies, other performance styles).

    python benchmarks/hands.py --extract   # pose every frame, the hands read twice a second
                                           # while the arms are up (kept beside the clips)
    python benchmarks/hands.py             # the tables (a minute)

The set: ``studio/scenarios/hands/`` (``python -m studio scenarios``), rendered into
``benchmarks/data/hands/`` with ``python -m studio batch``. A grip's truth is in
``studio.body.GRIP_FAULTS``: fingers interlaced with the palms turned away is the seed's
step 3; palms facing the body, palms pressed together, hands apart and fists each break one or
both of ``fingers_not_linked`` and ``palms_not_away``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backstretch.errors import BackstretchError  # noqa: E402
from backstretch.exercise import builtin_exercise  # noqa: E402
from backstretch.pipeline import analyze_source, open_source  # noqa: E402
from studio.body import GRIP_FAULTS  # noqa: E402
from studio.truth import ClipTruth  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "hands"
CHECKS = {"fingers_not_linked": "fingers_across", "palms_not_away": "palm_away"}


def clips() -> list[ClipTruth]:
    return [ClipTruth.model_validate_json(p.read_text()) for p in sorted(DATA.glob("*.truth.json"))]


def landmarks_of(t: ClipTruth) -> Path:
    return DATA / f"{t.name}.landmarks.jsonl.gz"


def extract(todo: list[ClipTruth]) -> None:
    """Pose every frame as ``backstretch analyze --every-frame`` does (the hands read while the
    arms are up, twice a second) and keep the recording, hand readings included."""
    ex = builtin_exercise()
    started = time.monotonic()
    for k, t in enumerate(todo, 1):
        tmp = DATA / f"{t.name}.partial.jsonl.gz"  # renamed once complete
        try:
            analyze_source(open_source(DATA / t.video, stride=1), ex, save_landmarks=tmp)
        except BackstretchError as e:  # the poses are kept all the same
            print(f"{t.name}: {e}", file=sys.stderr)
        tmp.rename(landmarks_of(t))
        rate = (time.monotonic() - started) / k
        print(f"[{k}/{len(todo)}] {t.name} ({rate:.1f} s a clip)", file=sys.stderr, flush=True)


def measure(t: ClipTruth) -> dict[str, Any]:
    """The clip's median hand measures while the grip is held (the truth's hold), and what the
    analysis made of them."""
    a = analyze_source(open_source(landmarks_of(t)), builtin_exercise())
    f = a.features
    rep = t.reps[0]
    lo, hi = rep.hold_start_s or rep.start_s, rep.hold_end_s or rep.end_s
    inside = (f.t >= lo) & (f.t <= hi)
    out: dict[str, Any] = {
        "read_share": float(np.isfinite(f.palm_away[inside]).mean()) if inside.any() else 0.0,
        "hand_px": float(np.nanmedian(f.hand_px[inside])) if inside.any() else np.nan,
        "yaw_read": a.report.camera_yaw_deg,
        "reps": len(a.report.reps),
        "hold_err": abs(a.report.reps[0].hold_s - rep.hold_s) if a.report.reps else np.nan,
        "found": {x.code for r in a.report.reps for x in r.faults},
        "skipped": {c.check: c.reason for c in a.report.checks_skipped},
    }
    for key in CHECKS.values():
        v = getattr(f, key)[inside]
        v = v[np.isfinite(v)]
        out[key] = float(np.median(v)) if v.size else np.nan
    return out


def _grip(t: ClipTruth) -> str:
    return str(t.style.get("grip", "loose"))


def choose(rows: list[tuple[ClipTruth, dict[str, float]]], key: str, code: str) -> float:
    """The threshold (midpoint between neighbouring values) that misjudges fewest tune clips:
    at or above it, the grip is right."""
    vals = sorted((r[key], code in GRIP_FAULTS[_grip(t)]) for t, r in rows if np.isfinite(r[key]))
    if not vals:
        return np.nan
    best, best_err = np.nan, len(vals) + 1
    xs = [v for v, _ in vals]
    for a, b in zip([xs[0] - 0.01, *xs], [*xs, xs[-1] + 0.01], strict=True):
        thr = (a + b) / 2
        err = sum((v < thr) != bad for v, bad in vals)
        if err < best_err:
            best, best_err = thr, err
    return round(best, 3)


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / max(2 * tp + fp + fn, 1)


Row = tuple[ClipTruth, dict[str, Any]]
Verdict = Callable[[ClipTruth, dict[str, Any]], "bool | None"]


def tally(rows: list[Row], split: str, code: str, said: Verdict) -> tuple[dict, list[str]]:
    """Per camera turn, [tp, fp, fn, tn, abstained] of one check on one split (``said``: the
    fault found, or None where the check abstained), and the clips it got wrong."""
    counts: dict[float, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    misses = []
    for t, r in rows:
        if t.split != split:
            continue
        c = counts[t.camera_yaw_deg]
        bad = code in GRIP_FAULTS[_grip(t)]
        found = said(t, r)
        if found is None:
            c[4] += 1
            continue
        c[0 if found and bad else 1 if found else 2 if bad else 3] += 1
        if found != bad:
            misses.append(f"{code} {'fp' if found else 'fn'}: {t.name}")
    return counts, misses


def cells(counts: dict, abstained: str) -> str:
    return "  ".join(
        f"{yaw:.0f} deg F1 {f1(*c[:3]):.2f} ({c[0]}/{c[1]}/{c[2]}/{c[3]}"
        + (f", {c[4]} {abstained})" if c[4] else ")")
        if sum(c[:4])
        else f"{yaw:.0f} deg {abstained} ({c[4]})"
        for yaw, c in sorted(counts.items())
    )


def readings_table(rows: list[Row]) -> None:
    table: dict[tuple[float, str], list[dict[str, Any]]] = defaultdict(list)
    for t, r in rows:
        table[(t.camera_yaw_deg, _grip(t))].append(r)
    print(f"{'yaw':>4} {'grip':24} {'n':>2} {'read':>5} {'hand px':>7} "
          f"{'palm_away':>16} {'fingers_across':>16}")  # fmt: skip
    for (yaw, grip), rs in sorted(table.items()):

        def rng(key: str, rs: list[dict[str, Any]] = rs) -> str:
            v = np.array([r[key] for r in rs])
            v = v[np.isfinite(v)]
            return f"{v.min():+.2f}..{v.max():+.2f}" if v.size else "-"

        print(f"{yaw:4.0f} {grip:24} {len(rs):2d} {np.mean([r['read_share'] for r in rs]):5.2f} "
              f"{np.nanmedian([r['hand_px'] for r in rs]):7.0f} {rng('palm_away'):>16} "
              f"{rng('fingers_across'):>16}")  # fmt: skip
    print()
    for split in ("tune", "test"):
        reads = defaultdict(list)
        for t, r in rows:
            if t.split == split and r["yaw_read"] is not None:
                reads[t.camera_yaw_deg].append(r["yaw_read"])
        turns = ", ".join(
            f"{k:.0f} deg: {min(v):.0f}-{max(v):.0f}" for k, v in sorted(reads.items())
        )
        print(f"{split}: body turn read, by camera: {turns}")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--extract", action="store_true", help="read the clips not read yet")
    args = ap.parse_args()
    truths = clips()
    if args.extract:
        extract([t for t in truths if not landmarks_of(t).exists()])
    rows = [(t, measure(t)) for t in truths if landmarks_of(t).exists()]
    print(f"{len(rows)} clips read of {len(truths)}\n")
    readings_table(rows)
    ex = builtin_exercise()
    for code, key in CHECKS.items():
        max_yaw = ex.faults.rule(code).max_yaw_deg  # type: ignore[attr-defined]
        tune = [(t, r) for t, r in rows if t.split == "tune" and (r["yaw_read"] or 90) <= max_yaw]
        thr = choose(tune, key, code)
        print(f"{code}: {key} >= {thr} is right (chosen on the {len(tune)} tune clips with the "
              f"body turned up to {max_yaw:.0f} deg)")  # fmt: skip
        for split in ("tune", "test"):

            def below(
                t: ClipTruth, r: dict[str, Any], key: str = key, thr: float = thr
            ) -> bool | None:
                return bool(r[key] < thr) if np.isfinite(r[key]) else None

            print(f"  {split:5} tp/fp/fn/tn: {cells(tally(rows, split, code, below)[0], 'unread')}")
    print()
    clean = [r["hold_err"] for t, r in rows if _grip(t) == "interlaced_palms_away"]
    print(f"hold error with the hands right (linked, palms away): mean {np.nanmean(clean):.2f} s, "
          f"worst {np.nanmax(clean):.2f} s over {len(clean)} clips\n")  # fmt: skip
    print("the analysis as shipped (the exercise definition's thresholds), per view:")
    misses: list[str] = []
    for code in CHECKS:
        for split in ("tune", "test"):

            def found(t: ClipTruth, r: dict[str, Any], code: str = code) -> bool | None:
                return None if code in r["skipped"] or not r["reps"] else code in r["found"]

            counts, wrong = tally(rows, split, code, found)
            misses += wrong
            print(f"  {code:18} {split:5} tp/fp/fn/tn: {cells(counts, 'skipped')}")
    print("\n".join(["", "clips that missed:", *misses]) if misses else "")
    print("\nskipped at 0-25 deg (palms_not_away; fingers_not_linked alike):")
    for t, r in rows:
        if t.camera_yaw_deg < 45 and ("palms_not_away" in r["skipped"] or not r["reps"]):
            print(f"{t.name}: {r['skipped'].get('palms_not_away', 'no repetition')}")


if __name__ == "__main__":
    main()
