"""The terminal side of ``backstretch guide``: draws the GuideMachine with Rich Live, reads
single keys (space, p, q), speaks cues with espeak-ng when it is installed."""

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
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.prompt import IntPrompt, Prompt
from rich.text import Text

from backstretch.exercise.schema import Exercise
from backstretch.session.guide import GuideMachine, GuideView

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
