"""What the engine needs to know about a wearer beyond one posture event.

A ``Context`` holds the stateful facts behind cooldowns, daily limits, snoozes, focus,
meetings and daily totals: which prompts went out lately, what the wearer answered,
when they asked for quiet. The engine only reads it. ``service.context`` keeps one per
wearer in memory, updates it as prompts, acks, focus messages and calendars arrive, and
rebuilds it from the store after a restart; tests build one by hand.

Times are timezone-aware UTC; ``tz`` is the wearer's own zone (None: the service's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sitless.wire.posture import Posture

SENT_MEMORY = timedelta(days=2)
"""How far back prompts are remembered: enough for a local day in any zone plus cooldowns."""


class FocusMode(StrEnum):
    """What a focus period does to prompts that fall due in it."""

    DEFER = "defer"
    """Hold them and give them when focus ends, if they still apply."""
    SUPPRESS = "suppress"
    """Drop them: the bout they were about does not prompt again."""


@dataclass(frozen=True, slots=True)
class Focus:
    """A period in which the wearer does not want to be interrupted."""

    mode: FocusMode
    until: datetime
    reason: str = "focus"
    """``focus``, ``transport`` (always suppresses), or any word the sender chose."""


@dataclass(frozen=True, slots=True)
class Snooze:
    """No prompt of one rule before ``until``; the snoozed bout is prompted again then."""

    until: datetime
    bout_start: datetime | None = None
    """The bout of the prompt that was snoozed (None: a snooze not tied to a prompt)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """A prompt that went out."""

    rule: str
    bout_start: datetime
    repeat: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Meeting:
    """A busy stretch from the wearer's calendar."""

    start: datetime
    end: datetime


@dataclass(slots=True)
class DayTotals:
    """Seconds per posture in one local day of the wearer."""

    day: date
    start: datetime
    """Local midnight starting the day, as UTC."""
    end: datetime
    """Local midnight ending the day, as UTC."""
    seconds: dict[Posture, float] = field(default_factory=dict)

    @classmethod
    def of(cls, at: datetime, tz: ZoneInfo) -> DayTotals:
        """Empty totals for the local day (in ``tz``) holding ``at``."""
        day = at.astimezone(tz).date()
        return cls(day=day, start=local_midnight(day, tz), end=local_midnight(day, tz, 1))

    def minutes(self, postures: Iterable[Posture]) -> float:
        """Minutes of the day spent in any of ``postures``."""
        return sum(self.seconds.get(p, 0.0) for p in postures) / 60


def local_midnight(day: date, tz: ZoneInfo, days_later: int = 0) -> datetime:
    """Midnight starting ``day`` (plus ``days_later``) in ``tz``, as an aware UTC time."""
    return datetime.combine(day + timedelta(days=days_later), time(), tzinfo=tz).astimezone(UTC)


@dataclass(slots=True)
class Context:
    """Per-wearer state the engine reads; see the module docstring."""

    tz: ZoneInfo | None = None
    snoozes: dict[str, Snooze] = field(default_factory=dict)
    """Per rule."""
    closed: dict[str, datetime] = field(default_factory=dict)
    """Per rule, the bout whose prompt was done, dismissed or suppressed: no more repeats."""
    focus: Focus | None = None
    meetings: tuple[Meeting, ...] = ()
    """Sorted by start."""
    sent: list[Sent] = field(default_factory=list)
    """Prompts of the last ``SENT_MEMORY``, oldest first."""
    totals: DayTotals | None = None

    def note_sent(self, sent: Sent) -> None:
        """Remember a prompt that went out (and forget ones too old to matter)."""
        self.sent.append(sent)
        horizon = sent.at - SENT_MEMORY
        if self.sent[0].at < horizon:
            self.sent = [s for s in self.sent if s.at >= horizon]

    def of_bout(self, rule: str, bout_start: datetime) -> Sent | None:
        """The latest prompt of ``rule`` about the bout that began at ``bout_start``."""
        found = None
        for s in self.sent:
            if (
                s.rule == rule
                and s.bout_start == bout_start
                and (found is None or s.repeat > found.repeat)
            ):
                found = s
        return found

    def last_of(self, rule: str) -> Sent | None:
        """The latest prompt of ``rule``."""
        for s in reversed(self.sent):
            if s.rule == rule:
                return s
        return None

    def count_between(self, rule: str, start: datetime, end: datetime) -> int:
        """How many prompts of ``rule`` went out in ``[start, end)``."""
        return sum(1 for s in self.sent if s.rule == rule and start <= s.at < end)

    def meeting_at(self, now: datetime) -> Meeting | None:
        """The meeting going on at ``now`` that ends last, if any."""
        found = None
        for m in self.meetings:
            if m.start > now:
                break
            if now < m.end and (found is None or m.end > found.end):
                found = m
        return found

    def count(self, start: datetime, epoch_s: float, postures: Sequence[Posture]) -> None:
        """Add epochs to the day totals (those outside the current day are left out)."""
        totals = self.totals
        if totals is None:
            return
        seconds = totals.seconds
        end = start + timedelta(seconds=epoch_s * len(postures))
        if totals.start <= start and end <= totals.end:
            for posture in postures:
                seconds[posture] = seconds.get(posture, 0.0) + epoch_s
            return
        step = timedelta(seconds=epoch_s)
        for i, posture in enumerate(postures):
            if totals.start <= start + i * step < totals.end:
                seconds[posture] = seconds.get(posture, 0.0) + epoch_s
