"""Every rule feature on an injected clock: the engine given a wearer's ``Context``.

"Now" is always the end of the posture event, so each test sets the clock by the event
it builds; nothing here waits or reads the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.context.calendar import parse_meetings
from service.rules import (
    Context,
    DayTotals,
    Engine,
    Focus,
    FocusMode,
    Meeting,
    RuleSet,
    Sent,
    Snooze,
    default_rules_path,
    load_rules,
)
from service.rules.engine import SEATED_SUFFIX
from sitless.wire import Bout, Posture, PostureEvent

SIT, STAND, CYCLE, LIE = Posture.SITTING, Posture.STANDING, Posture.CYCLING, Posture.LYING
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2024, 5, 6, tzinfo=BERLIN)  # CEST, UTC+2
AT_10 = MONDAY.replace(hour=10)
MIN = timedelta(minutes=1)

ROUTINES = """
routines:
  r:
    title: R
    why: w
    dose: d
    steps: [{text: stand and stretch}]
  seated:
    title: Seated squeeze
    why: when you cannot stand
    dose: ten
    steps: [{text: squeeze and release}]
    seated: true
"""


def rules(tmp_path: Path, triggers: str) -> RuleSet:
    (tmp_path / "routines.yaml").write_text(ROUTINES)
    (tmp_path / "triggers.yaml").write_text("triggers:\n" + triggers)
    return load_rules(tmp_path)


def trigger(name: str = "t", **fields: object) -> str:
    """A trigger in YAML: sitting 45 min, routine r, plus ``fields`` (YAML flow values)."""
    base: dict[str, object] = {
        "title": "First",
        "message": "M",
        "posture": "sitting",
        "kind": "ongoing",
        "min_minutes": 45,
        "routine": "r",
    }
    base.update(fields)
    lines = [f"  {name}:"] + [f"    {k}: {v}" for k, v in base.items()]
    return "\n".join(lines) + "\n"


def sat(minutes: float, now: datetime, posture: Posture = SIT, **kw: object) -> PostureEvent:
    """A one-epoch event ending at ``now``, in a bout that began ``minutes`` before."""
    return PostureEvent(
        wearer="ann",
        device="thigh",
        seq=1,
        start=now - timedelta(seconds=1),
        postures=(posture,),
        since=now - timedelta(minutes=minutes),
        **kw,
    )


def after(prior: Posture, lasted_min: float, now: datetime, current: Posture) -> PostureEvent:
    since = now - timedelta(seconds=1)
    return PostureEvent(
        wearer="ann",
        device="thigh",
        seq=1,
        start=since,
        postures=(current,),
        since=since,
        prior=Bout(posture=prior, start=since - timedelta(minutes=lasted_min)),
    )


class Wearer:
    """Plays the ingest's part: gives what the engine sends and remembers it."""

    def __init__(self, engine: Engine, context: Context | None = None) -> None:
        self.engine = engine
        self.context = context or Context()

    def step(self, event: PostureEvent) -> list[tuple[str, int]]:
        decision = self.engine.decide(event, self.context)
        for due in decision.send:
            self.context.note_sent(Sent(due.rule, due.bout_start, due.repeat, event.end))
        for due in decision.suppressed:
            self.context.closed[due.rule] = due.bout_start
        return [(d.rule, d.repeat) for d in decision.send]

    def sit_through(self, start: datetime, minutes: int) -> list[tuple[datetime, int]]:
        """Sit from ``start`` for ``minutes``, one event a minute: (time, repeat) given."""
        out = []
        for m in range(1, minutes + 1):
            now = start + m * MIN
            for _, repeat in self.step(sat(m, now)):
                out.append((now, repeat))
        return out


# Schedules: weekdays, time zones, daylight saving.


def test_work_hours_apply_per_weekday(tmp_path: Path) -> None:
    engine = Engine(
        rules(tmp_path, trigger(work_hours="{mon-fri: '09:00-17:00', sat: '10:00-12:00'}")),
        "Europe/Berlin",
    )
    saturday, sunday = AT_10 + timedelta(days=5), AT_10 + timedelta(days=6)
    assert Wearer(engine).step(sat(50, AT_10)) == [("t", 0)]
    assert Wearer(engine).step(sat(50, saturday + 30 * MIN)) == [("t", 0)]
    assert Wearer(engine).step(sat(50, saturday.replace(hour=13))) == []
    assert Wearer(engine).step(sat(50, sunday)) == []


