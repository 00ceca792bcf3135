"""Bouts from posture events, and where a local day's sitting went.

A posture event says when the current bout began (``since``) and what came before it
(``prior``), so the bout that just closed and the one still open can be read off each
event without remembering anything a restart would lose. ``BoutTracker`` only remembers
which closed bouts it already handed out, so a re-delivered event does not close the
same bout twice (the store deduplicates on (wearer, start) as well).

``summarize_day`` clips bouts to one local calendar day (23, 24 or 25 hours long) and
totals them for the dashboard.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

from sitless.wire import PostureEvent
from sitless.wire.posture import SEDENTARY, UPRIGHT, Posture

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class BoutSpan:
    """A run of one posture from ``start`` to ``end`` (timezone-aware).

    The wire's ``Bout`` only knows where a bout began; this record also knows where it
    ended (or, for the open bout, the end of the data so far). The SQL store returns it.
    """

    posture: Posture
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("bout start and end must be timezone-aware")
        if self.end < self.start:
            raise ValueError(f"bout ends ({self.end}) before it starts ({self.start})")

    @property
    def duration_s(self) -> float:
        """Length of the bout in seconds."""
        return (self.end - self.start).total_seconds()


class Span(Protocol):
    """Anything with a posture, a start and an end: ``BoutSpan``, the store's rows."""

    @property
    def posture(self) -> Posture: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class BoutChange:
    """What one posture event tells about a wearer's bouts."""

    closed: tuple[BoutSpan, ...]
    """Bouts that ended and were not handed out before (at most one per event)."""
    current: BoutSpan
    """The bout still going on, from ``since`` to the end of the event's last epoch."""


def closed_bout(event: PostureEvent) -> BoutSpan | None:
    """The bout before the current one, ended at ``since``; None if unknown or empty."""
    prior = event.prior
    if prior is None or prior.start >= event.since:
        return None
    return BoutSpan(prior.posture, prior.start, event.since)


def open_bout(event: PostureEvent) -> BoutSpan:
    """The current bout: the last epoch's posture, from ``since`` to the event's end."""
    return BoutSpan(event.posture, event.since, event.end)


class BoutTracker:
    """Per wearer, hands out each closed bout once and reports the open one.

    Every event of a bout carries the same ``prior``, and QoS 1 may deliver an event
    twice, so the tracker remembers the starts of the last ``remember`` bouts it closed
    per wearer, for at most ``max_wearers`` wearers (least recently seen forgotten first).
    After a restart that memory is empty and the first event of each wearer hands its
    ``prior`` out again; the store's uniqueness on (wearer, start) absorbs that.
    """

    def __init__(self, remember: int = 16, max_wearers: int = 100_000) -> None:
        if remember < 1 or max_wearers < 1:
            raise ValueError("remember and max_wearers must be at least 1")
        self._remember = remember
        self._max_wearers = max_wearers
        self._emitted: OrderedDict[str, deque[datetime]] = OrderedDict()

    def update(self, event: PostureEvent) -> BoutChange:
        """Closed bouts new to this tracker, and the current bout, for ``event.wearer``."""
        current = open_bout(event)
        bout = closed_bout(event)
        if bout is None:
            return BoutChange((), current)
        seen = self._emitted.get(event.wearer)
        if seen is None:
            seen = deque(maxlen=self._remember)
            self._emitted[event.wearer] = seen
            if len(self._emitted) > self._max_wearers:
                self._emitted.popitem(last=False)
        else:
            self._emitted.move_to_end(event.wearer)
        if bout.start in seen:
            return BoutChange((), current)
        seen.append(bout.start)
        return BoutChange((bout,), current)

    def forget(self, wearer: str) -> None:
        """Drop what the tracker remembers about ``wearer``."""
        self._emitted.pop(wearer, None)


@dataclass(frozen=True, slots=True)
class DaySummary:
    """Where one local day's time went, from the bouts that overlap it.

    Minutes are real elapsed minutes. ``sitting_by_hour`` and ``timeline`` are indexed by
    local clock time: on the day clocks go back, the repeated hour's two passes land in
    the same slot (so that hour can hold up to 120 sitting minutes); on the day they go
    forward, the skipped hour stays at 0 and None.
    """

    day: date
    timezone: str
    start: datetime
    """Local midnight starting the day, in UTC."""
    end: datetime
    """Local midnight ending the day, in UTC."""
    length_min: float
    """Length of the day: 1440, or 1380 / 1500 on daylight-saving days."""
    covered_min: float
    """Minutes of the day with posture data (bouts of any posture, nonwear included)."""
    minutes: Mapping[Posture, float]
    """Minutes per posture; every posture is present; they add up to ``covered_min``."""
    sitting_min: float
    sedentary_min: float
    """Sitting plus lying."""
    longest_sitting_min: float
    """The longest sitting bout's minutes within the day (0 when there is none)."""
    longest_sitting_start: datetime | None
    """Where that bout's part within the day starts (UTC)."""
    breaks: int
    """Transitions from a sedentary bout to an upright one that happened on this day."""
    sitting_by_hour: tuple[float, ...]
    """Sitting minutes per local clock hour, 24 values."""
    timeline: tuple[Posture | None, ...]
    """The dominant posture of each local clock minute (1440), None where no data."""


