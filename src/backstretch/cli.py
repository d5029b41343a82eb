"""Command line: argument parsing and printing only.

Exit codes: 0 done, 2 bad input (the message names the file and the problem), 1 internal
error.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table

from backstretch import __version__
from backstretch.analysis.model import Report
from backstretch.errors import BackstretchError, InputError
from backstretch.exercise import Exercise, load_exercise

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="backstretch: a coach for the standing Back Stretch.",
    rich_markup_mode=None,
)
err = Console(stderr=True)

ExerciseOpt = Annotated[
    Path | None,
    typer.Option("--exercise", help="An exercise definition TOML (default: the built-in one)."),
]


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="BACKSTRETCH_DB",
        help="Where sessions are stored: a SQLAlchemy URL or an SQLite file "
        "(default: backstretch.db in your user data folder).",
    ),
]


class PoseWhere(StrEnum):
    browser = "browser"
    server = "server"


StrideOpt = Annotated[
    int | None,
    typer.Option(
        "--stride", min=1,
        help="Analyse and pose every Nth frame (default: about 15 frames a second, e.g. 2 at "
             "30 fps, posed only around movements).",
    ),
]  # fmt: skip
EveryFrameOpt = Annotated[
    bool,
    typer.Option("--every-frame", help="Pose every frame (slower; same as --stride 1)."),
]


def _stride(stride: int | None, every_frame: bool) -> int | None:
    if every_frame and stride not in (None, 1):
        raise InputError("give either --stride or --every-frame, not both")
    return 1 if every_frame else stride


def check_output(path: Path | None, what: str, folder: bool = False) -> None:
    """Refuse, before any work, an output path that cannot be written (InputError); make
    the folders it needs."""
    import os

    if path is None or str(path) == "-":
        return
    if path.is_dir() and not folder:
        raise InputError(f"{path}: is a folder; give a file name for {what}")
    if path.exists() and not path.is_dir() and folder:
        raise InputError(f"{path}: is a file; {what} needs a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{path}: cannot be written (no permission) for {what}")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{path}: cannot be created ({parent} is not a writable folder)")
    if not folder:  # a folder output is made by the command once it has something to write
        path.parent.mkdir(parents=True, exist_ok=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backstretch {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """backstretch: a coach for the standing Back Stretch."""


def _progress(console: Console) -> Progress:
    """A progress bar whose counts and time always fit: a long file name is cut short."""
    name = Column(max_width=max(20, console.width - 40), no_wrap=True, overflow="ellipsis")
    return Progress(
        TextColumn("[bold]{task.description}", table_column=name),
        BarColumn(bar_width=None if console.width >= 120 else 20),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def summary_table(r: Report) -> Table:
    table = Table(title=f"Back Stretch: {escape(Path(r.video.source).name)}", show_lines=False)
    for col in ("rep", "start", "in position", "held well", "completed", "faults"):
        table.add_column(col)
    for rep in r.reps:
        faults = ", ".join(f"{f.code} @{f.start_s:.1f}s" for f in rep.faults) or "-"
        table.add_row(
            str(rep.index),
            f"{rep.start_s:.1f} s",
            f"{rep.position_s:.1f} s",
            f"{rep.hold_s:.1f} s",
            "yes" if rep.completed else "no",
            faults,
        )
    s = r.summary
    yaw = f" ({r.camera_yaw_deg:.0f} deg)" if r.camera_yaw_deg is not None else ""
    table.caption = (
        f"score {s.score}/100 | {s.rep_count} repetition{'' if s.rep_count == 1 else 's'}, "
        f"{s.completed_count} completed, "
        f"{s.total_hold_s:.1f} s held | camera view: {r.camera_view}{yaw}\n{s.note}"
    )
    return table


def _print_report(r: Report, console: Console) -> None:
    console.print(summary_table(r))
    if r.checks_skipped:
        console.print("[bold]Checks skipped:[/bold]")
        for c in r.checks_skipped:
            console.print(f"  - {c.check}: {escape(c.reason)}")
    for w in r.warnings:
        console.print(f"[yellow]! {escape(w)}[/yellow]")
    if r.reps and r.hold_timing:
        console.print(r.hold_timing, style="dim")


@app.command()
def analyze(
    video: Annotated[
        Path | None,
        typer.Argument(
            help="A video file, or recorded landmarks (.jsonl, .jsonl.gz, Keraal .json)."
        ),
    ] = None,
    sample: Annotated[
        bool,
        typer.Option("--sample", help="Analyse the built-in sample video (a rendered person)."),
    ] = False,
    json_out: Annotated[
        str | None, typer.Option("--json", help="Write the JSON report here ('-' for stdout).")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report here.")] = None,
    annotate: Annotated[
        Path | None, typer.Option("--annotate", help="Write an annotated video (.mp4) here.")
    ] = None,
    landmarks: Annotated[
        Path | None, typer.Option("--save-landmarks", help="Record the landmarks (.jsonl[.gz]).")
    ] = None,
    stride: StrideOpt = None,
    every_frame: EveryFrameOpt = False,
    save: Annotated[
        bool,
        typer.Option("--save", help="Store the session in your history (judged by your target)."),
    ] = False,
    with_landmarks: Annotated[
        bool, typer.Option("--with-landmarks", help="With --save: keep the poses in the store.")
    ] = False,
    db: DbOpt = None,
    exercise: ExerciseOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also show the pose model's own log lines.")
    ] = False,
) -> None:
    """Analyse a recording of the Back Stretch: reps, holds, faults, score."""
    import os

    from backstretch.pipeline import analyze_source, open_source

    if verbose:
        from backstretch.pose.video import NATIVE_LOGS_ENV

        os.environ[NATIVE_LOGS_ENV] = "1"  # read by the video and pose modules
    if video is None and not sample:
        raise InputError("give a VIDEO to analyse, or --sample for the built-in one")
    if video is not None and sample:
        raise InputError("give either a VIDEO or --sample, not both")
    if with_landmarks and not save:
        raise InputError("--with-landmarks keeps the poses of a saved session: add --save")
    if sample and save:
        raise InputError(
            "--save keeps your own sessions; the built-in sample is not one (it would change "
            "your targets without any stretching)"
        )
    check_output(Path(json_out) if json_out else None, "--json")
    check_output(html, "--html")
    check_output(annotate, "--annotate")
    check_output(landmarks, "--save-landmarks")
    ex = load_exercise(exercise)
    store = None
    if save:  # open the store first: a bad database should not cost a whole analysis
        from backstretch.store import Store
        from backstretch.store.progress import plan, with_hold_target

        store = Store(db)
        ex = with_hold_target(ex, plan(store.sessions(exercise=ex.id), ex).hold_target_s)
    to_stdout = json_out == "-"
    out = Console(stderr=to_stdout, quiet=quiet)
    source = open_source(video, stride=_stride(stride, every_frame))
    label = "the built-in sample" if video is None else Path(video).name
    tmp = None
    if with_landmarks and landmarks is None:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="backstretch-")) / "poses.jsonl.gz"
    with _progress(out) as bar:
        task = bar.add_task(f"Analysing {escape(label)}", total=source.total or None)
        analysis = analyze_source(
            source,
            ex,
            progress=lambda done, total: bar.update(task, completed=done),
            save_landmarks=landmarks or tmp,
        )
    report = analysis.report
    if json_out is not None:
        from backstretch.report.json_report import write_json

        write_json(report, json_out)
    if html is not None:
        from backstretch.report.html import write_html

        write_html(analysis, ex, html)
        out.print(f"HTML report: {escape(str(html))}")
    if annotate is not None:
        from backstretch.report.annotate import write_annotated

        with _progress(out) as bar:
            task = bar.add_task("Drawing annotated video", total=len(analysis.series))
            write_annotated(
                analysis, ex, annotate, source.video, source.stride,
                progress=lambda done, total: bar.update(task, completed=done),
            )  # fmt: skip
        out.print(f"Annotated video: {escape(str(annotate))}")
    # the files first: a write that fails should not leave a stored session to retry twice
    if store is not None:
        sid = store.save_report(report, ex.targets.hold_s)
        if with_landmarks:
            kept = landmarks or tmp
            assert kept is not None
            store.save_landmarks(sid, kept.read_bytes())
        if tmp is not None:
            tmp.unlink(missing_ok=True)
            tmp.parent.rmdir()
        out.print(
            f"Saved as session {sid} in {escape(store.where)} "
            f"(hold target {ex.targets.hold_s:.0f} s)"
        )
        store.close()
    if landmarks is not None:
        out.print(f"Landmarks: {escape(str(landmarks))}")
    _print_report(report, out)


@app.command()
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH", help="Videos, folders (searched recursively) or glob patterns."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the reports.")],
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local worker processes (default: one per core).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Analyse again videos whose report is there.")
    ] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run on a Ray cluster: its address, 'auto', or 'local' (needs "
            "pip install 'backstretch[ray]').",
        ),
    ] = None,
    stride: StrideOpt = None,
    every_frame: EveryFrameOpt = False,
    save: Annotated[
        bool, typer.Option("--save", help="Store each session in your history, as analyze does.")
    ] = False,
    db: DbOpt = None,
    exercise: ExerciseOpt = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars and no summary line.")
    ] = False,
) -> None:
    """Analyse many videos: one JSON report each and OUT/summary.csv; resumable."""
    from backstretch.batch import Item, find_inputs, run_batch

    check_output(out, "--out", folder=True)
    find_inputs(inputs, skip=out)  # a path that is not there fails here, before any bar
    if ray is not None:
        try:
            import ray as _ray  # noqa: F401
        except ImportError:
            raise InputError("--ray needs Ray: pip install 'backstretch[ray]'") from None
    store = None
    if save:
        from backstretch.store import Store
        from backstretch.store.progress import plan

        store = Store(db)
        ex = load_exercise(exercise)
        target = plan(store.sessions(exercise=ex.id), ex).hold_target_s
    console = Console(stderr=True, quiet=quiet)
    with _progress(console) as bar:
        videos = bar.add_task("Videos", total=None)
        frames = bar.add_task("Frames of the current videos", total=None, visible=False)
        seen: dict[str, tuple[int, int]] = {}

        def on_frames(path: str, done: int, total: int) -> None:
            seen[path] = (done, total)
            bar.update(frames, visible=True, completed=sum(d for d, _ in seen.values()),
                       total=sum(t for _, t in seen.values()) or None)  # fmt: skip

        def on_done(item: Item, finished: int, total: int) -> None:
            bar.update(videos, completed=finished, total=total)
            seen.pop(str(item.path), None)

        def store_report(item: Item, text: str) -> None:
            from backstretch.analysis.model import Report

            assert store is not None
            store.save_report(Report.model_validate_json(text), target)

        result = run_batch(
            inputs, out, exercise_path=exercise, workers=workers, force=force,
            stride=_stride(stride, every_frame),
            ray_address=ray, on_done=on_done, on_frames=on_frames,
            store_report=store_report if store is not None else None,
        )  # fmt: skip
    if store is not None:
        store.close()
    counts = {k: sum(i.status == k for i in result.items)
              for k in ("done", "kept", "failed", "interrupted")}  # fmt: skip
    if result.interrupted:
        err.print(
            f"Stopped: {counts['done']} analysed now, {counts['kept']} already there, "
            f"{counts['failed']} failed, {counts['interrupted']} not analysed. Every report "
            "written is whole; run the same command again to go on. Summary: "
            f"{escape(str(result.summary_csv))}",
            highlight=False,
        )
        raise typer.Exit(130)
    Console(quiet=quiet).print(
        f"{len(result.items)} videos: {counts['done']} analysed, {counts['kept']} already "
        f"there (--force to redo), {counts['failed']} failed. Summary: "
        f"{escape(str(result.summary_csv))}"
    )
    if result.failed:
        for item in result.failed:
            err.print(f"[red]failed:[/red] {escape(item.error)}", highlight=False)
        raise typer.Exit(2)


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


@app.command()
def show(exercise: ExerciseOpt = None) -> None:
    """Show the exercise card: steps, targets, tips and safety."""
    ex: Exercise = load_exercise(exercise)
    c = Console()
    steps = "\n".join(f"{i}. [bold]{s.title}[/bold]: {s.cue}" for i, s in enumerate(ex.steps, 1))
    t = ex.targets
    targets = (
        f"Hold {t.hold_s:.0f}-{t.hold_max_s:.0f} s in good form, {t.reps_min}-{t.reps_max} "
        f"repetitions, breathing about {t.breath_in_s:.0f} s in and {t.breath_out_s:.0f} s out."
    )
    tips = "\n".join(f"- {v}" for v in ex.tips.values())
    c.print(Panel(ex.summary, title=ex.name))
    c.print(Panel(f"{ex.warm_up}\n\n{steps}", title="How"))
    c.print(Panel(targets, title="Targets"))
    c.print(Panel(tips, title="Tips"))
    c.print(Panel(ex.safety, title="Safety", border_style="red"))
    c.print(Panel(ex.camera_advice, title="Camera"))


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this computer only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the page in a browser.")
    ] = False,
    max_upload_mb: Annotated[
        float, typer.Option(min=1, help="Largest video the upload tab accepts (MB).")
    ] = 200.0,
    db: DbOpt = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Keep no sessions (nothing is written).")
    ] = False,
    exercise: ExerciseOpt = None,
    pose: Annotated[
        PoseWhere,
        typer.Option(
            help="Where the camera pictures are posed: in the browser (they never "
            "leave it; many people at once) or on this server (one at a time)."
        ),
    ] = PoseWhere.browser,
    max_clients: Annotated[
        int, typer.Option(min=1, max=1000, help="People coached at once (--pose browser).")
    ] = 50,
) -> None:
    """Start the live coach: a local web page that coaches you through your camera."""
    import threading
    import webbrowser

    import uvicorn

    from backstretch.store import Store
    from backstretch.web import create_app
    from backstretch.web.security import LOOPBACK_HOSTS, new_token

    ex = load_exercise(exercise)
    _probe_listen(host, port)
    loopback = host in LOOPBACK_HOSTS
    token = None if loopback else new_token()
    store = None if no_store else Store(db)
    shown = "127.0.0.1" if host == "0.0.0.0" else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}/"
    web = create_app(
        ex, max_upload_mb=max_upload_mb, store=store,
        hosts=LOOPBACK_HOSTS if loopback else None, token=token,
        pose=pose.value, max_clients=max_clients,
    )  # fmt: skip
    c = Console(highlight=False)
    open_url = url if token is None else f"{url}?token={token}"
    c.print(f"Live coach at [bold]{escape(open_url)}[/bold]  (Ctrl+C to stop)")
    if pose is PoseWhere.browser:
        c.print(f"Pose runs in each browser: camera pictures stay there (up to {max_clients} "
                "people at once).")  # fmt: skip
    else:
        c.print("Pose runs on this server: the page sends camera pictures here (one person "
                "at a time; they are used in memory, never stored).")  # fmt: skip
    if token is not None:
        c.print(
            f"[yellow]! Listening on {escape(host)}, beyond this computer: anyone on your "
            "network who has the address above (with its token) can use the coach and see "
            "your history. Browsers allow the camera only on https:// or on this computer "
            "itself, so other devices can upload videos but not coach live.[/yellow]"
        )
    if store is not None:
        c.print(f"Sessions are kept in {escape(store.where)}; progress at {escape(url)}history")
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(open_url,)).start()
    # landmarks and answers are small and travel a local network: compressing them
    # (permessage-deflate) took more than a tenth of a busy server's time
    uvicorn.run(web, host=host, port=port, log_level="warning", ws_max_size=8 * 1024 * 1024,
                ws_per_message_deflate=False)  # fmt: skip


def _probe_listen(host: str, port: int) -> None:
    """Fail early, with the right advice, when ``host:port`` cannot be listened on."""
    import errno
    import socket

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise InputError(f"--host {host}: not an address of this computer ({e.strerror})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise InputError(f"port {port} is in use on {host}; pick another --port") from None
            raise InputError(
                f"cannot listen on {host}:{port} ({e.strerror}); check --host"
            ) from None


@app.command()
def guide(
    reps: Annotated[
        int | None, typer.Option(min=1, max=10, help="Repetitions (default: the most asked for).")
    ] = None,
    hold: Annotated[
        float | None,
        typer.Option(min=5, max=120, help="Hold seconds (default: your current target)."),
    ] = None,
    voice: Annotated[
        bool, typer.Option("--voice/--no-voice", help="Speak the cues (needs espeak-ng).")
    ] = True,
    db: DbOpt = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not record the session.")
    ] = False,
    time_scale: Annotated[float, typer.Option(hidden=True, min=0.1)] = 1.0,
    exercise: ExerciseOpt = None,
) -> None:
    """Guided practice without a camera: timed steps, cues and a breathing pace."""
    from backstretch.store import Store
    from backstretch.tui import guided_session

    ex = load_exercise(exercise)
    store = None if no_store else Store(db)
    try:
        guided_session(ex, store, reps, hold, voice=voice, time_scale=time_scale)
    finally:
        if store is not None:
            store.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning our errors into messages and exit codes."""
    try:
        code = app(args=argv, prog_name="backstretch", standalone_mode=False)
        if isinstance(code, int) and code:  # a command's typer.Exit(code), returned by click
            return code
    except typer.Exit as e:
        return int(e.exit_code or 0)
    except InputError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        return 2
    except BackstretchError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        return 1
    except OSError as e:  # a file that could not be read or written: the message names it
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as e:  # the parser's usage errors (they can show themselves), then the rest
        show = getattr(e, "show", None)
        if callable(show) and isinstance(getattr(e, "exit_code", None), int):
            show()
            return 2
        err.print(f"[red]internal error:[/red] {type(e).__name__}: {escape(str(e))}")
        err.print("Please report this with the command you ran.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
