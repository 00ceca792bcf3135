"""An activPAL-style events CSV, for tools written for activPAL's "Events" export.

activPAL's PAL software writes one row per event (a run of one activity) with the columns
below; readers such as activpalProcessing and Sojourn's ``AP.file.reader`` take them by
position. ``Time`` is the event's start as an Excel/Delphi serial date (days since
1899-12-30, local clock time, as activPAL writes it). ``DataCount`` counts samples from
the first event; sitless works on 1-s epochs, so it counts seconds (a 1 Hz "sampling
rate"). Activity codes follow PAL software 8: 0 sedentary (sitting), 1 standing,
2 stepping (walking, running), 2.1 cycling, 3.1 primary lying, 4 non-wear. sitless also
writes 4 for epochs its classifier could not tell (``unknown``) and for stretches with no
data between two bouts, so the events cover the span without holes.

sitless neither counts steps nor estimates energy expenditure, so ``CumulativeStepCount``
and ``Activity Score (MET.h)`` are left empty rather than made up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from service.bouts import Span
from service.export.tables import clipped_bouts
from sitless.wire.posture import Posture

HEADER = (
    "Time",
    "DataCount (samples)",
    "Interval (s)",
    "ActivityCode (0=sedentary, 1= standing, 2=stepping)",
    "CumulativeStepCount",
    "Activity Score (MET.h)",
)
CODES: dict[Posture, str] = {
    Posture.SITTING: "0",
    Posture.STANDING: "1",
    Posture.WALKING: "2",
    Posture.RUNNING: "2",
    Posture.CYCLING: "2.1",
    Posture.LYING: "3.1",
    Posture.NONWEAR: "4",
    Posture.UNKNOWN: "4",
}
NO_DATA = "4"
_EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_serial(t: datetime, tz: ZoneInfo) -> float:
    """``t`` as days since 1899-12-30 on the local clock of ``tz``."""
    local = t.astimezone(tz).replace(tzinfo=None)
    return (local - _EXCEL_EPOCH).total_seconds() / 86400


def events(
    bouts: Iterable[Span], start: datetime, end: datetime
) -> list[tuple[datetime, float, str]]:
    """(start, seconds, activity code) per event in ``[start, end)``; equal codes merged."""
    out: list[tuple[datetime, float, str]] = []
    previous_end: datetime | None = None
    for b in clipped_bouts(bouts, start, end):
        if previous_end is not None and b.start > previous_end:
            _append(out, previous_end, (b.start - previous_end).total_seconds(), NO_DATA)
        _append(out, b.start, (b.end - b.start).total_seconds(), CODES[b.posture])
        previous_end = b.end
    return out


def _append(
    out: list[tuple[datetime, float, str]], at: datetime, seconds: float, code: str
) -> None:
    if out and out[-1][2] == code:
        first, length, _ = out[-1]
        out[-1] = (first, length + seconds, code)
    else:
        out.append((at, seconds, code))


def events_csv(bouts: Iterable[Span], start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """The events file's text."""
    buffer = io.StringIO()
    # activPAL quotes every header field and no value.
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(HEADER)
    writer = csv.writer(buffer, lineterminator="\r\n")
    rows = events(bouts, start, end)
    origin = rows[0][0] if rows else start
    for at, seconds, code in rows:
        count = round((at - origin).total_seconds())
        writer.writerow([f"{excel_serial(at, tz):.10f}", count, f"{seconds:.1f}", code, "", ""])
    return buffer.getvalue()
