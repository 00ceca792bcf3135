"""Routes for answering prompts and shaping them: acks, focus, time zone, web push,
adherence and the routine program.

Acks and focus go through the ingest's slow lane, in order with what MQTT delivers, so an
answer from the API, a web-push button or the wearer's device is handled the same way.
"""

from __future__ import annotations

import asyncio
import functools
import statistics
import time as clock
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from service.auth.http import ReadableWearer, WritableWearer
from service.program import ProgramGoal, summarize_program
from sitless.wire import Ack, Focus

router = APIRouter()

API_DEVICE = "api"


class AckIn(BaseModel):
    """An answer to a prompt."""

    prompt_id: str = Field(max_length=255)
    action: Literal["done", "snooze", "dismiss", "cant_stand"]
    snooze_min: Annotated[int, Field(ge=1, le=24 * 60)] | None = Field(
        None, description="With snooze: ask again after this many minutes (default 10)."
    )
    snooze_until: Literal["tomorrow"] | None = Field(
        None, description="With snooze: nothing from this rule until the next local day."
    )


class FocusIn(BaseModel):
    """Start (or end) a focus period."""

    mode: Literal["defer", "suppress", "off"] = Field(
        description="defer: hold prompts until it ends; suppress: drop them; off: end it."
    )
    minutes: Annotated[float, Field(gt=0, le=24 * 60)] | None = Field(
        None, description="How long from now (or give until)."
    )
    until: AwareDatetime | None = Field(None, description="When it ends.")
    reason: str = Field("focus", max_length=32, description="focus, transport, ...")


class FocusOut(BaseModel):
    mode: str
    until: datetime | None
    reason: str
    active: bool


class TimezoneIn(BaseModel):
    timezone: str = Field(description="IANA zone, e.g. Europe/Oslo.")


class SessionIn(BaseModel):
    """A routine done without a prompt (or before answering one)."""

    routine: str = Field(max_length=128)
    at: AwareDatetime | None = Field(None, description="When; default now.")
    key: str | None = Field(
        None, max_length=200, description="Client's id for this session (sent twice, counted once)."
    )


class PushKeys(BaseModel):
    p256dh: str = Field(max_length=255, description="The browser's P-256 key, base64url.")
    auth: str = Field(max_length=255, description="The browser's auth secret, base64url.")


class PushSubscriptionIn(BaseModel):
    """What the browser's ``PushManager.subscribe()`` returned (``toJSON()``)."""

    endpoint: str = Field(max_length=2048, pattern=r"^https?://")
    keys: PushKeys


class PromptRecord(BaseModel):
    """A prompt and what became of it."""

    id: str
    rule: str
    routine: str
    repeat: int
    at: datetime
    outcome: str | None = Field(
        description="movement, done, snooze, dismiss, cant_stand, ignored; null while open."
    )
    answered: bool
    answered_at: datetime | None
    response_s: float | None = Field(description="Seconds from prompt to answer.")


class AdherenceDay(BaseModel):
    day: date
    prompts: int
    answered: int
    outcomes: dict[str, int]
    median_response_s: float | None


class Adherence(BaseModel):
    """How prompts worked out, per local day and overall."""

    wearer: str
    timezone: str
    days: list[AdherenceDay]
    prompts: int
    answered: int
    answer_rate: float | None
    outcomes: dict[str, int]
    median_response_s: float | None


class ProgramDayOut(BaseModel):
    day: date
    sessions: int
    met: bool


class ProgramOut(BaseModel):
    """The routine program: a few times a day for 2-3 months (seed articles)."""

    wearer: str
    started: date | None
    today: date
    sessions_today: int
    sessions_per_day: int
    streak_days: int
    best_streak_days: int
    week: int
    weeks_done: int
    weeks: int
    complete: bool
    days: list[ProgramDayOut]


class PushKey(BaseModel):
    public_key: str | None = Field(
        description="applicationServerKey for PushManager.subscribe(); null when web push is off."
    )


def _rt(request: Request) -> Any:
    return request.app.state.runtime


def _ingest(request: Request) -> Any:
    ingest = _rt(request).ingest
    if ingest is None:
        raise HTTPException(503, "the service is starting")
    return ingest


async def _zone(rt: Any, wearer: str) -> ZoneInfo:
    if rt.ingest is not None:
        state = rt.ingest.contexts.get(wearer)
        if state is not None and state.context.tz is not None and state.loaded:
            tz: ZoneInfo = state.context.tz
            return tz
    known = {w.id: w for w in await asyncio.to_thread(rt.store.wearers)}
    name = known[wearer].timezone if wearer in known else None
    return ZoneInfo(name or rt.settings.timezone)


