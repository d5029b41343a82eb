"""Terminal screens: ``backstretch guide`` (the GuideMachine drawn with Rich Live, single keys
space / p / q, cues spoken by espeak-ng when it is installed) and the history tables."""

from __future__ import annotations

import math
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.prompt import IntPrompt, Prompt
from rich.table import Table
from rich.text import Text

from backstretch.analysis.model import Rep
from backstretch.exercise.schema import Exercise
from backstretch.session.guide import GuideMachine, GuideView
from backstretch.store import Store
from backstretch.store.progress import History, local_day, plan, with_hold_target

KEYS = "space: pause / go on    p: stop, it hurts    q: quit"


@contextmanager
def single_keys() -> Iterator[Any]:
    """Read keys one at a time without Enter (a no-op reader when stdin is not a terminal)."""
    if not sys.stdin.isatty():
        yield lambda timeout: time.sleep(timeout)
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def read(timeout: float) -> str | None:
        ready, _, _ = select.select([fd], [], [], timeout)
        return os.read(fd, 1).decode(errors="ignore") if ready else None

    try:
        yield read
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class Voice:
    """Speaks through espeak-ng (never waits for it); silent when it is missing or off."""

    def __init__(self, on: bool) -> None:
        self.exe = shutil.which("espeak-ng") if on else None
        self._proc: subprocess.Popen[bytes] | None = None

    def say(self, text: str) -> None:
        if self.exe is None:
            return
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._proc = subprocess.Popen(
            [self.exe, "-s", "150", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )


def render(v: GuideView, ex: Exercise) -> Panel:
    if v.step is None:
        return Panel(Text("Done.", style="bold green"), title="backstretch guide")
    s = v.step
    head = "Before you start" if s.rep == 0 else f"Repetition {s.rep} of {v.reps_total}"
    parts: list[Any] = [
        Text(head, style="dim"),
        Text(s.title, style="bold cyan"),
        Text(s.cue),
        Text(""),
        ProgressBar(total=1.0, completed=v.progress, width=50),
        Text(f"{math.ceil(v.left_s)} s", style="bold"),
    ]
    if v.breath is not None:
        n = 10
        filled = round(n * (v.breath.progress if v.breath.phase == "in" else 1 - v.breath.progress))
        word = "Breathe in " if v.breath.phase == "in" else "Breathe out"
        parts.append(Text(f"{word}  " + "●" * filled + "○" * (n - filled), style="blue"))
    if v.paused:
        parts.append(Text("PAUSED: press space to go on", style="bold yellow"))
    parts += [Text(""), Text(f"Done: {v.reps_done} of {v.reps_total}"), Text(KEYS, style="dim")]
    return Panel(Group(*parts), title=f"backstretch guide: {ex.name}", width=70)


def run_guide(
    machine: GuideMachine,
    console: Console,
    voice: Voice,
    time_scale: float = 1.0,
    full_screen: bool = True,
) -> None:
    """Run the session until it is done, stopped for pain or quit (Ctrl+C quits too)."""
    from rich.live import Live

    start = time.monotonic()
    last_step = -1
    try:
        with (
            single_keys() as read,
            Live(console=console, screen=full_screen, refresh_per_second=8) as live,
        ):
            while True:
                view = machine.tick((time.monotonic() - start) * time_scale)
                if view.step is not None and view.index != last_step:
                    last_step = view.index
                    voice.say(f"{view.step.title}. {view.step.cue}")
                live.update(render(view, machine.ex))
                if view.finished:
                    break
                key = read(0.1)
                if key == " ":
                    machine.toggle_pause()
                elif key in ("p", "P"):
                    machine.stop_for_pain()
                elif key in ("q", "Q"):
                    machine.quit()
    except KeyboardInterrupt:
        machine.quit()


def ask_pain(console: Console, ex: Exercise) -> tuple[int, str, str]:
    """Ask how much it hurts and where (after a pain stop)."""
    console.print(f"[bold red]Stopped.[/bold red] {ex.safety}")
    rating = IntPrompt.ask("How much does it hurt, 0 (not at all) to 10", console=console,
                           choices=[str(i) for i in range(11)], show_choices=False)  # fmt: skip
    areas = ex.live.pain_areas
    for i, a in enumerate(areas, 1):
        console.print(f"  {i}. {a}")
    where = IntPrompt.ask(
        "Where", console=console, choices=[str(i) for i in range(1, len(areas) + 1)]
    )
    note = Prompt.ask("Anything else (optional)", console=console, default="")
    return rating, areas[where - 1], note


def guided_session(
    ex: Exercise,
    store: Store | None,
    reps: int | None,
    hold: float | None,
    *,
    voice: bool,
    time_scale: float = 1.0,
) -> None:
    """A whole guided session: today's target, the run, a pain report, the record."""
    console = Console()
    target = ex.targets.hold_s
    if store is not None:
        p = plan(store.sessions(exercise=ex.id), ex)
        target = p.hold_target_s
        for line in p.advice:
            console.print(f"[bold yellow]{line}[/bold yellow]")
    ex = with_hold_target(ex, hold or target)
    sid = None if store is None else store.begin("guided", ex.id, ex.targets.hold_s, verified=False)

    def keep(rep: Rep) -> None:
        if store is not None and sid is not None:
            store.add_rep(sid, rep)

    machine = GuideMachine(ex, reps or ex.targets.reps_max, ex.targets.hold_s, on_rep=keep)
    run_guide(machine, console, Voice(voice), time_scale, full_screen=console.is_terminal)
    pain = ask_pain(console, ex) if machine.ended_by == "pain" else None
    if store is not None and sid is not None:
        if pain is not None:
            store.add_pain(sid, *pain)
        store.finish(sid, machine.summary(), pain_stop=machine.ended_by == "pain")
    how = {"done": "Session complete", "pain": "Stopped for pain", "quit": "Stopped"}
    console.print()
    console.print(
        f"{how[machine.ended_by or 'quit']}: {len(machine.reps)} repetition(s) held "
        + ", ".join(f"{r.hold_s:.0f} s" for r in machine.reps)
    )
    if sid is not None and store is not None:
        console.print(
            f"Saved as unverified session {sid} in {escape(store.where)} (no camera watched)."
        )


def history_table(h: History, limit: int) -> Table:
    t = Table(title=f"Recent sessions ({min(limit, len(h.sessions))} of {len(h.sessions)})")
    for col in ("date", "kind", "reps", "completed", "best hold", "target", "score", "notes"):
        t.add_column(col, justify="right" if col not in ("date", "kind", "notes") else "left")
    for s in h.sessions[-limit:]:
        notes = []
        if not s.finished:
            notes.append("cut off")
        if s.pain_stop or s.pains:
            notes.append("pain " + ", ".join(f"{p.rating}/10 {p.location}" for p in s.pains))
        if not s.verified:
            notes.append("unverified")
        if s.fault_codes:
            notes.append(", ".join(s.fault_codes))
        t.add_row(
            local_day(s.started_at).isoformat(),
            s.kind,
            str(len(s.reps)),
            str(sum(r.completed for r in s.reps)),
            f"{s.best_hold_s:.1f} s",
            f"{s.hold_target_s:.0f} s",
            "-" if s.score is None else str(s.score),
            "; ".join(notes),
        )
    return t


def progress_panel(h: History) -> Panel:
    weeks = " ".join(str(n) for _, n in h.per_week)
    lines = [
        f"Streak: {h.streak_days} day(s) in a row",
        f"Sessions per week (last {len(h.per_week)}, oldest first): {weeks}",
        f"Completed repetitions: {h.completed_reps}",
        f"Hold trend: {_trend(h.hold_trend_s, 's')}   Reach trend: {_trend(h.reach_trend, '')}",
        f"Next hold target: {h.plan.hold_target_s:.0f} s"
        f" ({h.plan.clean_in_a_row} clean session(s) in a row)",
        *h.plan.advice,
    ]
    style = "red" if h.plan.stop_and_see_professional or h.plan.lighter else "green"
    return Panel("\n".join(lines), title="Progress", border_style=style)


def _trend(v: float | None, unit: str) -> str:
    if v is None:
        return "not enough sessions"
    return f"{v:+.2f}{(' ' + unit) if unit else ''} per session"
