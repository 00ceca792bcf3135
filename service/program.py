"""The program the seed articles prescribe, tracked: a few times a day, for 2-3 months.

"Stick with this routine a few times a day for the next 2-3 months" (seed 002). A
*session* is a routine the wearer did: a prompt answered ``done`` (the seated
alternative included) or one they logged themselves. Standing up after a prompt
answers it, but is not counted as a session: getting up is not doing the routine.

In: session times and the wearer's zone. Out: sessions per local day, the current and
best streak of days that met the daily target, weeks done (weeks with at least
``days_per_week`` such days) out of the program's length. Pure: ``service.api`` reads
the sessions from the store and calls ``summarize_program``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class ProgramGoal:
    """What counts as keeping up (settings ``[service.program]``)."""

    sessions_per_day: int = 3
    """"A few times a day"."""
    weeks: int = 10
    """Program length: the articles say two to three months."""
    days_per_week: int = 5
    """Days a week that must meet ``sessions_per_day`` for the week to count as done."""


@dataclass(frozen=True, slots=True)
class ProgramDay:
    day: date
    sessions: int
    met: bool


@dataclass(frozen=True, slots=True)
class ProgramSummary:
    """Where the wearer stands in the program."""

    started: date | None
    """The local day of the first session (None: not started)."""
    today: date
    sessions_today: int
    goal: ProgramGoal
    streak_days: int
    """Days in a row that met the daily target, up to today (or yesterday, while today
    has not met it yet)."""
    best_streak_days: int
    week: int
    """The program week today falls in, 1-based (0 before the start)."""
    weeks_done: int
    complete: bool
    """``weeks_done`` reached the program length."""
    days: tuple[ProgramDay, ...]
    """Every day from the start (or the last 14 days before it) to today."""


def summarize_program(
    sessions: Iterable[datetime],
    tz: ZoneInfo,
    today: date,
    goal: ProgramGoal = ProgramGoal(),
    started: date | None = None,
) -> ProgramSummary:
    """Sum ``sessions`` (aware times) up per local day in ``tz`` and judge them.

    Args:
        sessions: when each session happened, any order.
        tz: the wearer's zone.
        today: the local day to judge up to (the caller's clock).
        goal: the daily target, program length and days per week.
        started: the program's first day; default: the day of the first session.
    """
    per_day = Counter(t.astimezone(tz).date() for t in sessions)
    per_day = Counter({d: n for d, n in per_day.items() if d <= today})
    if started is None and per_day:
        started = min(per_day)
    first = started if started is not None else today - timedelta(days=13)
    first = min(first, today)
    days = []
    d = first
    while d <= today:
        n = per_day.get(d, 0)
        days.append(ProgramDay(d, n, n >= goal.sessions_per_day))
        d += timedelta(days=1)

    streak = 0
    for entry in reversed(days):
        if entry.met:
            streak += 1
        elif entry.day != today:
            break
    best = run = 0
    for entry in days:
        run = run + 1 if entry.met else 0
        best = max(best, run)

    weeks_done = week = 0
    if started is not None:
        week = (today - started).days // 7 + 1
        for w in range(week):
            chunk = days[w * 7 : (w + 1) * 7]
            if sum(e.met for e in chunk) >= goal.days_per_week:
                weeks_done += 1
    return ProgramSummary(
        started=started,
        today=today,
        sessions_today=per_day.get(today, 0),
        goal=goal,
        streak_days=streak,
        best_streak_days=best,
        week=week,
        weeks_done=weeks_done,
        complete=weeks_done >= goal.weeks,
        days=tuple(days),
    )