def test_the_wearers_own_zone_decides_work_hours_unless_the_rule_names_one(
    tmp_path: Path,
) -> None:
    ruleset = rules(
        tmp_path,
        trigger("own", work_hours="{mon-fri: '09:00-17:00'}")
        + trigger("fixed", work_hours="{mon-fri: '09:00-17:00'}", timezone="Europe/Berlin"),
    )
    engine = Engine(ruleset, "Europe/Berlin")
    # 16:00 in Berlin is 10:00 in New York and 23:00 in Tokyo.
    now = MONDAY.replace(hour=16)
    assert {r for r, _ in Wearer(engine).step(sat(50, now))} == {"own", "fixed"}
    assert {r for r, _ in Wearer(engine, Context(tz=NEW_YORK)).step(sat(50, now))} == {
        "own",
        "fixed",
    }
    assert {r for r, _ in Wearer(engine, Context(tz=TOKYO)).step(sat(50, now))} == {"fixed"}
    # 10:00 in Berlin is 04:00 in New York: only the rule pinned to Berlin.
    assert {r for r, _ in Wearer(engine, Context(tz=NEW_YORK)).step(sat(50, AT_10))} == {"fixed"}


def test_work_hours_follow_the_local_clock_across_the_spring_dst_change(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger(work_hours="{daily: '09:00-17:00'}")), "Europe/Berlin")
    # Europe/Berlin moves from UTC+1 to UTC+2 on Sunday 31 March 2024 at 02:00.
    saturday_0730_utc = datetime(2024, 3, 30, 7, 30, tzinfo=UTC)  # 08:30 local: closed
    sunday_0730_utc = datetime(2024, 3, 31, 7, 30, tzinfo=UTC)  # 09:30 local: open
    assert Wearer(engine).step(sat(50, saturday_0730_utc)) == []
    assert Wearer(engine).step(sat(50, sunday_0730_utc)) == [("t", 0)]
    # And the window closes at 17:00 local, 15:00 UTC, on the new offset.
    assert Wearer(engine).step(sat(50, datetime(2024, 3, 31, 14, 59, tzinfo=UTC))) != []
    assert Wearer(engine).step(sat(50, datetime(2024, 3, 31, 15, 0, tzinfo=UTC))) == []


def test_quiet_hours_span_the_night_the_clocks_go_back(tmp_path: Path) -> None:
    engine = Engine(
        rules(tmp_path, trigger(quiet_hours="{daily: '22:00-24:00, 00:00-07:00'}")),
        "Europe/Berlin",
    )
    # 27 October 2024, 03:00 CEST becomes 02:00 CET: the night is 25 hours long.
    assert Wearer(engine).step(sat(50, datetime(2024, 10, 26, 20, 30, tzinfo=UTC))) == []  # 22:30
    assert Wearer(engine).step(sat(50, datetime(2024, 10, 27, 0, 30, tzinfo=UTC))) == []  # 02:30
    assert Wearer(engine).step(sat(50, datetime(2024, 10, 27, 5, 30, tzinfo=UTC))) == []  # 06:30
    assert Wearer(engine).step(sat(50, datetime(2024, 10, 27, 6, 0, tzinfo=UTC))) == [("t", 0)]


def test_quiet_hours_win_over_work_hours(tmp_path: Path) -> None:
    engine = Engine(
        rules(
            tmp_path,
            trigger(work_hours="{daily: '08:00-20:00'}", quiet_hours="{fri: '14:00-20:00'}"),
        ),
        "Europe/Berlin",
    )
    friday = MONDAY + timedelta(days=4)
    assert Wearer(engine).step(sat(50, friday.replace(hour=13))) == [("t", 0)]
    assert Wearer(engine).step(sat(50, friday.replace(hour=15))) == []
    assert Wearer(engine).step(sat(50, MONDAY.replace(hour=15))) == [("t", 0)]


def test_a_prompt_due_at_lunch_waits_until_lunch_is_over(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger(lunch="'12:00-13:00'")), "Europe/Berlin")
    wearer = Wearer(engine)
    noon = MONDAY.replace(hour=12)
    decision = engine.decide(sat(50, noon + 10 * MIN), wearer.context)
    assert decision.send == ()
    (held,) = decision.held
    assert (held.reason, held.until) == ("lunch", MONDAY.replace(hour=13).astimezone(UTC))
    given = wearer.sit_through(noon - 40 * MIN, 120)
    assert given[0] == (MONDAY.replace(hour=13), 0)