def summarize_day(bouts: Iterable[Span], day: date, tz: ZoneInfo) -> DaySummary:
    """Summarise the local day ``day`` in ``tz`` from ``bouts``.

    Bouts may arrive in any order, overlap or repeat (a stored closed bout plus an
    older snapshot of it as the open bout): where they overlap, the one that started
    first (and, for equal starts, the longer one) counts. Bouts outside the day only
    matter for breaks: a stand-up just after midnight from a bout of sitting that began
    the evening before is a break of this day.

    Args:
        bouts: closed bouts and, if wanted, the current open bout (timezone-aware).
        day: the local calendar day.
        tz: the wearer's timezone.
    """
    day_start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    sequence = _normalize(bouts)
    clipped = [
        BoutSpan(b.posture, max(b.start, day_start), min(b.end, day_end))
        for b in sequence
        if b.end > day_start and b.start < day_end
    ]
    seconds = dict.fromkeys(Posture, 0.0)
    for piece in clipped:
        seconds[piece.posture] += piece.duration_s

    longest: BoutSpan | None = None
    for piece in clipped:
        if piece.posture is Posture.SITTING and (
            longest is None or piece.duration_s > longest.duration_s
        ):
            longest = piece

    by_hour, timeline = _by_clock(clipped, day, tz, day_start)
    minutes = {p: s / 60 for p, s in seconds.items()}
    return DaySummary(
        day=day,
        timezone=tz.key,
        start=day_start,
        end=day_end,
        length_min=(day_end - day_start).total_seconds() / 60,
        covered_min=sum(seconds.values()) / 60,
        minutes=MappingProxyType(minutes),
        sitting_min=minutes[Posture.SITTING],
        sedentary_min=sum(minutes[p] for p in SEDENTARY),
        longest_sitting_min=longest.duration_s / 60 if longest else 0.0,
        longest_sitting_start=longest.start if longest else None,
        breaks=_breaks(sequence, day_start, day_end),
        sitting_by_hour=by_hour,
        timeline=timeline,
    )


def _normalize(bouts: Iterable[Span]) -> list[BoutSpan]:
    """Sorted, non-overlapping, non-empty bouts; touching bouts of one posture merged."""
    spans = [BoutSpan(Posture(b.posture), b.start, b.end) for b in bouts]
    out: list[BoutSpan] = []
    for bout in sorted(spans, key=lambda b: (b.start, -b.end.timestamp())):
        start = bout.start
        if out and start < out[-1].end:
            start = out[-1].end
        if start >= bout.end:
            continue
        if out and out[-1].posture is bout.posture and out[-1].end == start:
            out[-1] = BoutSpan(bout.posture, out[-1].start, bout.end)
        else:
            out.append(BoutSpan(bout.posture, start, bout.end))
    return out


def _breaks(sequence: list[BoutSpan], day_start: datetime, day_end: datetime) -> int:
    """Sedentary → upright transitions whose upright bout starts within the day.

    ``unknown`` bouts are the classifier hesitating, not a posture, so they are looked
    through: sitting, unknown, standing is one break. Any other posture in between
    (nonwear, cycling) means the stand-up was not from sitting or lying.
    """
    count = 0
    previous: Posture | None = None
    for bout in sequence:
        if bout.posture is Posture.UNKNOWN:
            continue
        if previous in SEDENTARY and bout.posture in UPRIGHT and day_start <= bout.start < day_end:
            count += 1
        previous = bout.posture
    return count


@lru_cache(maxsize=256)
def _clock_minutes(day: date, tz: ZoneInfo) -> tuple[int, ...]:
    """For each real minute of the local day, its local clock minute (0..1439)."""
    start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    count = math.ceil((end - start).total_seconds() / 60)
    out = []
    for k in range(count):
        local = (start + timedelta(minutes=k)).astimezone(tz)
        out.append(local.hour * 60 + local.minute)
    return tuple(out)


def _by_clock(
    clipped: list[BoutSpan], day: date, tz: ZoneInfo, day_start: datetime
) -> tuple[tuple[float, ...], tuple[Posture | None, ...]]:
    """Sitting minutes per local hour and the dominant posture per local minute."""
    clock = _clock_minutes(day, tz)
    per_minute: list[dict[Posture, float] | None] = [None] * MINUTES_PER_DAY
    sitting_s = [0.0] * 24
    for piece in clipped:
        lo = (piece.start - day_start).total_seconds()
        hi = (piece.end - day_start).total_seconds()
        first = int(lo // 60)
        last = min(math.ceil(hi / 60), len(clock))
        for k in range(first, last):
            overlap = min(hi, (k + 1) * 60.0) - max(lo, k * 60.0)
            if overlap <= 0:
                continue
            minute = clock[k]
            slot = per_minute[minute]
            if slot is None:
                slot = per_minute[minute] = {}
            slot[piece.posture] = slot.get(piece.posture, 0.0) + overlap
            if piece.posture is Posture.SITTING:
                sitting_s[minute // 60] += overlap
    timeline = tuple(None if slot is None else _dominant(slot) for slot in per_minute)
    return tuple(s / 60 for s in sitting_s), timeline


_ORDER = {p: i for i, p in enumerate(Posture)}


def _dominant(seconds: dict[Posture, float]) -> Posture:
    """The posture with the most seconds; ties go to the one listed first in ``Posture``."""
    return max(seconds, key=lambda p: (seconds[p], -_ORDER[p]))
