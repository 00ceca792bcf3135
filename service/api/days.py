"""Which local day a request means: ``YYYY-MM-DD``, ``today`` or ``yesterday``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import HTTPException

# Far enough for any recording; keeps day arithmetic and zone conversion away from the
# ends of the calendar, where Python's date and datetime overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9000, 12, 31)


def parse_day(text: str, tz: ZoneInfo, what: str = "day") -> date:
    """The local day ``text`` names in ``tz``; HTTP 422 naming ``what`` if it names none."""
    today = datetime.now(tz).date()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"{what} {text!r} is not YYYY-MM-DD, today or yesterday") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise HTTPException(422, f"{what} {day} is outside {FIRST_DAY} to {LAST_DAY}")
    return day
