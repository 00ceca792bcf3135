"""The weekly report a clinician or coach reads: one printable HTML page, PDF if possible.

In: a week's ``DayTotals`` and its long sits (``service.trends``), the wearer and zone.
Out: a self-contained HTML page (inline CSS and SVG, nothing fetched) laid out for A4,
and, where a converter is installed, the same page as PDF: headless Chromium (or Chrome)
``--print-to-pdf``, else ``wkhtmltopdf``. A browser's own "Print to PDF" gives the same
result from the HTML, so the service serves HTML and the CLI writes PDF.
"""

from __future__ import annotations

import html
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from service.bouts import Span
from service.trends import DayTotals
from sitless.errors import SitlessError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_S = 90.0


class ExportError(SitlessError):
    """An export could not be made (no PDF converter, or it failed)."""

    reason = "export_failed"


def week_of(day: date) -> list[date]:
    """Monday to Sunday of the ISO week that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=k) for k in range(7)]


def _hm(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole // 60} h {whole % 60:02d} min" if whole >= 60 else f"{whole} min"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _clock(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True, slots=True)
class WeekReport:
    """What the report says, before it is laid out."""

    wearer: str
    tz: ZoneInfo
    days: Sequence[DayTotals]
    long_sits: Sequence[Span]
    generated: datetime

    @property
    def data_days(self) -> list[DayTotals]:
        """Days with any posture data."""
        return [d for d in self.days if d.covered_min > 0]

    @property
    def avg_sitting_min(self) -> float:
        """Mean sitting minutes over days with data (0 with none)."""
        days = self.data_days
        return sum(d.sitting_min for d in days) / len(days) if days else 0.0


def render_html(report: WeekReport) -> str:
    """The report as one self-contained HTML page."""
    days = report.days
    prompts = sum(d.prompts for d in days)
    answered = sum(d.prompts_answered for d in days)
    longest = max(report.long_sits, key=lambda b: b.end - b.start, default=None)
    longest_day = max(days, key=lambda d: d.longest_sitting_min, default=None)
    if longest is not None:
        longest_min = (longest.end - longest.start).total_seconds() / 60
        when = f"{longest.start.astimezone(report.tz):%a %d %b, %H:%M}"
    elif longest_day is not None and longest_day.longest_sitting_min > 0:
        longest_min, when = longest_day.longest_sitting_min, f"{longest_day.day:%a %d %b}"
    else:
        longest_min, when = 0.0, "no sitting recorded"
    values = {
        "wearer": html.escape(report.wearer),
        "period": f"{days[0].day:%a %d %b} to {days[-1].day:%a %d %b %Y}",
        "timezone": html.escape(report.tz.key),
        "generated": f"{report.generated.astimezone(report.tz):%Y-%m-%d %H:%M}",
        "avg_sitting": _hm(report.avg_sitting_min),
        "data_days": str(len(report.data_days)),
        "longest": _hm(longest_min),
        "longest_when": when,
        "long_sits": str(sum(d.long_sits for d in days)),
        "breaks": str(sum(d.breaks for d in days)),
        "adherence": f"{answered / prompts:.0%}" if prompts else "no prompts",
        "answered": str(answered),
        "prompts": str(prompts),
        "routines_done": _count(sum(d.routines_done for d in days), "routine") + " done",
        "chart": _chart(days),
        "rows": _rows(days),
        "sits": _sits(report.long_sits, report.tz),
    }
    template = Template((files("service.export") / "report.html").read_text(encoding="utf-8"))
    return template.substitute(values)


def _rows(days: Sequence[DayTotals]) -> str:
    lines = []
    for d in days:
        label = f"{d.day:%a %d %b}"
        if d.covered_min <= 0:
            lines.append(
                f'    <tr><td>{label}</td><td class="nodata" colspan="8">no data</td></tr>'
            )
            continue
        cells = [
            label,
            _clock(d.covered_min),
            _clock(d.sitting_min),
            f"{round(d.longest_sitting_min)} min",
            str(d.long_sits),
            str(d.breaks),
            str(d.prompts),
            str(d.prompts_answered),
            str(d.routines_done),
        ]
        lines.append("    <tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    data = [d for d in days if d.covered_min > 0]
    total = [
        "Week",
        _clock(sum(d.covered_min for d in data)),
        _clock(sum(d.sitting_min for d in data)),
        f"{round(max((d.longest_sitting_min for d in data), default=0.0))} min",
        str(sum(d.long_sits for d in data)),
        str(sum(d.breaks for d in data)),
        str(sum(d.prompts for d in data)),
        str(sum(d.prompts_answered for d in data)),
        str(sum(d.routines_done for d in data)),
    ]
    lines.append('    <tr class="total">' + "".join(f"<td>{c}</td>" for c in total) + "</tr>")
    return "\n".join(lines)


def _sits(sits: Sequence[Span], tz: ZoneInfo, top: int = 8) -> str:
    ranked = sorted(sits, key=lambda b: b.end - b.start, reverse=True)[:top]
    if not ranked:
        return '    <tr><td colspan="4">No sitting bout of 30 minutes or more.</td></tr>'
    lines = []
    for b in sorted(ranked, key=lambda b: b.start):
        lo, hi = b.start.astimezone(tz), b.end.astimezone(tz)
        minutes = round((b.end - b.start).total_seconds() / 60)
        lines.append(
            f"    <tr><td>{lo:%a %d %b}</td><td>{lo:%H:%M}</td><td>{hi:%H:%M}</td>"
            f"<td>{minutes}</td></tr>"
        )
    return "\n".join(lines)


def _chart(days: Sequence[DayTotals]) -> str:
    """Sitting hours per day as an inline SVG bar chart (prints crisply, no script)."""
    width, height, left, bottom, top = 700, 150, 34, 26, 14
    hours = [d.sitting_min / 60 for d in days]
    ceiling = max(8, math.ceil(max(hours, default=0)))
    plot_h = height - bottom - top
    slot = (width - left) / len(days)
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Sitting hours per day">']
    for h in range(0, ceiling + 1, 2):
        y = top + plot_h - h / ceiling * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e3dc"/>'
            f'<text x="{left - 6}" y="{y + 3:.1f}" text-anchor="end">{h} h</text>'
        )
    for k, (d, value) in enumerate(zip(days, hours, strict=True)):
        x = left + k * slot + slot * 0.2
        bar_h = value / ceiling * plot_h
        y = top + plot_h - bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{bar_h:.1f}"'
            f' rx="3" fill="#d9482b" data-day="{d.day}" data-minutes="{d.sitting_min:.1f}"/>'
        )
        if d.covered_min > 0:
            parts.append(
                f'<text x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" text-anchor="middle"'
                f' style="fill:#1f2328;font-weight:600">{_hm(d.sitting_min)}</text>'
            )
        parts.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 12}" text-anchor="middle">'
            f"{d.day:%a %d}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def pdf_converter() -> list[str] | None:
    """The command that turns an HTML file into PDF here, or None if none is installed."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return [path]
    path = shutil.which("wkhtmltopdf")
    return [path] if path else None


def html_to_pdf(page: str, converter: list[str] | None = None) -> bytes:
    """Print ``page`` to PDF (A4) with the installed converter; ``ExportError`` if none."""
    command = converter or pdf_converter()
    if command is None:
        raise ExportError(
            "no PDF converter installed: install chromium (or wkhtmltopdf), or open the HTML"
            " report and print it to PDF from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="sitless-report-") as tmp:
        source, target = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        source.write_text(page, encoding="utf-8")
        if Path(command[0]).name == "wkhtmltopdf":
            args = [*command, "--quiet", "--page-size", "A4", str(source), str(target)]
        else:
            args = [
                *command,
                "--headless",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={Path(tmp) / 'profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ]
            if os.geteuid() == 0:
                # Chromium refuses to run as root inside its sandbox; the page is our own.
                args.insert(1, "--no-sandbox")
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExportError(f"{command[0]} could not print the report: {exc}") from exc
        if not target.is_file() or target.stat().st_size == 0:
            tail = "\n".join(done.stderr.splitlines()[-5:])
            raise ExportError(
                f"{command[0]} made no PDF (exit {done.returncode}): {tail}", value=command[0]
            )
        return target.read_bytes()