# Repeats, cooldown, max per day.


def test_repeats_come_every_n_minutes_after_the_last_prompt_with_their_own_words(
    tmp_path: Path,
) -> None:
    engine = Engine(
        rules(
            tmp_path,
            trigger(
                repeat="{every_minutes: 15, max: 2, wording: [{title: Gentler}, {title: Softer}]}"
            ),
        ),
        "UTC",
    )
    wearer = Wearer(engine)
    start = AT_10
    given = wearer.sit_through(start, 150)
    assert given == [(start + 45 * MIN, 0), (start + 60 * MIN, 1), (start + 75 * MIN, 2)]
    first = engine.due(sat(45, start + 45 * MIN), Context())[0]
    ctx = Context(sent=[Sent("t", start, 0, start + 45 * MIN)])
    (second,) = engine.due(sat(60, start + 60 * MIN), ctx)
    assert (first.title, second.title, second.repeat) == ("First", "Gentler", 1)


def test_a_repeat_waits_for_the_interval_after_a_late_first_prompt(tmp_path: Path) -> None:
    engine = Engine(
        rules(tmp_path, trigger(repeat="{every_minutes: 15, max: 2}", lunch="'12:00-13:00'")),
        "Europe/Berlin",
    )
    wearer = Wearer(engine)
    # Sat down at 11:00: the first prompt at 11:45; repeat 1 falls due at 12:00, in lunch,
    # and comes at 13:00; repeat 2 comes 15 minutes after that.
    given = wearer.sit_through(MONDAY.replace(hour=11), 150)
    assert [(t.astimezone(BERLIN).strftime("%H:%M"), r) for t, r in given] == [
        ("11:45", 0),
        ("13:00", 1),
        ("13:15", 2),
    ]


def test_cooldown_keeps_a_new_bout_from_prompting_too_soon(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger(min_minutes=20, cooldown_minutes=60)), "UTC")
    wearer = Wearer(engine)
    first = wearer.sit_through(AT_10, 25)
    assert [t for t, _ in first] == [AT_10 + 20 * MIN]
    wearer.step(sat(0.5, AT_10 + 26 * MIN, posture=STAND))
    second_bout = AT_10 + 27 * MIN
    # The new bout reaches 20 minutes at 10:47, 27 minutes after the last prompt: too soon.
    given = wearer.sit_through(second_bout, 60)
    assert [t for t, _ in given] == [AT_10 + 80 * MIN]  # 60 minutes after 10:20


def test_max_per_day_counts_repeats_and_resets_at_local_midnight(tmp_path: Path) -> None:
    engine = Engine(
        rules(
            tmp_path, trigger(min_minutes=10, max_per_day=3, repeat="{every_minutes: 5, max: 10}")
        ),
        "Europe/Berlin",
    )
    wearer = Wearer(engine)
    assert len(wearer.sit_through(AT_10, 60)) == 3
    # 23:30 the same local day: still capped; 00:30 the next local day: allowed again.
    late = MONDAY.replace(hour=23, minute=30)
    assert wearer.step(sat(20, late)) == []
    assert wearer.step(sat(20, late + 60 * MIN)) == [("t", 0)]


# Answers: done, dismiss, snooze N minutes, snooze until tomorrow, can't stand.


@pytest.mark.parametrize("answer", ["done", "dismiss"])
def test_done_or_dismiss_ends_the_repeats_of_that_bout_only(tmp_path: Path, answer: str) -> None:
    engine = Engine(rules(tmp_path, trigger(repeat="{every_minutes: 15, max: 3}")), "UTC")
    wearer = Wearer(engine)
    assert wearer.step(sat(45, AT_10)) == [("t", 0)]
    wearer.context.closed["t"] = AT_10 - 45 * MIN  # what the ingest does on done/dismiss
    assert wearer.sit_through(AT_10 - 45 * MIN, 120) == []
    next_bout = AT_10 + 2 * 60 * MIN
    assert wearer.step(sat(45, next_bout)) == [("t", 0)]


