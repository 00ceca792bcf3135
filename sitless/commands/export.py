"""``sitless export``: a wearer's data as files, and the weekly report."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from sitless.commands.database import ConfigOption, fail, opened

if TYPE_CHECKING:
    from service.store.sql import SqlStore

app = typer.Typer(
    help="Export epochs, bouts, prompts (CSV or Parquet), activPAL-style events, and the"
    " printable weekly report (HTML or PDF).",
    no_args_is_help=True,
)
err = Console(stderr=True)


class What(StrEnum):
    """What to export."""

    epochs = "epochs"
    bouts = "bouts"
    prompts = "prompts"
    activpal = "activpal"


class Format(StrEnum):
    """File format."""

    csv = "csv"
    parquet = "parquet"


def _day(text: str | None, tz: ZoneInfo, default: date) -> date:
    if text is None or text == "today":
        return default if text is None else datetime.now(tz).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not a day like 2026-03-02") from None


def _span(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time(0), tz).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC),
    )


def _zone(store: SqlStore, wearer: str, default: str) -> ZoneInfo:
    rows = {w.id: w for w in store.wearers()}
    if wearer not in rows:
        raise fail(f"no wearer {wearer!r}")
    return ZoneInfo(rows[wearer].timezone or default)


@app.command()
def data(
    wearer: Annotated[str, typer.Argument(help="Wearer id.")],
    what: Annotated[What, typer.Argument(help="epochs, bouts, prompts or activpal.")],
    start: Annotated[
        str | None, typer.Option(help="First local day (default: 6 days ago).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last local day (default: today).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="csv or parquet.")] = Format.csv,
    out: Annotated[Path | None, typer.Option(help="Write here (default: standard output).")] = None,
    config: ConfigOption = None,
) -> None:
    """Export one wearer's epochs (1 s, from bouts), bouts, prompts or activPAL events."""
    from service.export.activpal import events_csv
    from service.export.tables import table_rows, to_csv, to_parquet

    if what is What.activpal and fmt is not Format.csv:
        raise fail("the activPAL events export is CSV only")
    if fmt is Format.parquet and out is None:
        raise fail("Parquet is binary: give --out FILE")
    with opened(config) as (settings, store):
        tz = _zone(store, wearer, settings.timezone)
        today = datetime.now(tz).date()
        last = _day(end, tz, today)
        first = _day(start, tz, last - timedelta(days=6))
        if last < first:
            raise fail(f"end {last} is before start {first}")
        lo, hi = _span(first, last, tz)
        bouts = store.bouts_between(wearer, lo, hi)
        prompts = store.prompts_between(wearer, lo, hi)
    if what is What.activpal:
        chunks = iter([events_csv(bouts, lo, hi, tz)])
    else:
        table = table_rows(what.value, wearer, bouts=bouts, prompts=prompts, start=lo, end=hi)
        if fmt is Format.parquet:
            assert out is not None
            out.write_bytes(to_parquet(table))
            err.print(f"wrote {out}")
            return
        chunks = to_csv(table)
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with out.open("w", encoding="utf-8", newline="") as sink:
        for chunk in chunks:
            sink.write(chunk)
    err.print(f"wrote {out} ({what.value} {first} to {last})")


@app.command()
def report(
    wearer: Annotated[str, typer.Argument(help="Wearer id.")],
    day: Annotated[
        str | None, typer.Option(help="Any day of the week to report (default: this week).")
    ] = None,
    out: Annotated[Path, typer.Option(help="HTML or PDF file to write.")] = Path("report.html"),
    pdf: Annotated[
        bool | None, typer.Option(help="Write PDF (default: when --out ends in .pdf).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """The printable weekly report for a clinician or coach (Monday to Sunday)."""
    from service.export.report import ExportError, WeekReport, html_to_pdf, render_html, week_of
    from service.trends import daily_totals, long_sits

    as_pdf = pdf if pdf is not None else out.suffix.lower() == ".pdf"
    with opened(config) as (settings, store):
        tz = _zone(store, wearer, settings.timezone)
        week = week_of(_day(day, tz, datetime.now(tz).date()))
        lo, hi = _span(week[0], week[-1], tz)
        bouts = store.bouts_between(wearer, lo, hi)
        prompts = store.prompts_between(wearer, lo, hi)
        sessions = store.sessions_between(wearer, lo, hi)
    page = render_html(
        WeekReport(
            wearer=wearer,
            tz=tz,
            days=daily_totals(bouts, prompts, week, tz, sessions),
            long_sits=[b for b in long_sits(bouts) if lo <= b.start < hi],
            generated=datetime.now(UTC),
        )
    )
    if as_pdf:
        try:
            out.write_bytes(html_to_pdf(page))
        except ExportError as exc:
            raise fail(str(exc)) from None
    else:
        out.write_text(page, encoding="utf-8")
    err.print(f"wrote {out} (week of {week[0]})")
