"""The rules engine: which prompts are due at the end of a posture event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.rules import Engine, RuleSet, default_rules_path, load_rules
from sitless.errors import ConfigError
from sitless.wire import Bout, Posture, PostureEvent, decode, encode, prompt_id

SIT, STAND, CYCLE, LIE = Posture.SITTING, Posture.STANDING, Posture.CYCLING, Posture.LYING
BERLIN = ZoneInfo("Europe/Berlin")
# Monday 6 May 2024; Berlin is UTC+2 then.
MONDAY = datetime(2024, 5, 6, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def bundled() -> RuleSet:
    return load_rules(default_rules_path())


@pytest.fixture(scope="module")
def engine(bundled: RuleSet) -> Engine:
    return Engine(bundled, "Europe/Berlin")


def sitting_for(
    minutes: float, now: datetime, posture: Posture = SIT, **kw: object
) -> PostureEvent:
    """A one-epoch event ending at ``now`` in a bout that began ``minutes`` ago."""
    return PostureEvent(
        wearer="ann",
        device="thigh",
        seq=1,
        start=now - timedelta(seconds=1),
        postures=(posture,),
        since=now - timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )


def after_ride(ride_min: float, now: datetime, current: Posture = STAND) -> PostureEvent:
    since = now - timedelta(seconds=1)
    return PostureEvent(
        wearer="ann",
        device="thigh",
        seq=1,
        start=since,
        postures=(current,),
        since=since,
        prior=Bout(posture=CYCLE, start=since - timedelta(minutes=ride_min)),
    )


def rules(tmp_path: Path, text: str) -> RuleSet:
    routines = "routines:\n  r:\n    title: R\n    why: w\n    dose: d\n    steps: [{text: s}]\n"
    (tmp_path / "routines.yaml").write_text(routines)
    (tmp_path / "triggers.yaml").write_text(text)
    return load_rules(tmp_path)


AT_10 = MONDAY.replace(hour=10)


def test_sitting_44_minutes_is_not_yet_due(engine: Engine) -> None:
    assert engine.due(sitting_for(44, AT_10)) == []


def test_sitting_45_minutes_prompts_the_hip_flexor_reset(engine: Engine) -> None:
    (due,) = engine.due(sitting_for(45, AT_10))
    assert (due.rule, due.routine, due.repeat) == ("long-sitting", "hip-flexor-reset", 0)
    assert due.alternative == "glute-squeeze-release"
    assert due.title == "Time to stand up"
    assert due.bout_start == AT_10 - timedelta(minutes=45)
    assert due.posture is SIT
    assert due.answer_within_s == 600
    assert any("15" in s.text or s.hold_s == 15 for s in due.steps)


def test_still_sitting_15_minutes_later_repeats_with_gentler_words(engine: Engine) -> None:
    first = engine.due(sitting_for(45, AT_10))[0]
    (again,) = engine.due(sitting_for(60, AT_10 + timedelta(minutes=15)))
    assert again.repeat == 1
    assert again.bout_start == first.bout_start
    assert again.title == "Still sitting?"
    assert again.title != first.title and again.message != first.message
    assert again.prompt_id("ann") != first.prompt_id("ann")


def test_repeats_stop_at_max(engine: Engine) -> None:
    (due,) = engine.due(sitting_for(300, AT_10 + timedelta(hours=4)))
    assert due.repeat == 2


def test_same_condition_gives_the_same_prompt_id(engine: Engine) -> None:
    a = engine.due(sitting_for(50, AT_10))[0]
    b = engine.due(sitting_for(55, AT_10 + timedelta(minutes=5)))[0]
    assert a.prompt_id("ann") == b.prompt_id("ann") == prompt_id("ann", a.rule, a.bout_start, 0)


def test_outside_work_hours_nothing_is_due(engine: Engine) -> None:
    evening = MONDAY.replace(hour=19)
    saturday = AT_10 + timedelta(days=5)
    assert engine.due(sitting_for(120, evening)) == []
    assert engine.due(sitting_for(120, saturday)) == []


def test_work_hours_end_at_their_end_minute(engine: Engine) -> None:
    assert engine.due(sitting_for(60, MONDAY.replace(hour=17, minute=29))) != []
    assert engine.due(sitting_for(60, MONDAY.replace(hour=17, minute=30))) == []


def test_first_prompt_of_the_day_uses_first_wording_even_after_sitting_before_work(
    engine: Engine,
) -> None:
    nine = MONDAY.replace(hour=9)
    (due,) = engine.due(sitting_for(90, nine))
    assert due.repeat == 0
    (later,) = engine.due(sitting_for(105, nine + timedelta(minutes=15)))
    assert later.repeat == 1


def test_timezone_of_the_rule_decides_work_hours(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        "triggers:\n  t:\n    title: T\n    message: M\n    posture: sitting\n"
        "    kind: ongoing\n    min_minutes: 45\n    routine: r\n"
        "    work_hours: {mon-fri: '09:00-17:00'}\n    timezone: America/New_York\n",
    )
    engine = Engine(ruleset, "Europe/Berlin")
    # 10:00 in Berlin is 04:00 in New York: outside; 16:00 in Berlin is 10:00 there.
    assert engine.due(sitting_for(60, AT_10)) == []
    assert len(engine.due(sitting_for(60, MONDAY.replace(hour=16)))) == 1


def test_default_timezone_applies_when_the_rule_names_none(bundled: RuleSet) -> None:
    tokyo = Engine(bundled, ZoneInfo("Asia/Tokyo"))
    # 10:00 Berlin = 17:00 Tokyo, inside 09:00-17:30 there; 11:00 Berlin = 18:00 Tokyo.
    assert len(tokyo.due(sitting_for(60, AT_10))) == 1
    assert tokyo.due(sitting_for(60, MONDAY.replace(hour=11))) == []


def test_unknown_default_timezone_is_a_config_error(bundled: RuleSet) -> None:
    with pytest.raises(ConfigError, match="Mars/Base"):
        Engine(bundled, "Mars/Base")


def test_other_postures_do_not_trigger_the_sitting_rule(engine: Engine) -> None:
    assert engine.due(sitting_for(120, AT_10, posture=STAND)) == []
    assert engine.due(sitting_for(120, AT_10, posture=LIE)) == []


def test_cycling_bout_of_20_minutes_that_ended_prompts_the_post_ride_routine(
    engine: Engine,
) -> None:
    evening = MONDAY.replace(hour=19)  # any time: the ride rule has no work hours
    (due,) = engine.due(after_ride(20, evening))
    assert (due.rule, due.routine, due.repeat, due.posture) == ("after-ride", "post-ride", 0, CYCLE)
    assert due.bout_start == evening - timedelta(seconds=1) - timedelta(minutes=20)


def test_ride_shorter_than_20_minutes_prompts_nothing(engine: Engine) -> None:
    assert engine.due(after_ride(19.5, MONDAY.replace(hour=19))) == []


def test_ongoing_ride_is_not_an_ended_ride(engine: Engine) -> None:
    assert engine.due(sitting_for(40, MONDAY.replace(hour=19), posture=CYCLE)) == []


def test_ended_ride_goes_stale_when_it_could_not_be_prompted_in_time(engine: Engine) -> None:
    now = MONDAY.replace(hour=19)
    since = now - timedelta(minutes=31)
    late = PostureEvent(
        wearer="ann",
        device="thigh",
        seq=1,
        start=now - timedelta(seconds=1),
        postures=(STAND,),
        since=since,
        prior=Bout(posture=CYCLE, start=since - timedelta(minutes=40)),
    )
    assert engine.due(late) == []


def test_sedentary_bout_runs_on_through_sitting_then_lying(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        "triggers:\n  s:\n    title: T\n    message: M\n    posture: sedentary\n"
        "    kind: ongoing\n    min_minutes: 60\n    routine: r\n",
    )
    engine = Engine(ruleset, "UTC")
    now = AT_10
    lying = sitting_for(
        30, now, posture=LIE, prior=Bout(posture=SIT, start=now - timedelta(minutes=70))
    )
    (due,) = engine.due(lying)
    assert due.bout_start == now - timedelta(minutes=70)
    assert due.posture is LIE


def test_disabled_trigger_never_fires(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        "triggers:\n  t:\n    title: T\n    message: M\n    posture: sitting\n"
        "    kind: ongoing\n    min_minutes: 1\n    routine: r\n    enabled: false\n",
    )
    assert Engine(ruleset, "UTC").due(sitting_for(60, AT_10)) == []


def test_repeat_past_the_wording_list_reuses_its_last_entry(tmp_path: Path) -> None:
    ruleset = rules(
        tmp_path,
        "triggers:\n  t:\n    title: First\n    message: M\n    posture: sitting\n"
        "    kind: ongoing\n    min_minutes: 10\n    routine: r\n"
        "    repeat: {every_minutes: 5, max: 3, wording: [{title: Again}]}\n",
    )
    engine = Engine(ruleset, "UTC")
    titles = [engine.due(sitting_for(m, AT_10))[0] for m in (10, 15, 20, 25)]
    assert [(d.repeat, d.title, d.message) for d in titles] == [
        (0, "First", "M"),
        (1, "Again", "M"),
        (2, "Again", "M"),
        (3, "Again", "M"),
    ]


def test_due_builds_a_valid_wire_prompt(engine: Engine) -> None:
    due = engine.due(sitting_for(45, AT_10))[0]
    at = AT_10.astimezone(UTC)
    prompt = due.prompt("ann", "thigh", at)
    assert prompt.id == due.prompt_id("ann")
    assert prompt.steps == due.steps and prompt.steps
    assert prompt.answer_within_s == 600
    assert decode("sitless/v1/ann/prompt", encode(prompt)) == prompt


@settings(max_examples=200, deadline=None)
@given(minutes=st.floats(1 / 60, 600), offset_min=st.integers(0, 7 * 24 * 60))
def test_due_repeat_never_exceeds_max_nor_precedes_min(
    engine: Engine, minutes: float, offset_min: int
) -> None:
    now = MONDAY + timedelta(minutes=offset_min)
    for due in engine.due(sitting_for(minutes, now)):
        assert minutes >= 45
        assert 0 <= due.repeat <= 2
        local = now.astimezone(BERLIN)
        assert local.weekday() < 5 and (9, 0) <= (local.hour, local.minute) < (17, 30)
