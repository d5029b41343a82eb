"""History charts (PNG, matplotlib): hold per repetition over time, reach over time, faults
per week. The same picture serves ``backstretch history --plot`` and the web history page."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from backstretch.store.progress import History, local_day, local_time, week_start


def history_png(h: History) -> bytes:
    fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(8, 8.5), constrained_layout=True)
    reps = [(local_time(s.started_at), r) for s in h.sessions for r in s.reps]
    if reps:
        a1.scatter(
            [t for t, _ in reps],
            [r.hold_s for _, r in reps],
            c=["#2e9e4f" if r.completed else "#d98b00" for _, r in reps],
            s=22,
        )
    targets = [(local_time(s.started_at), s.hold_target_s) for s in h.sessions]
    if targets:
        a1.step([t for t, _ in targets], [v for _, v in targets], where="post", color="#555",
                lw=1, label="hold target")  # fmt: skip
        a1.legend(loc="upper left")
    a1.set_ylabel("hold in good form (s)")
    a1.set_title("Hold per repetition (green: completed)")
    reach = [
        (local_time(s.started_at), s.best_reach) for s in h.sessions if s.best_reach is not None
    ]
    if reach:
        a2.plot([t for t, _ in reach], [v for _, v in reach], "o-", color="#3b6fb6")
    a2.set_ylabel("best reach (torso lengths)")
    a2.set_title("How far the hands reach forward")
    faults: Counter[datetime] = Counter()
    for s in h.sessions:
        w = week_start(local_day(s.started_at))
        faults[datetime(w.year, w.month, w.day)] += sum(len(r.faults) for r in s.reps)
    weeks = [datetime(w.year, w.month, w.day) for w, _ in h.per_week]
    a3.bar(weeks, [faults.get(w, 0) for w in weeks], width=timedelta(days=5), color="#c62828")
    a3.set_ylabel("faults")
    a3.set_title("Form faults per week")
    for ax in (a1, a2, a3):
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
