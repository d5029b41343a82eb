"""Command line: argument parsing and printing only.

Exit codes: 0 done, 2 bad input (the message names the file and the problem), 1 internal
error. Each module registers its commands on the one Typer app (``common.app``):
``analyze`` (analyze, batch), ``sessions`` (history, export, remind), ``coach`` (show,
serve, guide).
"""

from __future__ import annotations

import typer
from rich.markup import escape

from backstretch.cli import analyze, coach, sessions  # noqa: F401  (they register the commands)
from backstretch.cli.common import app, err
from backstretch.errors import BackstretchError, InputError

__all__ = ["app", "main"]


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
