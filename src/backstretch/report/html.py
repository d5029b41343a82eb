"""A self-contained HTML report: summary, repetitions, faults, plots (embedded PNG)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from backstretch import __version__
from backstretch.analysis.engine import Analysis
from backstretch.exercise.schema import Exercise
from backstretch.report.plots import measures_png, png_data_uri

_env = Environment(
    loader=PackageLoader("backstretch.report", "templates"),
    autoescape=select_autoescape(["html"]),
)


def render_html(a: Analysis, ex: Exercise) -> str:
    template = _env.get_template("report.html")
    return template.render(
        r=a.report,
        ex=ex,
        plot=png_data_uri(measures_png(a, ex)),
        version=__version__,
    )


def write_html(a: Analysis, ex: Exercise, path: str | Path) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_html(a, ex), encoding="utf-8")
