"""Routes of the JSON API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from service.api.days import parse_day
from service.api.models import BoutOut, Day, Health, PromptOut, Timeline, Wearer
from service.auth.http import CurrentViewer, ReadableWearer, access_store
from service.bouts import summarize_day

router = APIRouter()

DayPath = Annotated[str, Path(description="YYYY-MM-DD, today or yesterday (wearer's zone).")]


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


@router.get("/healthz", response_model=Health, tags=["ops"])
async def healthz(request: Request) -> Health:
    """Liveness and readiness: MQTT connected, ingest keeping up."""
    rt = _runtime(request)
    connected = rt.mqtt is not None and rt.mqtt.connected.is_set()
    queued = rt.ingest.lane.qsize() if rt.ingest else 0
    problems = [] if connected else ["not connected to the MQTT broker"]
    if rt.ingest and queued > rt.ingest.lane.maxsize * 0.9:
        problems.append("ingest queue over 90% full")
    return Health(
        status="ok" if not problems else "degraded",
        mqtt_connected=connected,
        queued=queued,
        problems=problems,
    )


@router.get("/metrics", response_class=PlainTextResponse, tags=["ops"])
async def metrics(request: Request) -> str:
    """Counters in Prometheus text format."""
    rt = _runtime(request)
    text: str = rt.metrics.prometheus()
    if rt.timeseries is not None:
        stats = rt.timeseries.stats()
        for name in ("written", "pending", "retries", "rejected", "dropped"):
            kind = "gauge" if name == "pending" else "counter"
            metric = f"sitless_timeseries_{name}" + ("" if kind == "gauge" else "_total")
            text += f"# TYPE {metric} {kind}\n{metric} {getattr(stats, name)}\n"
    return text


@router.get("/api/v1/wearers", response_model=list[Wearer], tags=["wearers"])
async def wearers(request: Request, who: CurrentViewer) -> list[Wearer]:
    """The wearers you may see: your own, those shared with you (all, for an admin)."""
    rt = _runtime(request)
    rows = await asyncio.to_thread(access_store(request).visible, who.user)
    return [
        Wearer(
            id=v.wearer.id,
            created=v.wearer.created,
            timezone=v.wearer.timezone or rt.settings.timezone,
            access=v.role,
            owner=v.owner,
        )
        for v in rows
    ]


@router.get("/api/v1/wearers/{wearer}/days/{day}", response_model=Day, tags=["days"])
async def day_summary(request: Request, seen: ReadableWearer, day: DayPath) -> Day:
    """Sitting minutes, longest bout, breaks, sitting per hour and prompts of one day."""
    rt = _runtime(request)
    wearer = seen.wearer
    tz, the_day, start, end = await _day(rt, wearer, day)
    bouts = await asyncio.to_thread(rt.store.bouts_between, wearer, start, end)
    prompts = await asyncio.to_thread(rt.store.prompts_between, wearer, start, end)
    s = summarize_day(bouts, the_day, tz)
    out = [_prompt(p) for p in prompts]
    return Day(
        wearer=wearer,
        day=the_day,
        timezone=str(tz),
        covered_min=s.covered_min,
        sitting_min=s.sitting_min,
        sedentary_min=s.sedentary_min,
        minutes=dict(s.minutes),
        longest_sitting_min=s.longest_sitting_min,
        longest_sitting_start=s.longest_sitting_start,
        breaks=s.breaks,
        sitting_by_hour=list(s.sitting_by_hour),
        prompts=out,
        prompts_answered=sum(p.answered for p in out),
    )


@router.get(
    "/api/v1/wearers/{wearer}/days/{day}/bouts", response_model=list[BoutOut], tags=["days"]
)
async def day_bouts(request: Request, seen: ReadableWearer, day: DayPath) -> list[BoutOut]:
    """The bouts that overlap the day, oldest first."""
    rt = _runtime(request)
    _, _, start, end = await _day(rt, seen.wearer, day)
    bouts = await asyncio.to_thread(rt.store.bouts_between, seen.wearer, start, end)
    return [
        BoutOut(
            posture=b.posture,
            start=b.start,
            end=b.end,
            minutes=round((b.end - b.start).total_seconds() / 60, 2),
        )
        for b in sorted(bouts, key=lambda b: b.start)
    ]


@router.get("/api/v1/wearers/{wearer}/days/{day}/timeline", response_model=Timeline, tags=["days"])
async def day_timeline(request: Request, seen: ReadableWearer, day: DayPath) -> Timeline:
    """The posture of each local minute of the day."""
    rt = _runtime(request)
    wearer = seen.wearer
    tz, the_day, start, end = await _day(rt, wearer, day)
    bouts = await asyncio.to_thread(rt.store.bouts_between, wearer, start, end)
    s = summarize_day(bouts, the_day, tz)
    return Timeline(wearer=wearer, day=the_day, timezone=str(tz), minutes=list(s.timeline))


@router.get("/api/v1/wearers/{wearer}/live", tags=["wearers"])
async def live(request: Request, seen: ReadableWearer) -> StreamingResponse:
    """Server-sent events: posture changes, prompts and answers as they happen."""
    rt = _runtime(request)
    wearer = seen.wearer

    async def stream() -> AsyncIterator[str]:
        async with rt.live.subscribe() as queue:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                try:
                    update = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if update.get("wearer") == wearer:
                    yield f"event: {update['type']}\ndata: {json.dumps(update)}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")


async def _day(rt: Any, wearer: str, day: str) -> tuple[ZoneInfo, date, datetime, datetime]:
    known = {w.id: w for w in await asyncio.to_thread(rt.store.wearers)}
    if wearer not in known:
        raise HTTPException(404, f"no wearer {wearer!r}; GET /api/v1/wearers lists them")
    tz = ZoneInfo(known[wearer].timezone or rt.settings.timezone)
    the_day = parse_day(day, tz)
    start = datetime.combine(the_day, time(0), tz)
    end = datetime.combine(the_day + timedelta(days=1), time(0), tz)
    return tz, the_day, start, end


def _prompt(p: Any) -> PromptOut:
    answered = p.outcome is not None and p.outcome != "ignored"
    return PromptOut(
        id=p.id,
        rule=p.rule,
        routine=p.routine,
        repeat=p.repeat,
        at=p.at,
        answered=answered,
        outcome=p.outcome,
        answered_at=p.answered_at,
        response_s=(p.answered_at - p.at).total_seconds() if answered and p.answered_at else None,
    )
