"""``backstretch analyze`` and ``backstretch batch``: recordings in, reports out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from backstretch.analysis.model import Report
from backstretch.cli.common import (
    DbOpt,
    EveryFrameOpt,
    ExerciseOpt,
    StrideOpt,
    _progress,
    _stride,
    app,
    check_output,
    err,
)
from backstretch.errors import InputError
from backstretch.exercise import load_exercise


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
