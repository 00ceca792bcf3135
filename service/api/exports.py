"""Routes over many days: trends, exports (CSV, Parquet, activPAL events), weekly report."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from service.api.days import parse_day
from service.api.models import Trend, TrendDay
from service.auth.http import ReadableWearer
from service.export.activpal import events_csv
from service.export.report import WeekReport, render_html, week_of
from service.export.tables import TableName, table_rows, to_csv, to_parquet
from service.trends import daily_totals, days_ending, long_sits

router = APIRouter()

MAX_TREND_DAYS = 92
MAX_EXPORT_DAYS = 366
MAX_EPOCH_DAYS = 31  # 1-s epochs: 2.7 million rows a month

DayQuery = Annotated[
    str, Query(description="YYYY-MM-DD, today or yesterday (wearer's zone).", max_length=10)
]


class ExportName(StrEnum):
    """What to export."""

    EPOCHS = "epochs"
    BOUTS = "bouts"
    PROMPTS = "prompts"
    ACTIVPAL = "activpal"


class ExportFormat(StrEnum):
    """File format of an export."""

    CSV = "csv"
    PARQUET = "parquet"


async def _zone(rt: Any, wearer: str) -> ZoneInfo:
    known = {w.id: w for w in await asyncio.to_thread(rt.store.wearers)}
    row = known.get(wearer)
    return ZoneInfo((row.timezone if row else None) or rt.settings.timezone)


def _bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight before ``first`` to local midnight after ``last``, in UTC."""
    start = datetime.combine(first, time(0), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


async def _load(
    rt: Any, wearer: str, start: datetime, end: datetime
) -> tuple[list[Any], list[Any], list[Any]]:
    bouts = await asyncio.to_thread(rt.store.bouts_between, wearer, start, end)
    prompts = await asyncio.to_thread(rt.store.prompts_between, wearer, start, end)
    sessions = await asyncio.to_thread(rt.store.sessions_between, wearer, start, end)
    return bouts, prompts, sessions


@router.get("/api/v1/wearers/{wearer}/trend", response_model=Trend, tags=["days"])
async def trend(
    request: Request,
    seen: ReadableWearer,
    end: DayQuery = "today",
    days: Annotated[int, Query(ge=1, le=MAX_TREND_DAYS, description="How many days.")] = 7,
) -> Trend:
    """Sitting, longest sit, long sits, breaks and prompt adherence per day, oldest first."""
    rt: Any = request.app.state.runtime
    tz = await _zone(rt, seen.wearer)
    last = parse_day(end, tz, "end")
    span = days_ending(last, days)
    start, stop = _bounds(span[0], span[-1], tz)
    bouts, prompts, sessions = await _load(rt, seen.wearer, start, stop)
    totals = daily_totals(bouts, prompts, span, tz, sessions)
    with_data = [t for t in totals if t.covered_min > 0]
    prompted = sum(t.prompts for t in totals)
    return Trend(
        wearer=seen.wearer,
        timezone=tz.key,
        start=span[0],
        end=span[-1],
        days=[
            TrendDay(
                day=t.day,
                covered_min=t.covered_min,
                sitting_min=t.sitting_min,
                longest_sitting_min=t.longest_sitting_min,
                long_sits=t.long_sits,
                breaks=t.breaks,
                prompts=t.prompts,
                prompts_answered=t.prompts_answered,
                routines_done=t.routines_done,
                adherence=t.adherence,
            )
            for t in totals
        ],
        sitting_min_per_day=(
            sum(t.sitting_min for t in with_data) / len(with_data) if with_data else 0.0
        ),
        adherence=sum(t.prompts_answered for t in totals) / prompted if prompted else None,
    )


@router.get("/api/v1/wearers/{wearer}/export/{what}", tags=["exports"])
async def export(
    request: Request,
    seen: ReadableWearer,
    what: ExportName,
    start: DayQuery = "today",
    end: DayQuery = "today",
    format: Annotated[ExportFormat, Query(description="csv or parquet (activpal: csv).")] = (
        ExportFormat.CSV
    ),
) -> Response:
    """Epochs (1 s, derived from bouts), bouts, prompts or activPAL-style events.

    ``start`` and ``end`` are local days, both included.
    """
    rt: Any = request.app.state.runtime
    tz = await _zone(rt, seen.wearer)
    first, last = parse_day(start, tz, "start"), parse_day(end, tz, "end")
    if last < first:
        raise HTTPException(422, f"end {last} is before start {first}")
    limit = MAX_EPOCH_DAYS if what is ExportName.EPOCHS else MAX_EXPORT_DAYS
    if (last - first).days + 1 > limit:
        raise HTTPException(422, f"export at most {limit} days of {what} at once")
    if what is ExportName.ACTIVPAL and format is not ExportFormat.CSV:
        raise HTTPException(422, "the activPAL events export is CSV only")
    lo, hi = _bounds(first, last, tz)
    bouts, prompts, _ = await _load(rt, seen.wearer, lo, hi)
    name = f"sitless-{seen.wearer}-{what}-{first}_{last}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if what is ExportName.ACTIVPAL:
        text = await asyncio.to_thread(events_csv, bouts, lo, hi, tz)
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
    table = table_rows(
        TableName(what.value), seen.wearer, bouts=bouts, prompts=prompts, start=lo, end=hi
    )
    if format is ExportFormat.PARQUET:
        data = await asyncio.to_thread(to_parquet, table)
        return Response(data, media_type="application/vnd.apache.parquet", headers=headers)
    return StreamingResponse(to_csv(table), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/api/v1/wearers/{wearer}/reports/week", response_class=HTMLResponse, tags=["exports"])
async def weekly_report(request: Request, seen: ReadableWearer, day: DayQuery = "today") -> str:
    """A printable weekly report (Monday to Sunday of the week holding ``day``)."""
    rt: Any = request.app.state.runtime
    tz = await _zone(rt, seen.wearer)
    week = week_of(parse_day(day, tz, "day"))
    start, stop = _bounds(week[0], week[-1], tz)
    bouts, prompts, sessions = await _load(rt, seen.wearer, start, stop)
    report = WeekReport(
        wearer=seen.wearer,
        tz=tz,
        days=daily_totals(bouts, prompts, week, tz, sessions),
        long_sits=[b for b in long_sits(bouts) if start <= b.start < stop],
        generated=datetime.now(UTC),
    )
    return render_html(report)