@router.post("/api/v1/wearers/{wearer}/acks", status_code=202, tags=["prompts"])
async def acknowledge(request: Request, seen: WritableWearer, body: AckIn) -> dict[str, str]:
    """Answer a prompt: done, snooze (N minutes or until tomorrow), dismiss, can't stand."""
    rt = _rt(request)
    stored = await asyncio.to_thread(rt.store.prompt, body.prompt_id)
    if stored is None or stored.wearer != seen.wearer:
        raise HTTPException(404, f"no prompt {body.prompt_id!r} of wearer {seen.wearer!r}")
    ack = Ack(
        wearer=seen.wearer,
        device=API_DEVICE,
        seq=clock.time_ns() // 1000,
        prompt_id=body.prompt_id,
        action=body.action,
        snooze_min=body.snooze_min,
        snooze_until=body.snooze_until,
        at=datetime.now(UTC),
    )
    await _ingest(request).acknowledge(ack)
    return {"prompt_id": body.prompt_id, "action": body.action}


@router.put("/api/v1/wearers/{wearer}/focus", response_model=FocusOut, tags=["prompts"])
async def set_focus(request: Request, seen: WritableWearer, body: FocusIn) -> FocusOut:
    """Start a focus period (prompts held or dropped) or end it with mode off."""
    ingest = _ingest(request)
    now = datetime.now(UTC)
    until = body.until
    if until is None and body.minutes is not None:
        # From the wearer's data time, like everything the rules decide.
        until = ingest.data_time(seen.wearer, now) + timedelta(minutes=body.minutes)
    if body.mode != "off" and until is None:
        raise HTTPException(422, "give minutes or until, unless mode is off")
    message = Focus(
        wearer=seen.wearer,
        device=API_DEVICE,
        mode=body.mode,
        until=until,
        reason=body.reason,
        at=now,
    )
    await ingest.in_lane(functools.partial(ingest.focus, message))
    return FocusOut(mode=body.mode, until=until, reason=body.reason, active=body.mode != "off")


@router.get("/api/v1/wearers/{wearer}/focus", response_model=FocusOut, tags=["prompts"])
async def get_focus(request: Request, seen: ReadableWearer) -> FocusOut:
    """The wearer's latest focus period."""
    stored = await asyncio.to_thread(_rt(request).store.focus, seen.wearer)
    if stored is None:
        return FocusOut(mode="off", until=None, reason="focus", active=False)
    active = stored.mode != "off" and stored.until is not None and stored.until > datetime.now(UTC)
    return FocusOut(mode=stored.mode, until=stored.until, reason=stored.reason, active=active)


