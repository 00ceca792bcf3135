"""The rule-file schema: its published JSON Schema, and the work-hours notation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.rules import json_schema_text
from service.rules.schema import (
    SEDENTARY_GROUP,
    parse_days,
    parse_windows,
    work_week,
)
from sitless.wire import Posture

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "rules.schema.json"


def test_published_json_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema_text(), (
        "docs/rules.schema.json is stale: run `sitless rules schema --out docs/rules.schema.json`"
    )


def test_json_schema_refuses_unknown_fields_and_lists_posture_names_from_the_enum() -> None:
    schema = json.loads(json_schema_text())
    trigger = schema["$defs"]["Trigger"]
    assert trigger["additionalProperties"] is False
    names = trigger["properties"]["posture"]["enum"]
    assert set(names) - {SEDENTARY_GROUP} <= {p.value for p in Posture}
    assert {"sitting", "cycling", "sedentary"} <= set(names)
    assert Posture.NONWEAR.value not in names


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("daily", {0, 1, 2, 3, 4, 5, 6}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        ("Fri-Mon", {4, 5, 6, 0}),
        ("mon, wed-thu", {0, 2, 3}),
    ],
)
def test_day_specs(spec: str, days: set[int]) -> None:
    assert parse_days(spec) == days


@pytest.mark.parametrize("spec", ["weekdays", "mon-", "mon-tue-wed", ""])
def test_bad_day_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="not understood"):
        parse_days(spec)


def test_windows_are_seconds_after_midnight_and_24_00_ends_the_day() -> None:
    assert parse_windows("09:00-12:00, 13:00-17:30") == ((9 * 3600, 12 * 3600), (13 * 3600, 63000))
    assert parse_windows("22:00-24:00") == ((22 * 3600, 86400),)


@pytest.mark.parametrize(
    "spec", ["17:00-09:00", "09:00-09:00", "24:00-24:00", "9-17", "09:60-10:00"]
)
def test_bad_windows_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="time window"):
        parse_windows(spec)


def test_work_week_merges_overlapping_windows_per_day() -> None:
    week = work_week({"mon-fri": "09:00-12:00", "mon": "11:00-13:00, 14:00-15:00"})
    assert week[0] == ((9 * 3600, 13 * 3600), (14 * 3600, 15 * 3600))
    assert week[1] == ((9 * 3600, 12 * 3600),)
    assert week[6] == ()
