"""Render the gathered report into one self-contained HTML file (Jinja2, autoescaped)."""

from __future__ import annotations

import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.formatting import readable_number
from pipelines.periods import month_label
from pipelines.report import svg
from pipelines.report.gather import ReportData

TEMPLATES = Path(__file__).parent / "templates"


def _percent(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0%}"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=readable_number, percent=_percent, month=month_label, sparkline=svg.sparkline
    )
    env.globals["bars"] = svg.bars
    return env


def render(data: ReportData) -> str:
    return environment().get_template("report.html.j2").render(report=data)


def write_report(data: ReportData, out: Path) -> Path:
    """Write scorecard-<period>.html into `out` (created if missing); its path. A folder that
    cannot be written is the user's mistake: ValueError naming it (exit 2)."""
    html = render(data)
    path = out / f"scorecard-{data.label}.html"
    try:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot write the report into {out}: {error.strerror}") from None
    return path
