"""What every command shares: the Typer app, the common options, output checks, progress."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column

from backstretch import __version__
from backstretch.errors import InputError

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
