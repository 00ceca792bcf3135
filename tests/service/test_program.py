"""The routine program: a few sessions a day, for weeks (seed article 002)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from service.program import ProgramGoal, summarize_program

OSLO = ZoneInfo("Europe/Oslo")
START = date(2024, 5, 6)


def sessions(per_day: dict[int, int]) -> list[datetime]:
    """``per_day``: day offset from START -> sessions that day (at 09:00, 12:00, ... local)."""
    out = []
    for offset, n in per_day.items():
        for k in range(n):
            local = datetime(2024, 5, 6, 9 + 3 * k, tzinfo=OSLO) + timedelta(days=offset)
            out.append(local.astimezone(UTC))
    return out


def test_sessions_per_day_streaks_and_weeks_done() -> None:
    # Week 1: five days of 3; week 2: four days of 3 and one of 2; today day 15 has 1.
    done = {d: 3 for d in range(5)} | {7: 3, 8: 3, 9: 3, 10: 3, 11: 2} | {14: 3, 15: 1}
    s = summarize_program(sessions(done), OSLO, START + timedelta(days=15))
    assert s.started == START
    assert s.sessions_today == 1
    assert s.week == 3
    assert s.weeks_done == 1
    assert s.streak_days == 1  # day 14; today has not met the target yet, so it does not break
    assert s.best_streak_days == 5
    assert [d.sessions for d in s.days][:3] == [3, 3, 3]
    assert not s.complete


def test_a_day_is_the_wearers_local_day() -> None:
    # 23:30 in Oslo on 6 May is 21:30 UTC: still the 6th, not the 7th.
    late = datetime(2024, 5, 6, 21, 30, tzinfo=UTC)
    s = summarize_program([late], OSLO, START + timedelta(days=1))
    assert [(d.day, d.sessions) for d in s.days] == [(START, 1), (START + timedelta(days=1), 0)]


def test_the_program_is_complete_after_its_weeks() -> None:
    goal = ProgramGoal(sessions_per_day=2, weeks=2, days_per_week=7)
    s = summarize_program(
        sessions({d: 2 for d in range(14)}), OSLO, START + timedelta(days=13), goal
    )
    assert (s.weeks_done, s.complete, s.streak_days) == (2, True, 14)


def test_no_sessions_yet() -> None:
    s = summarize_program([], OSLO, START)
    assert (s.started, s.week, s.weeks_done, s.streak_days, len(s.days)) == (None, 0, 0, 0, 14)
