"""Meetings from ICS calendars: what counts as busy, recurrences, zones, bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.context import CalendarError, CalendarPoller, Contexts, parse_meetings
from service.metrics import Metrics
from service.rules import Meeting

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2024, 5, 6, tzinfo=BERLIN)


def calendar(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20240501T000000Z\r\n{e}END:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n"


def event(uid: str, *lines: str) -> str:
    return f"UID:{uid}\r\n" + "".join(f"{line}\r\n" for line in lines)


def busy(text: str, days: int = 7) -> list[tuple[str, str]]:
    meetings = parse_meetings(text, MONDAY, MONDAY + timedelta(days=days), BERLIN)
    return [
        (
            m.start.astimezone(BERLIN).strftime("%a %H:%M"),
            m.end.astimezone(BERLIN).strftime("%H:%M"),
        )
        for m in meetings
    ]


def test_a_weekly_recurring_meeting_is_expanded_with_its_exception() -> None:
    text = calendar(
        event(
            "standup",
            "DTSTART;TZID=Europe/Berlin:20240506T093000",
            "DTEND;TZID=Europe/Berlin:20240506T094500",
            "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
            "EXDATE;TZID=Europe/Berlin:20240508T093000",
        )
    )
    assert busy(text) == [
        ("Mon 09:30", "09:45"),
        ("Tue 09:30", "09:45"),
        ("Thu 09:30", "09:45"),
        ("Fri 09:30", "09:45"),
    ]


def test_free_cancelled_and_all_day_events_are_not_meetings() -> None:
    text = calendar(
        event("free", "DTSTART:20240506T080000Z", "DTEND:20240506T090000Z", "TRANSP:TRANSPARENT"),
        event("off", "DTSTART:20240506T100000Z", "DTEND:20240506T110000Z", "STATUS:CANCELLED"),
        event("holiday", "DTSTART;VALUE=DATE:20240507", "DTEND;VALUE=DATE:20240508"),
        event("real", "DTSTART:20240506T120000Z", "DURATION:PT30M"),
    )
    assert busy(text) == [("Mon 14:00", "14:30")]


def test_floating_times_are_read_in_the_wearers_zone() -> None:
    text = calendar(event("f", "DTSTART:20240506T150000", "DTEND:20240506T160000"))
    (meeting,) = parse_meetings(text, MONDAY, MONDAY + timedelta(days=1), BERLIN)
    assert meeting == Meeting(MONDAY.replace(hour=15), MONDAY.replace(hour=16))
    assert meeting.start.tzinfo is UTC


def test_a_meeting_over_the_dst_change_lasts_its_real_length() -> None:
    text = calendar(
        event(
            "night",
            "DTSTART;TZID=Europe/Berlin:20240331T013000",
            "DTEND;TZID=Europe/Berlin:20240331T033000",
        )
    )
    start = datetime(2024, 3, 30, tzinfo=UTC)
    (meeting,) = parse_meetings(text, start, start + timedelta(days=2), BERLIN)
    assert meeting.end - meeting.start == timedelta(hours=1)  # 02:00-03:00 never happened


def test_garbage_is_a_calendar_error() -> None:
    with pytest.raises(CalendarError):
        parse_meetings("this is not a calendar", MONDAY, MONDAY + timedelta(days=1), BERLIN)


async def test_the_poller_reads_files_keeps_old_meetings_on_failure_and_counts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ann.ics"
    path.write_text(calendar(event("m", "DTSTART:20240506T080000Z", "DTEND:20240506T090000Z")))
    contexts = Contexts(BERLIN, keep_totals=False)
    metrics = Metrics()
    poller = CalendarPoller(
        {"ann": str(path), "bob": str(tmp_path / "missing.ics")},
        contexts,
        metrics,
        zone_of=lambda _: BERLIN,
        interval_s=0.01,
        clock=lambda: MONDAY,
    )
    await poller.poll_once()
    assert [m.start.hour for m in contexts.meetings("ann")] == [8]
    assert contexts.meetings("bob") == ()
    assert (metrics.get("calendar_reads", "ok"), metrics.get("calendar_reads", "failed")) == (1, 1)
    path.write_text("broken")
    task = asyncio.create_task(poller.run())
    while metrics.get("calendar_reads", "failed") < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    assert [m.start.hour for m in contexts.meetings("ann")] == [8]
