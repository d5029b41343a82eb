"""The JSON report (see :mod:`backstretch.analysis.model` for its fields)."""

from __future__ import annotations

import sys
from pathlib import Path

from backstretch.analysis.model import Report


def report_json(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


def write_json(report: Report, path: str | Path) -> None:
    """Write the report to ``path``; ``-`` writes to standard output."""
    text = report_json(report)
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