def test_snooze_n_minutes_holds_then_prompts_once_more_even_past_max(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger()), "UTC")  # no repeats at all
    bout = AT_10 - 45 * MIN
    wearer = Wearer(engine)
    assert wearer.step(sat(45, AT_10)) == [("t", 0)]
    wearer.context.snoozes["t"] = Snooze(AT_10 + 10 * MIN, bout)
    decision = engine.decide(sat(50, AT_10 + 5 * MIN), wearer.context)
    assert decision.send == () and decision.held[0].reason == "snooze"
    assert decision.held[0].until == AT_10 + 10 * MIN
    given = wearer.sit_through(bout, 120)
    assert given == [(AT_10 + 10 * MIN, 1)]


def test_snooze_until_tomorrow_keeps_the_rule_quiet_for_new_bouts_too(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger(min_minutes=30)), "Europe/Berlin")
    wearer = Wearer(engine)
    assert wearer.step(sat(30, AT_10)) == [("t", 0)]
    midnight = (MONDAY + timedelta(days=1)).astimezone(UTC)
    wearer.context.snoozes["t"] = Snooze(midnight, AT_10 - 30 * MIN)
    afternoon = MONDAY.replace(hour=15)
    assert wearer.step(sat(40, afternoon)) == []
    assert engine.decide(sat(40, afternoon), wearer.context).held[0].reason == "snooze"
    tuesday = (MONDAY + timedelta(days=1)).replace(hour=10)
    assert wearer.step(sat(40, tuesday)) == [("t", 0)]


def test_cant_stand_sends_the_seated_alternative_as_a_prompt_of_its_own(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger(alternative="seated")), "UTC")
    (due,) = engine.due(sat(45, AT_10), Context())
    prompt = due.prompt("ann", "thigh", AT_10)
    assert prompt.alternative == "seated"
    seated = engine.alternative(prompt, at=AT_10 + MIN)
    assert seated is not None
    assert (seated.rule, seated.routine, seated.title) == (
        "t" + SEATED_SUFFIX,
        "seated",
        "Seated squeeze",
    )
    assert seated.id != prompt.id and seated.bout_start == prompt.bout_start
    assert [s.text for s in seated.steps] == ["squeeze and release"]
    assert "cannot stand" in seated.message


def test_an_alternative_must_be_a_seated_routine(tmp_path: Path) -> None:
    from sitless.errors import RuleError

    with pytest.raises(RuleError, match="not marked seated"):
        rules(tmp_path, trigger(alternative="r"))


