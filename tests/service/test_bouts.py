"""Bouts from posture events, and the local-day summary built from bouts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.bouts import BoutSpan, BoutTracker, summarize_day
from sitless.wire import Bout, Posture, PostureEvent

SIT, STAND, WALK, LIE, CYCLE = (
    Posture.SITTING,
    Posture.STANDING,
    Posture.WALKING,
    Posture.LYING,
    Posture.CYCLING,
)
UTC_TZ = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def event(
    start: datetime,
    postures: list[Posture],
    since: datetime,
    prior: tuple[Posture, datetime] | None = None,
    seq: int = 0,
    wearer: str = "ann",
) -> PostureEvent:
    return PostureEvent(
        wearer=wearer,
        device="thigh",
        seq=seq,
        start=start,
        postures=tuple(postures),
        since=since,
        prior=Bout(posture=prior[0], start=prior[1]) if prior else None,
    )


def at(hh: int, mm: int = 0, day: int = 6, tz: ZoneInfo = UTC_TZ, month: int = 5) -> datetime:
    return datetime(2024, month, day, hh, mm, tzinfo=tz)


def span(posture: Posture, start: datetime, end: datetime) -> BoutSpan:
    return BoutSpan(posture, start, end)


# --- tracker -------------------------------------------------------------------------


def test_event_without_prior_closes_nothing_and_reports_open_bout() -> None:
    tracker = BoutTracker()
    update = tracker.update(event(T0, [SIT] * 5, since=T0 - timedelta(minutes=3)))
    assert update.closed == ()
    assert update.current == span(SIT, T0 - timedelta(minutes=3), T0 + timedelta(seconds=5))


def test_posture_change_closes_prior_bout_at_since() -> None:
    tracker = BoutTracker()
    change = T0 + timedelta(seconds=2)
    update = tracker.update(event(T0, [SIT, SIT, STAND], since=change, prior=(SIT, at(8, 10))))
    assert update.closed == (span(SIT, at(8, 10), change),)
    assert update.current == span(STAND, change, T0 + timedelta(seconds=3))


def test_closed_bout_is_handed_out_once_across_following_events_and_redelivery() -> None:
    tracker = BoutTracker()
    change = T0
    first = event(T0, [STAND], since=change, prior=(SIT, at(8)), seq=1)
    later = event(T0 + timedelta(seconds=1), [STAND] * 4, since=change, prior=(SIT, at(8)), seq=2)
    assert len(tracker.update(first).closed) == 1
    assert tracker.update(later).closed == ()
    assert tracker.update(first).closed == ()  # QoS 1 re-delivery
    assert tracker.update(later).current.end == T0 + timedelta(seconds=5)


def test_restarted_tracker_hands_out_the_prior_again_for_the_store_to_dedup() -> None:
    e = event(T0, [STAND], since=T0, prior=(SIT, at(8)))
    assert BoutTracker().update(e).closed == BoutTracker().update(e).closed != ()


def test_tracker_keeps_wearers_apart() -> None:
    tracker = BoutTracker()
    a = event(T0, [STAND], since=T0, prior=(SIT, at(8)), wearer="ann")
    b = event(T0, [STAND], since=T0, prior=(SIT, at(8)), wearer="bob")
    assert len(tracker.update(a).closed) == 1
    assert len(tracker.update(b).closed) == 1


def test_tracker_memory_is_bounded_per_wearer_and_in_wearers() -> None:
    tracker = BoutTracker(remember=2, max_wearers=2)
    starts = [at(8, m) for m in range(3)]
    for i, s in enumerate(starts):
        tracker.update(
            event(T0 + timedelta(minutes=i), [STAND], T0 + timedelta(minutes=i), (SIT, s))
        )
    oldest = event(T0, [STAND], since=T0, prior=(SIT, starts[0]))
    assert len(tracker.update(oldest).closed) == 1  # forgotten: the store dedups it
    tracker.update(event(T0, [STAND], since=T0, prior=(SIT, at(7)), wearer="bob"))
    tracker.update(event(T0, [STAND], since=T0, prior=(SIT, at(7)), wearer="cy"))
    assert len(tracker.update(event(T0, [STAND], T0, (SIT, starts[2]))).closed) == 1


def test_bout_span_refuses_naive_or_backwards_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        BoutSpan(SIT, datetime(2024, 1, 1), datetime(2024, 1, 2))
    with pytest.raises(ValueError, match="before it starts"):
        BoutSpan(SIT, at(10), at(9))


# --- day summary ---------------------------------------------------------------------


def test_summary_totals_minutes_longest_bout_and_hours() -> None:
    bouts = [
        span(SIT, at(9), at(9, 50)),
        span(STAND, at(9, 50), at(10)),
        span(SIT, at(10), at(11, 30)),
        span(LIE, at(11, 30), at(12)),
    ]
    s = summarize_day(bouts, date(2024, 5, 6), UTC_TZ)
    assert s.sitting_min == pytest.approx(140)
    assert s.sedentary_min == pytest.approx(170)
    assert s.minutes[STAND] == pytest.approx(10)
    assert s.minutes[WALK] == 0
    assert s.covered_min == pytest.approx(180)
    assert (s.longest_sitting_min, s.longest_sitting_start) == (pytest.approx(90), at(10))
    assert s.sitting_by_hour[9] == pytest.approx(50)
    assert s.sitting_by_hour[10] == pytest.approx(60)
    assert s.sitting_by_hour[11] == pytest.approx(30)
    assert sum(s.sitting_by_hour) == pytest.approx(140)
    assert s.timeline[9 * 60] is SIT
    assert s.timeline[9 * 60 + 55] is STAND
    assert s.timeline[11 * 60 + 45] is LIE
    assert s.timeline[8 * 60] is None
    assert len(s.timeline) == 1440


def test_bout_across_midnight_is_split_between_days() -> None:
    bouts = [span(SIT, at(23, 0, day=5), at(1, 30, day=6))]
    before = summarize_day(bouts, date(2024, 5, 5), UTC_TZ)
    after = summarize_day(bouts, date(2024, 5, 6), UTC_TZ)
    assert before.sitting_min == pytest.approx(60)
    assert after.sitting_min == pytest.approx(90)
    assert after.longest_sitting_start == at(0, 0, day=6)
    assert after.sitting_by_hour[0] == pytest.approx(60)
    assert before.sitting_by_hour[23] == pytest.approx(60)


def test_local_day_follows_the_wearers_timezone() -> None:
    # 23:30 UTC on 5 May is 01:30 on 6 May in Berlin (UTC+2 in summer).
    bouts = [span(SIT, at(23, 0, day=5), at(23, 30, day=5))]
    s = summarize_day(bouts, date(2024, 5, 6), BERLIN)
    assert s.sitting_min == pytest.approx(30)
    assert s.sitting_by_hour[1] == pytest.approx(30)
    assert s.timeline[60] is SIT


def test_spring_forward_day_is_23_hours_and_skipped_hour_is_empty() -> None:
    day = date(2024, 3, 31)  # Europe/Berlin: 02:00 -> 03:00
    start = datetime(2024, 3, 31, tzinfo=BERLIN).astimezone(UTC)
    bouts = [span(SIT, start, start + timedelta(hours=23))]
    s = summarize_day(bouts, day, BERLIN)
    assert s.length_min == 23 * 60
    assert s.sitting_min == pytest.approx(23 * 60)
    assert s.sitting_by_hour[2] == 0
    assert s.sitting_by_hour[3] == pytest.approx(60)
    assert s.timeline[2 * 60 + 30] is None
    assert sum(p is SIT for p in s.timeline) == 23 * 60


def test_fall_back_day_is_25_hours_and_repeated_hour_is_counted_twice() -> None:
    day = date(2024, 10, 27)  # Europe/Berlin: 03:00 -> 02:00
    start = datetime(2024, 10, 27, tzinfo=BERLIN).astimezone(UTC)
    bouts = [span(SIT, start, start + timedelta(hours=25))]
    s = summarize_day(bouts, day, BERLIN)
    assert s.length_min == 25 * 60
    assert s.sitting_min == pytest.approx(25 * 60)
    assert s.sitting_by_hour[2] == pytest.approx(120)
    assert sum(s.sitting_by_hour) == pytest.approx(25 * 60)
    assert all(p is SIT for p in s.timeline)


def test_overlapping_and_repeated_bouts_are_counted_once() -> None:
    bouts = [
        span(SIT, at(9), at(10)),
        span(SIT, at(9), at(9, 40)),  # an older snapshot of the same open bout
        span(SIT, at(9), at(10)),
        span(STAND, at(9, 50), at(10, 10)),
    ]
    s = summarize_day(bouts, date(2024, 5, 6), UTC_TZ)
    assert s.sitting_min == pytest.approx(60)
    assert s.minutes[STAND] == pytest.approx(10)
    assert s.covered_min == pytest.approx(70)


def test_touching_sitting_bouts_count_as_one_long_bout() -> None:
    bouts = [span(SIT, at(9), at(9, 40)), span(SIT, at(9, 40), at(10, 30))]
    s = summarize_day(bouts, date(2024, 5, 6), UTC_TZ)
    assert s.longest_sitting_min == pytest.approx(90)


def test_dominant_posture_wins_a_shared_minute() -> None:
    bouts = [
        span(SIT, at(9), at(9, 0) + timedelta(seconds=20)),
        span(WALK, at(9) + timedelta(seconds=20), at(9, 1)),
    ]
    s = summarize_day(bouts, date(2024, 5, 6), UTC_TZ)
    assert s.timeline[9 * 60] is WALK


def test_breaks_count_sedentary_to_upright_transitions() -> None:
    bouts = [
        span(SIT, at(9), at(10)),
        span(STAND, at(10), at(10, 5)),  # break 1
        span(WALK, at(10, 5), at(10, 10)),  # upright to upright: not a break
        span(LIE, at(10, 10), at(11)),
        span(WALK, at(11), at(11, 5)),  # break 2 (lying counts as sedentary)
        span(SIT, at(11, 5), at(12)),
        span(Posture.UNKNOWN, at(12), at(12, 0) + timedelta(seconds=3)),
        span(STAND, at(12, 0) + timedelta(seconds=3), at(12, 5)),  # break 3, through unknown
        span(CYCLE, at(12, 5), at(13)),
        span(STAND, at(13), at(13, 5)),  # after cycling: not a break
        span(SIT, at(13, 5), at(14)),
        span(Posture.NONWEAR, at(14), at(15)),
        span(STAND, at(15), at(15, 5)),  # sensor was off: not counted
    ]
    assert summarize_day(bouts, date(2024, 5, 6), UTC_TZ).breaks == 3


def test_break_just_after_midnight_belongs_to_the_new_day() -> None:
    bouts = [span(SIT, at(22, day=5), at(0, 10)), span(STAND, at(0, 10), at(0, 20))]
    assert summarize_day(bouts, date(2024, 5, 5), UTC_TZ).breaks == 0
    assert summarize_day(bouts, date(2024, 5, 6), UTC_TZ).breaks == 1


def test_empty_day_has_no_data() -> None:
    s = summarize_day([], date(2024, 5, 6), BERLIN)
    assert s.covered_min == 0
    assert s.longest_sitting_start is None
    assert s.timeline == (None,) * 1440
    assert s.sitting_by_hour == (0.0,) * 24


# --- property ------------------------------------------------------------------------

DAY = date(2024, 10, 27)
ZONES = [UTC_TZ, BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
WINDOW_START = datetime(2024, 10, 26, 18, tzinfo=UTC)


@st.composite
def bout_lists(draw: st.DrawFn) -> list[BoutSpan]:
    out = []
    for _ in range(draw(st.integers(0, 12))):
        offset = draw(st.integers(0, 40 * 3600))
        length = draw(st.integers(0, 6 * 3600))
        start = WINDOW_START + timedelta(seconds=offset)
        out.append(
            BoutSpan(draw(st.sampled_from(Posture)), start, start + timedelta(seconds=length))
        )
    return out


def _union_seconds(bouts: list[BoutSpan], lo: datetime, hi: datetime) -> float:
    total, reach = 0.0, lo
    for b in sorted(bouts, key=lambda b: b.start):
        start, end = max(b.start, reach), min(b.end, hi)
        if end > start:
            total += (end - start).total_seconds()
            reach = end
    return total


@settings(max_examples=150, deadline=None)
@given(bouts=bout_lists(), tz=st.sampled_from(ZONES))
def test_minutes_per_posture_add_up_to_covered_time(bouts: list[BoutSpan], tz: ZoneInfo) -> None:
    s = summarize_day(bouts, DAY, tz)
    covered = _union_seconds(bouts, s.start, s.end) / 60
    assert s.covered_min == pytest.approx(covered, abs=1e-6)
    assert sum(s.minutes.values()) == pytest.approx(covered, abs=1e-6)
    assert s.covered_min <= s.length_min + 1e-9
    assert sum(s.sitting_by_hour) == pytest.approx(s.sitting_min, abs=1e-6)
    assert s.sedentary_min == pytest.approx(s.minutes[SIT] + s.minutes[LIE], abs=1e-6)
    assert s.longest_sitting_min <= s.sitting_min + 1e-9
    with_data = sum(p is not None for p in s.timeline)
    assert (with_data > 0) == (covered > 0)
    assert with_data <= covered + 2 * len(bouts)  # each bout adds at most two part minutes