@router.put("/api/v1/wearers/{wearer}/timezone", tags=["wearers"])
async def set_timezone(request: Request, seen: WritableWearer, body: TimezoneIn) -> dict[str, str]:
    """The wearer's own time zone: work hours, quiet hours and days follow it."""
    try:
        ZoneInfo(body.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(422, f"unknown time zone {body.timezone!r}") from None
    rt = _rt(request)
    await asyncio.to_thread(rt.store.ensure_wearer, seen.wearer, timezone=body.timezone)
    if rt.ingest is not None:
        rt.ingest.contexts.set_timezone(seen.wearer, body.timezone)
    return {"wearer": seen.wearer, "timezone": body.timezone}


@router.get("/api/v1/wearers/{wearer}/prompts", response_model=list[PromptRecord], tags=["prompts"])
async def prompts(
    request: Request,
    seen: ReadableWearer,
    days: Annotated[int, Query(ge=1, le=366, description="Local days back, today included.")] = 7,
) -> list[PromptRecord]:
    """Prompts of the last ``days`` local days with outcome and response time."""
    rt = _rt(request)
    tz = await _zone(rt, seen.wearer)
    start, end = _span(tz, days)
    rows = await asyncio.to_thread(rt.store.prompts_between, seen.wearer, start, end)
    return [_record(p) for p in rows]


@router.get("/api/v1/wearers/{wearer}/adherence", response_model=Adherence, tags=["prompts"])
async def adherence(
    request: Request,
    seen: ReadableWearer,
    days: Annotated[int, Query(ge=1, le=366, description="Local days back, today included.")] = 14,
) -> Adherence:
    """Per local day: prompts, how many were answered (by moving or acknowledging), outcomes
    and median response time."""
    rt = _rt(request)
    tz = await _zone(rt, seen.wearer)
    start, end = _span(tz, days)
    rows = [
        _record(p)
        for p in await asyncio.to_thread(rt.store.prompts_between, seen.wearer, start, end)
    ]
    by_day: dict[date, list[PromptRecord]] = {}
    for r in rows:
        by_day.setdefault(r.at.astimezone(tz).date(), []).append(r)
    first = start.astimezone(tz).date()
    out_days = [_adherence_day(first + timedelta(days=i), by_day) for i in range(days)]
    answered = sum(r.answered for r in rows)
    return Adherence(
        wearer=seen.wearer,
        timezone=str(tz),
        days=out_days,
        prompts=len(rows),
        answered=answered,
        answer_rate=round(answered / len(rows), 3) if rows else None,
        outcomes=dict(Counter(r.outcome or "open" for r in rows)),
        median_response_s=_median(rows),
    )


@router.get("/api/v1/wearers/{wearer}/program", response_model=ProgramOut, tags=["program"])
async def program(request: Request, seen: ReadableWearer) -> ProgramOut:
    """Sessions per day, streaks and weeks done in the routine program."""
    rt = _rt(request)
    tz = await _zone(rt, seen.wearer)
    goal_settings = rt.settings.program
    goal = ProgramGoal(
        goal_settings.sessions_per_day, goal_settings.weeks, goal_settings.days_per_week
    )
    started_at = await asyncio.to_thread(rt.store.first_session, seen.wearer)
    now = datetime.now(UTC)
    since = started_at or now - timedelta(days=14)
    sessions = await asyncio.to_thread(
        rt.store.sessions_between, seen.wearer, since, now + timedelta(seconds=1)
    )
    s = summarize_program(
        [x.at for x in sessions],
        tz,
        now.astimezone(tz).date(),
        goal,
        started=started_at.astimezone(tz).date() if started_at else None,
    )
    return ProgramOut(
        wearer=seen.wearer,
        started=s.started,
        today=s.today,
        sessions_today=s.sessions_today,
        sessions_per_day=goal.sessions_per_day,
        streak_days=s.streak_days,
        best_streak_days=s.best_streak_days,
        week=s.week,
        weeks_done=s.weeks_done,
        weeks=goal.weeks,
        complete=s.complete,
        days=[ProgramDayOut(day=d.day, sessions=d.sessions, met=d.met) for d in s.days],
    )


@router.post("/api/v1/wearers/{wearer}/sessions", status_code=201, tags=["program"])
async def log_session(request: Request, seen: WritableWearer, body: SessionIn) -> dict[str, Any]:
    """Count a routine done towards the program (once per ``key``)."""
    rt = _rt(request)
    if body.routine not in rt.rules.routines:
        raise HTTPException(422, f"no routine {body.routine!r}")
    at = body.at or datetime.now(UTC)
    key = body.key or f"self/{at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}"
    new = await _ingest(request).record_session(seen.wearer, key, at, body.routine, "self")
    return {"wearer": seen.wearer, "routine": body.routine, "at": at.isoformat(), "new": new}


@router.get("/api/v1/webpush/key", response_model=PushKey, tags=["webpush"])
async def push_key(request: Request) -> PushKey:
    """The VAPID public key browsers subscribe with (null when web push is off)."""
    keys = _rt(request).vapid
    return PushKey(public_key=None if keys is None else keys.public_key)


@router.post("/api/v1/wearers/{wearer}/webpush", status_code=201, tags=["webpush"])
async def subscribe(
    request: Request, seen: WritableWearer, body: PushSubscriptionIn
) -> dict[str, str]:
    """Send this wearer's prompts to a browser (its PushSubscription)."""
    rt = _rt(request)
    if rt.vapid is None:
        raise HTTPException(404, "web push is off: set [service.notify.webpush] enabled = true")
    await asyncio.to_thread(
        rt.store.add_push_subscription, seen.wearer, body.endpoint, body.keys.p256dh, body.keys.auth
    )
    return {"wearer": seen.wearer, "endpoint": body.endpoint}


@router.delete("/api/v1/wearers/{wearer}/webpush", tags=["webpush"])
async def unsubscribe(
    request: Request,
    seen: WritableWearer,
    endpoint: Annotated[str, Query(max_length=2048)],
) -> dict[str, bool]:
    """Stop sending prompts to that browser."""
    removed = await asyncio.to_thread(_rt(request).store.remove_push_subscription, endpoint)
    return {"removed": removed}


def _span(tz: ZoneInfo, days: int) -> tuple[datetime, datetime]:
    today = datetime.now(tz).date()
    start = datetime.combine(today - timedelta(days=days - 1), time(), tz)
    end = datetime.combine(today + timedelta(days=1), time(), tz)
    return start, end


def _record(p: Any) -> PromptRecord:
    answered = p.outcome is not None and p.outcome != "ignored"
    response = None
    if answered and p.answered_at is not None:
        response = round((p.answered_at - p.at).total_seconds(), 1)
    return PromptRecord(
        id=p.id,
        rule=p.rule,
        routine=p.routine,
        repeat=p.repeat,
        at=p.at,
        outcome=str(p.outcome) if p.outcome is not None else None,
        answered=answered,
        answered_at=p.answered_at,
        response_s=response,
    )


def _median(rows: list[PromptRecord]) -> float | None:
    times = [r.response_s for r in rows if r.response_s is not None]
    return round(statistics.median(times), 1) if times else None


def _adherence_day(day: date, by_day: dict[date, list[PromptRecord]]) -> AdherenceDay:
    rows = by_day.get(day, [])
    return AdherenceDay(
        day=day,
        prompts=len(rows),
        answered=sum(r.answered for r in rows),
        outcomes=dict(Counter(r.outcome or "open" for r in rows)),
        median_response_s=_median(rows),
    )
