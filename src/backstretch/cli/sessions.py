"""``history``, ``export`` and ``remind``: the stored sessions and what follows from them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from backstretch.cli.common import DbOpt, ExerciseOpt, app, check_output
from backstretch.errors import InputError
from backstretch.exercise import load_exercise


@app.command()
def history(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="How many recent sessions to list.")] = 15,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print everything as JSON instead of tables.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the progress charts (PNG) here.")
    ] = None,
    exercise: ExerciseOpt = None,
) -> None:
    """Your sessions, streak, trends and next hold target."""
    import json

    from backstretch.store import Store
    from backstretch.store.progress import history as build_history

    check_output(plot, "--plot")
    ex = load_exercise(exercise)
    with Store(db) as store:
        h = build_history(store.sessions(exercise=ex.id), ex)
    if plot is not None:
        from backstretch.store.charts import history_png

        plot.parent.mkdir(parents=True, exist_ok=True)
        plot.write_bytes(history_png(h))
    if json_out:
        typer.echo(json.dumps(h.as_dict(), indent=2))
        return
    from backstretch.tui import history_table, progress_panel

    c = Console()
    if not h.sessions:
        c.print(f"No sessions yet in {escape(store.where)}. Try `backstretch serve`, "
                "`backstretch guide` or `backstretch analyze VIDEO --save`.")  # fmt: skip
    else:
        c.print(history_table(h, limit))
        c.print(progress_panel(h))
    if plot is not None:
        c.print(f"Charts: {escape(str(plot))}")


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "json",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="json: a file (default: stdout); csv: a folder for the files."
        ),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Export every stored session with its repetitions, faults and pain reports."""
    from backstretch.store import Store
    from backstretch.store.export import write_csv, write_json_export

    if fmt not in ("csv", "json"):
        raise InputError(f"--format must be csv or json, not {fmt!r}")
    check_output(output or (Path("backstretch-export") if fmt == "csv" else None),
                 "the export", folder=fmt == "csv")  # fmt: skip
    with Store(db) as store:
        sessions = store.sessions()
    if fmt == "json":
        write_json_export(sessions, output)
        if output is not None:
            Console(stderr=True).print(f"{len(sessions)} sessions written to {escape(str(output))}")
        return
    folder = output or Path("backstretch-export")
    files = write_csv(sessions, folder)
    Console().print(
        f"{len(sessions)} sessions written to " + ", ".join(escape(str(f)) for f in files)
    )


@app.command()
def remind(
    daily: Annotated[str, typer.Option("--daily", help="Time of day, HH:MM (24 h).")] = "09:00",
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The calendar file to write.")
    ] = Path("backstretch-reminder.ics"),
    minutes: Annotated[int, typer.Option(min=5, max=120, help="Length of the slot.")] = 10,
) -> None:
    """Write a calendar file (ICS) with a daily reminder to stretch; import it in your calendar."""
    from backstretch.store.export import reminder_ics

    check_output(output, "the reminder")
    output.write_bytes(reminder_ics(daily, minutes))
    Console().print(
        f"Daily reminder at {escape(daily)} written to {escape(str(output))}; "
        "open it with your calendar."
    )