# Context: meetings, focus, cycling, transport, nonwear.


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//sitless tests//EN
BEGIN:VEVENT
UID:standup@example.com
DTSTAMP:20240501T000000Z
DTSTART;TZID=Europe/Berlin:20240506T103000
DTEND;TZID=Europe/Berlin:20240506T113000
SUMMARY:Planning
END:VEVENT
END:VCALENDAR
"""


def test_a_prompt_due_in_a_meeting_from_an_ics_file_waits_for_its_end(tmp_path: Path) -> None:
    path = tmp_path / "ann.ics"
    path.write_text(ICS)
    meetings = parse_meetings(path.read_bytes(), MONDAY, MONDAY + timedelta(days=1), BERLIN)
    assert meetings == [
        Meeting(MONDAY.replace(hour=10, minute=30), MONDAY.replace(hour=11, minute=30))
    ]
    engine = Engine(rules(tmp_path, trigger()), "Europe/Berlin")
    wearer = Wearer(engine, Context(meetings=tuple(meetings)))
    in_meeting = engine.decide(sat(60, MONDAY.replace(hour=11)), wearer.context)
    assert in_meeting.send == ()
    assert (in_meeting.held[0].reason, in_meeting.held[0].until) == (
        "meeting",
        MONDAY.replace(hour=11, minute=30).astimezone(UTC),
    )
    # Sat down at 10:00: due at 10:45, in the meeting; given the minute it ends.
    given = wearer.sit_through(MONDAY.replace(hour=10), 120)
    assert given == [(MONDAY.replace(hour=11, minute=30), 0)]


def test_deferring_focus_holds_and_suppressing_focus_drops_the_bout(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger()), "UTC")
    until = AT_10 + 30 * MIN
    deferring = Wearer(engine, Context(focus=Focus(FocusMode.DEFER, until)))
    assert deferring.sit_through(AT_10 - 45 * MIN, 120) == [(until, 0)]
    suppressing = Wearer(engine, Context(focus=Focus(FocusMode.SUPPRESS, until)))
    assert suppressing.sit_through(AT_10 - 45 * MIN, 120) == []
    assert suppressing.context.closed["t"] == AT_10 - 45 * MIN


def test_transport_focus_always_suppresses(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger()), "UTC")
    ctx = Context(focus=Focus(FocusMode.DEFER, AT_10 + 30 * MIN, reason="transport"))
    decision = engine.decide(sat(50, AT_10), ctx)
    assert decision.send == () and decision.held == () and len(decision.suppressed) == 1


def test_no_prompt_while_cycling_even_when_a_sitting_rule_would_fire(tmp_path: Path) -> None:
    engine = Engine(rules(tmp_path, trigger(posture="sedentary")), "UTC")
    riding = sat(90, AT_10, posture=CYCLE)
    assert engine.decide(riding, Context()).send == ()
    assert engine.due(riding) == []


def test_sitless_never_prompts_mid_ride_by_schema(tmp_path: Path) -> None:
    from sitless.errors import RuleError

    with pytest.raises(RuleError, match="never does"):
        rules(tmp_path, trigger(posture="cycling"))


def test_no_prompt_for_nonwear_after_a_ride_or_during_a_long_still_spell(tmp_path: Path) -> None:
    engine = Engine(
        rules(tmp_path, trigger("ride", posture="cycling", kind="ended", min_minutes=20)),
        "UTC",
    )
    assert engine.due(after(CYCLE, 30, AT_10, STAND), Context()) != []
    assert engine.due(after(CYCLE, 30, AT_10, Posture.NONWEAR), Context()) == []
    assert engine.due(after(CYCLE, 30, AT_10, Posture.UNKNOWN), Context()) == []
    bundled = Engine(load_rules(default_rules_path()), "Europe/Berlin")
    assert bundled.due(sat(300, AT_10, posture=Posture.NONWEAR), Context()) == []


def test_an_ended_ride_prompts_once_and_not_on_every_later_event(tmp_path: Path) -> None:
    engine = Engine(
        rules(tmp_path, trigger("ride", posture="cycling", kind="ended", min_minutes=20)),
        "UTC",
    )
    wearer = Wearer(engine)
    first = after(CYCLE, 30, AT_10, STAND)
    assert wearer.step(first) == [("ride", 0)]
    later = first.model_copy(update={"start": AT_10 + MIN, "seq": 2})
    assert engine.due(later) != [], "still within stale_after_minutes of the ride's end"
    assert wearer.step(later) == []


# Daily totals.


def test_daily_sedentary_total_prompts_once_when_reached(tmp_path: Path) -> None:
    engine = Engine(
        rules(tmp_path, trigger("day", posture="sedentary", kind="daily_total", min_minutes=360)),
        "Europe/Berlin",
    )
    assert engine.needs_totals
    totals = DayTotals.of(AT_10, BERLIN)
    ctx = Context(totals=totals)
    wearer = Wearer(engine, ctx)
    totals.seconds[SIT] = 300 * 60
    totals.seconds[LIE] = 59 * 60
    assert wearer.step(sat(1, AT_10, posture=STAND)) == []
    totals.seconds[LIE] = 60 * 60
    assert wearer.step(sat(1, AT_10 + MIN, posture=STAND)) == [("day", 0)]
    assert wearer.step(sat(1, AT_10 + 2 * MIN, posture=STAND)) == []
    (due,) = engine.due(sat(1, AT_10 + 3 * MIN, posture=STAND), Context(totals=totals))
    assert due.bout_start == MONDAY.astimezone(UTC) and due.posture is SIT


def test_day_totals_count_epochs_of_the_local_day_only() -> None:
    ctx = Context(totals=DayTotals.of(MONDAY.replace(hour=23, minute=59), BERLIN))
    last_minute = MONDAY.replace(hour=23, minute=59, second=58)
    ctx.count(last_minute, 1.0, (SIT, SIT, SIT, SIT))  # two epochs fall on Tuesday
    assert ctx.totals is not None and ctx.totals.seconds[SIT] == 2.0


# Without a context the engine keeps its old, stateless answers.


def test_without_a_context_repeats_are_counted_from_when_the_prompt_became_possible(
    tmp_path: Path,
) -> None:
    engine = Engine(rules(tmp_path, trigger(repeat="{every_minutes: 15, max: 2}")), "UTC")
    assert [d.repeat for d in engine.due(sat(75, AT_10))] == [2]
    assert [d.repeat for d in engine.due(sat(75, AT_10), Context())] == [0]
