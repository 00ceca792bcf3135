"""Loading rule files: the bundled defaults, and every kind of broken file."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from service.rules import TriggerKind, default_rules_path, load_rules
from service.rules.load import Problem
from sitless.errors import RuleError

ROUTINE: dict[str, Any] = {"title": "R", "why": "w", "dose": "d", "steps": [{"text": "s"}]}
TRIGGER: dict[str, Any] = {
    "title": "T",
    "message": "M",
    "posture": "sitting",
    "kind": "ongoing",
    "min_minutes": 45,
    "routine": "r",
    "work_hours": {"mon-fri": "09:00-17:30"},
    "repeat": {"every_minutes": 15, "max": 1},
}


def write(folder: Path, name: str, content: dict[str, Any] | str) -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(RuleError) as info:
        load_rules(path)
    problems = info.value.value
    assert isinstance(problems, tuple) and problems
    for p in problems:
        assert str(p) in str(info.value)
    return problems


def valid_dir(folder: Path, **trigger: Any) -> Path:
    write(folder, "routines.yaml", {"routines": {"r": ROUTINE}})
    write(folder, "triggers.yaml", {"triggers": {"t": {**TRIGGER, **trigger}}})
    return folder


# --- the bundled rules ---------------------------------------------------------------


def test_bundled_rules_path_is_the_repository_rules_folder() -> None:
    path = default_rules_path()
    assert path == Path(__file__).resolve().parents[2] / "rules"
    assert sorted(p.name for p in path.glob("*.yaml")) == ["routines.yaml", "triggers.yaml"]


def test_bundled_rules_load_with_the_triggers_the_design_asks_for() -> None:
    rules = load_rules(default_rules_path())
    sitting = rules.triggers["long-sitting"]
    assert (sitting.posture, sitting.kind, sitting.min_minutes) == (
        "sitting",
        TriggerKind.ONGOING,
        45,
    )
    assert sitting.routine == "hip-flexor-reset"
    assert sitting.work_hours == {"mon-fri": "09:00-17:30"}
    assert sitting.repeat is not None and sitting.repeat.every_minutes == 15
    assert rules.routines[sitting.alternative or ""].seated
    ride = rules.triggers["after-ride"]
    assert (ride.posture, ride.kind, ride.min_minutes) == ("cycling", TriggerKind.ENDED, 20)
    assert ride.routine == "post-ride"


def test_bundled_routines_carry_the_doses_from_the_articles() -> None:
    rules = load_rules(default_rules_path())
    stretch = rules.steps["static-hip-flexor-stretch"]
    assert [s.hold_s for s in stretch if s.hold_s] == [15, 15]
    extension = rules.steps["single-leg-hip-extension"]
    assert any(s.reps == "10-12" for s in extension)
    assert any("5 to 10 seconds" in s.text for s in extension)
    assert "Swiss ball" in (rules.routines["single-leg-hip-extension"].easier or "")
    reset = rules.steps["hip-flexor-reset"]
    assert reset == stretch + extension  # stretch first, then the hip extensions
    assert rules.routines["glute-squeeze-release"].seated
    assert "clench all day" in rules.routines["glute-squeeze-release"].dose
    assert (
        rules.steps["post-ride"][: len(rules.steps["glute-release-check"])]
        == rules.steps["glute-release-check"]
    )


def test_a_single_file_loads_too(tmp_path: Path) -> None:
    both = {"routines": {"r": ROUTINE}, "triggers": {"t": TRIGGER}}
    rules = load_rules(write(tmp_path, "all.yml", both))
    assert list(rules.triggers) == ["t"] and list(rules.routines) == ["r"]


# --- broken files: one kind each -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"colour": "red"}, "colour", "unknown field"),
        ({"min_minutes": "three quarters"}, "min_minutes", "valid number"),
        ({"min_minutes": -5}, "min_minutes", "greater than 0"),
        ({"posture": "slouching"}, "posture", "not one of"),
        ({"kind": "sometimes"}, "kind", "ongoing"),
        ({"routine": "yoga"}, "routine", "no routine named 'yoga'"),
        ({"alternative": "nap"}, "alternative", "no routine named 'nap'"),
        ({"work_hours": {"mon-fri": "17:30-09:00"}}, "work_hours.mon-fri", "ends before"),
        ({"work_hours": {"mon-fri": "9 to 5"}}, "work_hours.mon-fri", "HH:MM-HH:MM"),
        ({"work_hours": {"mon-fri": "09:00-25:00"}}, "work_hours.mon-fri", "impossible"),
        ({"work_hours": {"monday-ish": "09:00-17:00"}}, "work_hours.monday-ish", "not understood"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "IANA"),
        ({"kind": "ended"}, "repeat", "only applies to kind: ongoing"),
        ({"repeat": {"every_minutes": 5, "max": 1, "wording": [{}, {}]}}, "repeat", "max allows"),
        ({"answer_within_minutes": []}, "answer_within_minutes", "valid number"),
    ],
)
def test_broken_trigger_names_file_rule_field_and_line(
    tmp_path: Path, change: dict[str, Any], field: str, words: str
) -> None:
    (problem,) = problems_of(valid_dir(tmp_path, **change))
    assert problem.file == str(tmp_path / "triggers.yaml")
    assert (problem.section, problem.rule, problem.field) == ("trigger", "t", field)
    assert words in problem.message
    assert problem.line is not None and problem.line > 1


def test_missing_field_is_named(tmp_path: Path) -> None:
    trigger = {k: v for k, v in TRIGGER.items() if k != "min_minutes"}
    write(tmp_path, "routines.yaml", {"routines": {"r": ROUTINE}})
    write(tmp_path, "triggers.yaml", {"triggers": {"t": trigger}})
    (problem,) = problems_of(tmp_path)
    assert (problem.rule, problem.field, problem.message) == ("t", "min_minutes", "Field required")


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", "triggers:\n  t:\n    title: [unclosed\n    message: M\n")
    (problem,) = problems_of(tmp_path)
    assert problem.file.endswith("bad.yaml")
    assert "YAML syntax" in problem.message
    assert problem.line is not None and problem.line >= 3


def test_key_given_twice_in_one_file_is_refused(tmp_path: Path) -> None:
    text = "triggers:\n  t:\n    title: A\n    title: B\n"
    write(tmp_path, "dup.yaml", text)
    problems = problems_of(tmp_path)
    dup = next(p for p in problems if "twice" in p.message)
    assert (dup.rule, dup.field, dup.line) == ("t", "title", 4)
    assert any(p.field == "message" for p in problems)  # the rest is still checked


def test_name_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    valid_dir(tmp_path)
    write(tmp_path, "zz-more.yaml", {"triggers": {"t": TRIGGER}})
    (problem,) = problems_of(tmp_path)
    assert problem.file.endswith("zz-more.yaml")
    assert (problem.rule, problem.field) == ("t", "(name)")
    assert "triggers.yaml" in problem.message


def test_invalid_rule_name_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "routines.yaml", {"routines": {"r": ROUTINE}})
    write(tmp_path, "triggers.yaml", {"triggers": {"sit/long": TRIGGER}})
    (problem,) = problems_of(tmp_path)
    assert (problem.rule, problem.field) == ("sit/long", "(name)")


def test_routine_that_includes_itself_is_refused(tmp_path: Path) -> None:
    loop = {
        "a": {**ROUTINE, "steps": [{"routine": "b"}]},
        "b": {**ROUTINE, "steps": [{"text": "x"}, {"routine": "a"}]},
    }
    write(tmp_path, "routines.yaml", {"routines": loop})
    problems = problems_of(tmp_path)
    assert {p.rule for p in problems} == {"a", "b"}
    assert all(p.field == "steps" and "includes itself" in p.message for p in problems)


def test_include_of_a_missing_routine_names_the_step(tmp_path: Path) -> None:
    write(tmp_path, "routines.yaml", {"routines": {"r": {**ROUTINE, "steps": [{"routine": "zz"}]}}})
    (problem,) = problems_of(tmp_path)
    assert (problem.section, problem.rule, problem.field) == ("routine", "r", "steps.0.routine")


def test_step_with_both_text_and_routine_is_refused(tmp_path: Path) -> None:
    steps = [{"text": "x", "routine": "r"}]
    write(tmp_path, "routines.yaml", {"routines": {"q": {**ROUTINE, "steps": steps}, "r": ROUTINE}})
    (problem,) = problems_of(tmp_path)
    assert (problem.rule, problem.field) == ("q", "steps.0")


def test_unknown_top_level_key_and_non_mapping_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", {"trigers": {}})
    write(tmp_path, "b.yaml", "- just\n- a list\n")
    problems = problems_of(tmp_path)
    assert [(Path(p.file).name, p.field) for p in problems] == [
        ("a.yaml", "trigers"),
        ("b.yaml", None),
    ]


def test_missing_path_and_empty_directory_are_errors(tmp_path: Path) -> None:
    (missing,) = problems_of(tmp_path / "nope")
    assert "no such file" in missing.message
    (empty,) = problems_of(tmp_path)
    assert "no *.yaml" in empty.message


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", {"routines": {"r": ROUTINE, "q": {**ROUTINE, "seated": "maybe"}}})
    write(tmp_path, "b.yaml", {"triggers": {"t1": {**TRIGGER, "timezone": "Nowhere/Land"}}})
    write(tmp_path, "c.yaml", {"triggers": {"t2": {**TRIGGER, "routine": "gone", "extra": 1}}})
    write(tmp_path, "d.yaml", "triggers: {t3: [\n")
    problems = problems_of(tmp_path)
    found = {(Path(p.file).name, p.rule, p.field) for p in problems}
    assert found == {
        ("a.yaml", "q", "seated"),
        ("b.yaml", "t1", "timezone"),
        ("c.yaml", "t2", "extra"),
        ("d.yaml", None, None),
    }


def test_routine_reference_is_checked_even_when_another_file_is_broken(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "routines: {r: [\n")
    write(tmp_path, "b.yaml", {"triggers": {"t": {**TRIGGER, "routine": "gone"}}})
    problems = problems_of(tmp_path)
    assert any(p.rule == "t" and p.field == "routine" for p in problems)


# --- broken files, generated ---------------------------------------------------------

FIELDS = [k for k in TRIGGER if k not in ("work_hours", "repeat")]
WRONG_VALUES = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from("abc"), st.integers(), min_size=1, max_size=2),
)
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@st.composite
def broken_triggers(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A trigger with exactly one defect, and the field the defect is in."""
    trigger = copy.deepcopy(TRIGGER)
    how = draw(st.sampled_from(["unknown", "wrong_type", "routine", "window", "timezone"]))
    if how == "unknown":
        field = draw(NAMES.filter(lambda n: n not in TRIGGER and n not in _TRIGGER_FIELDS))
        trigger[field] = draw(st.integers())
    elif how == "wrong_type":
        field = draw(st.sampled_from(FIELDS))
        trigger[field] = draw(WRONG_VALUES)
    elif how == "routine":
        field = draw(st.sampled_from(["routine", "alternative"]))
        trigger[field] = draw(NAMES.filter(lambda n: n != "r"))
    elif how == "window":
        h1, h2 = draw(st.integers(0, 23)), draw(st.integers(0, 23))
        bad = draw(st.sampled_from([f"{max(h1, h2):02d}:00-{min(h1, h2):02d}:00", f"{h1}h-{h2}h"]))
        trigger["work_hours"] = {"mon-fri": bad}
        field = "work_hours.mon-fri"
    else:
        trigger["timezone"] = draw(NAMES.map(lambda n: f"Nowhere/{n}"))
        field = "timezone"
    return trigger, field


_TRIGGER_FIELDS = {
    "alternative",
    "answer_within_minutes",
    "stale_after_minutes",
    "timezone",
    "enabled",
}


@settings(max_examples=60, deadline=None)
@given(
    defects=st.lists(broken_triggers(), min_size=1, max_size=4),
    names=st.lists(NAMES, min_size=4, max_size=4, unique=True),
)
def test_generated_broken_triggers_are_all_reported_by_file_rule_and_field(
    defects: list[tuple[dict[str, Any], str]], names: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root, "routines.yaml", {"routines": {"r": ROUTINE}})
        expected = set()
        for i, (trigger, field) in enumerate(defects):
            write(root, f"t{i}.yaml", {"triggers": {names[i]: trigger}})
            expected.add((f"t{i}.yaml", names[i], field))
        with pytest.raises(RuleError) as info:
            load_rules(root)
        problems = info.value.value
        found = {(Path(p.file).name, p.rule, p.field) for p in problems}
        assert found == expected
        for file, rule, field in expected:
            assert file in str(info.value) and repr(rule) in str(info.value)
            assert repr(field) in str(info.value)
