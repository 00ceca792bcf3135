"""Meetings from the wearer's calendar (ICS), so that prompts wait until a meeting ends.

In: an iCalendar (RFC 5545) file or http(s) URL per wearer, from the settings. Out: each
wearer's busy stretches as ``Meeting`` values, handed to ``Contexts.set_meetings``.

Recurring events are expanded (RRULE, RDATE, EXDATE and moved occurrences). Not a
meeting: an all-day event, one marked free (``TRANSP:TRANSPARENT``), a cancelled one.
An event without a zone ("floating" time) is read in the wearer's zone. A calendar that
cannot be read or parsed keeps the meetings read last time; the error is logged and
counted.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from service.context.cache import Contexts
from service.metrics import Metrics
from service.rules.context import Meeting

log = logging.getLogger(__name__)

LOOK_BACK = timedelta(days=1)
LOOK_AHEAD = timedelta(days=14)
MAX_BYTES = 20 * 1024 * 1024


class CalendarError(ValueError):
    """A calendar could not be read or parsed."""


def parse_meetings(
    data: bytes | str, start: datetime, end: datetime, tz: ZoneInfo
) -> list[Meeting]:
    """The busy stretches of an ICS calendar that overlap ``[start, end)``, sorted.

    Raises:
        CalendarError: if ``data`` is not an iCalendar.
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
        events = recurring_ical_events.of(calendar).between(start, end)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarError(f"not a readable iCalendar: {exc}") from exc
    out = []
    for event in events:
        if event.name != "VEVENT":
            continue
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        first = _when(event.get("DTSTART"), tz)
        if first is None:
            continue  # all-day: a holiday or a reminder, not a meeting
        last = _when(event.get("DTEND"), tz)
        if last is None:
            duration = event.get("DURATION")
            last = first + duration.dt if duration is not None else first
        if last > first:
            out.append(Meeting(first, last))
    return sorted(out, key=lambda m: (m.start, m.end))


def _when(prop: Any, tz: ZoneInfo) -> datetime | None:
    if prop is None:
        return None
    value = prop.dt
    if not isinstance(value, datetime):
        return None  # a date: an all-day event
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def read_source(source: str, timeout_s: float = 30.0) -> bytes:
    """The bytes of a calendar: a file path, a ``file://`` URL or an http(s) URL.

    Raises:
        CalendarError: if it cannot be read.
    """
    try:
        if source.startswith(("http://", "https://")):
            request = urllib.request.Request(source, headers={"User-Agent": "sitless"})
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                data: bytes = response.read(MAX_BYTES + 1)
        else:
            path = Path(source.removeprefix("file://"))
            data = path.read_bytes()
    except OSError as exc:
        raise CalendarError(f"cannot read {source}: {exc}") from exc
    if len(data) > MAX_BYTES:
        raise CalendarError(f"{source} is larger than {MAX_BYTES} bytes")
    return data


class CalendarPoller:
    """Reads each wearer's calendar now and every ``interval_s``.

    Args:
        sources: wearer → ICS file or URL.
        contexts: where meetings go.
        zone_of: the wearer's zone (for floating times).
        interval_s: seconds between reads.
        clock: the current time (tests inject one).
    """

    def __init__(
        self,
        sources: Mapping[str, str],
        contexts: Contexts,
        metrics: Metrics,
        *,
        zone_of: Callable[[str], ZoneInfo],
        interval_s: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sources = dict(sources)
        self.contexts = contexts
        self.metrics = metrics
        self.zone_of = zone_of
        self.interval_s = interval_s
        self.clock = clock
        metrics.describe("calendar_reads", "calendar reads, per result", "result")

    async def poll_once(self) -> None:
        """Read every calendar once; a failing one keeps its previous meetings."""
        now = self.clock()
        for wearer, source in self.sources.items():
            try:
                data = await asyncio.to_thread(read_source, source)
                meetings = parse_meetings(
                    data, now - LOOK_BACK, now + LOOK_AHEAD, self.zone_of(wearer)
                )
            except CalendarError as exc:
                self.metrics.inc("calendar_reads", "failed")
                log.warning("calendar of %s not updated: %s", wearer, exc)
                continue
            self.metrics.inc("calendar_reads", "ok")
            self.contexts.set_meetings(wearer, meetings)

    async def run(self) -> None:
        """Poll until cancelled (the first read is ``poll_once``'s, done at start-up)."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.poll_once()
