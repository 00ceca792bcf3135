"""Day-by-day totals for week and month trends and the weekly report.

In: bouts, prompts and routine sessions of a span of local days (from the SQL store), the
wearer's zone. Out: one ``DayTotals`` per day (sitting, longest sit, long sits, breaks,
prompts and how they were answered, routines done). Pure: no clock, no I/O. Upstream
``service.bouts`` decides how bouts are clipped and counted, so these totals always equal
the day view's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from service.bouts import Span, _normalize, summarize_day
from sitless.wire.posture import Posture

LONG_SIT_MIN = 30.0
"""A sitting bout this long or longer counts as a long sit (the dashboard highlights it)."""


class PromptLike(Protocol):
    """What the totals need of a stored prompt."""

    @property
    def at(self) -> datetime: ...
    @property
    def outcome(self) -> str | None: ...


class SessionLike(Protocol):
    """What the totals need of a routine session (an answered prompt or one logged)."""

    @property
    def at(self) -> datetime: ...


def answered(outcome: str | None) -> bool:
    """Whether a prompt with this outcome was answered (moved or acknowledged in time)."""
    return outcome is not None and outcome != "ignored"


@dataclass(frozen=True, slots=True)
class DayTotals:
    """What one local day adds up to."""

    day: date
    covered_min: float
    sitting_min: float
    longest_sitting_min: float
    long_sits: int
    breaks: int
    prompts: int
    prompts_answered: int
    routines_done: int
    """Routine sessions: prompts done, and routines the wearer logged."""

    @property
    def adherence(self) -> float | None:
        """Share of prompts answered; None without prompts."""
        return self.prompts_answered / self.prompts if self.prompts else None


def days_ending(end: date, count: int) -> list[date]:
    """``count`` consecutive days ending on ``end``, oldest first."""
    return [end - timedelta(days=k) for k in range(count - 1, -1, -1)]


def long_sits(bouts: Iterable[Span], minimum_min: float = LONG_SIT_MIN) -> list[Span]:
    """Sitting bouts of at least ``minimum_min`` minutes, overlaps resolved, oldest first."""
    return [
        b
        for b in _normalize(bouts)
        if b.posture is Posture.SITTING and (b.end - b.start).total_seconds() >= minimum_min * 60
    ]


def daily_totals(
    bouts: Sequence[Span],
    prompts: Sequence[PromptLike],
    days: Sequence[date],
    tz: ZoneInfo,
    sessions: Sequence[SessionLike] = (),
) -> list[DayTotals]:
    """Totals for each of ``days`` (local to ``tz``) from the data around them.

    Routines done are the wearer's sessions (the store records one when a prompt is
    acknowledged as done, or when the wearer logs a routine), so the trends count what the
    program counts.
    """
    sits = long_sits(bouts)
    out = []
    for day in days:
        summary = summarize_day(bouts, day, tz)
        mine = [p for p in prompts if p.at.astimezone(tz).date() == day]
        out.append(
            DayTotals(
                day=day,
                covered_min=summary.covered_min,
                sitting_min=summary.sitting_min,
                longest_sitting_min=summary.longest_sitting_min,
                long_sits=sum(1 for b in sits if b.start.astimezone(tz).date() == day),
                breaks=summary.breaks,
                prompts=len(mine),
                prompts_answered=sum(answered(p.outcome) for p in mine),
                routines_done=sum(1 for r in sessions if r.at.astimezone(tz).date() == day),
            )
        )
    return out
