"""A scripted office day for tests: its bouts, the posture events that replay it, its totals.

The day is a list of (posture, minutes) segments from a local start time. ``events``
cuts it into one-minute posture messages, each carrying ``since`` and ``prior`` the way
the collector sends them, so replaying them over MQTT through the real service stores
exactly ``bouts``; the totals below are what every view of the day must then show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from service.bouts import BoutSpan
from sitless.wire import Bout, PostureEvent
from sitless.wire.posture import Posture

S, T, W, C, L = (Posture.SITTING, Posture.STANDING, Posture.WALKING, Posture.CYCLING, Posture.LYING)
MONDAY = date(2026, 3, 2)
OSLO = ZoneInfo("Europe/Oslo")

# 08:30-14:57 local: long sits of 50, 35, 62 and 70 minutes, a ride, a lie-down at lunch.
OFFICE_DAY: tuple[tuple[Posture, int], ...] = (
    (W, 10),
    (S, 50),
    (T, 5),
    (W, 5),
    (S, 35),
    (T, 3),
    (S, 62),
    (W, 15),
    (L, 20),
    (T, 10),
    (S, 25),
    (W, 5),
    (C, 22),
    (T, 4),
    (S, 70),
    (W, 6),
    (S, 20),
)


def start_of(day: date = MONDAY, tz: ZoneInfo = OSLO, at: time = time(8, 30)) -> datetime:
    """When the scripted day begins, in UTC."""
    return datetime.combine(day, at, tz).astimezone(UTC)


def bouts(
    segments: Sequence[tuple[Posture, int]] = OFFICE_DAY, start: datetime | None = None
) -> list[BoutSpan]:
    """The bouts of the script."""
    t = start or start_of()
    out = []
    for posture, minutes in segments:
        out.append(BoutSpan(posture, t, t + timedelta(minutes=minutes)))
        t += timedelta(minutes=minutes)
    return out


def events(
    wearer: str,
    device: str = "thigh",
    segments: Sequence[tuple[Posture, int]] = OFFICE_DAY,
    start: datetime | None = None,
    *,
    first_seq: int = 0,
) -> list[PostureEvent]:
    """One-minute posture messages replaying the script, in order."""
    out = []
    seq = first_seq
    prior: Bout | None = None
    for bout in bouts(segments, start):
        t = bout.start
        while t < bout.end:
            out.append(
                PostureEvent(
                    wearer=wearer,
                    device=device,
                    seq=seq,
                    start=t,
                    postures=(bout.posture,) * 60,
                    since=bout.start,
                    prior=prior,
                )
            )
            seq += 1
            t += timedelta(minutes=1)
        prior = Bout(posture=bout.posture, start=bout.start)
    return out


def minutes(posture: Posture, segments: Sequence[tuple[Posture, int]] = OFFICE_DAY) -> int:
    """Minutes of ``posture`` in the script."""
    return sum(m for p, m in segments if p is posture)


def long_sits(segments: Sequence[tuple[Posture, int]] = OFFICE_DAY) -> list[int]:
    """Lengths of the sitting bouts of 30 minutes or more, in order."""
    return [m for p, m in segments if p is Posture.SITTING and m >= 30]


def breaks(segments: Sequence[tuple[Posture, int]] = OFFICE_DAY) -> int:
    """Getting up from sitting or lying onto the feet."""
    upright = {Posture.STANDING, Posture.WALKING, Posture.RUNNING}
    return sum(
        1
        for (a, _), (b, _) in pairwise(segments)
        if a in (Posture.SITTING, Posture.LYING) and b in upright
    )
