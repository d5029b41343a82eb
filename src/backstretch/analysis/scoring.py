"""The set score (0-100): holds reached, time in good form, minus distinct faults."""

from __future__ import annotations

from backstretch.analysis.model import Rep, Summary
from backstretch.analysis.report_text import note
from backstretch.exercise.schema import Exercise


def summarize(reps: list[Rep], ex: Exercise) -> Summary:
    """The set's summary: counts, total hold, score, faults and the note."""
    completed = sum(r.completed for r in reps)
    return Summary(
        rep_count=len(reps),
        completed_count=completed,
        total_hold_s=round(sum(r.hold_s for r in reps), 2),
        score=score_set(reps, ex),
        fault_codes=sorted({x.code for r in reps for x in r.faults}),
        set_complete=completed >= ex.targets.reps_min,
        note=note(completed, len(reps), ex),
    )


def score_set(reps: list[Rep], ex: Exercise) -> int:
    """Mean repetition score, scaled by how much of the set was done, less fault penalties.

    A repetition scores ``hold_weight * min(hold_s / target, 1) + form_weight * share of the
    position held in good form``. The set is scaled by ``min(reps, reps_min) / reps_min`` and
    loses ``fault_penalty`` points per distinct fault code.
    """
    if not reps:
        return 0
    sc, target = ex.scoring, ex.targets.hold_s
    weight = sc.hold_weight + sc.form_weight or 1.0
    per_rep = [
        (
            sc.hold_weight * min(r.hold_s / target, 1.0)
            + sc.form_weight * (r.hold_s / r.position_s if r.position_s > 0 else 0.0)
        )
        / weight
        for r in reps
    ]
    best = sorted(per_rep, reverse=True)[: ex.targets.reps_max]
    done = min(len(reps), ex.targets.reps_min) / ex.targets.reps_min
    codes = {f.code for r in reps for f in r.faults}
    raw = 100.0 * sum(best) / len(best) * done - sc.fault_penalty * len(codes)
    return round(min(100.0, max(0.0, raw)))
