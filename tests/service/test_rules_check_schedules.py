"""``sitless rules check`` on the schedule and limit fields: shown when valid, and each
mistake named by file, rule and field."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.rules import default_rules_path
from sitless.commands.rules import app

runner = CliRunner()


def test_check_shows_lunch_quiet_hours_cooldown_max_and_daily_totals() -> None:
    result = runner.invoke(app, ["check"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    for text in (
        "lunch 12:00-13:00",
        "cooldown 20 min",
        "max 8/day",
        "sedentary 360 min today",
        "quiet daily 21:00-24:00",
        "evening-reset",
    ):
        assert text in result.output


def test_each_bad_schedule_or_limit_is_named_by_file_rule_and_field(tmp_path: Path) -> None:
    (tmp_path / "routines.yaml").write_text((default_rules_path() / "routines.yaml").read_text())
    (tmp_path / "mine.yaml").write_text(
        "triggers:\n"
        "  late:\n"
        "    title: T\n    message: M\n    posture: sitting\n    kind: ongoing\n"
        "    min_minutes: 45\n    routine: hip-flexor-reset\n"
        "    lunch: '13:00-12:00'\n"
        "    quiet_hours: {weekdays: '22:00-24:00'}\n"
        "    max_per_day: 0\n"
        "    cooldown_minutes: -5\n"
        "  ride:\n"
        "    title: T\n    message: M\n    posture: cycling\n    kind: ongoing\n"
        "    min_minutes: 20\n    routine: post-ride\n"
        "  day:\n"
        "    title: T\n    message: M\n    posture: sedentary\n    kind: daily_total\n"
        "    min_minutes: 360\n    routine: post-ride\n"
        "    repeat: {every_minutes: 10, max: 1}\n"
        "  alt:\n"
        "    title: T\n    message: M\n    posture: sitting\n    kind: ongoing\n"
        "    min_minutes: 45\n    routine: post-ride\n    alternative: post-ride\n"
    )
    result = runner.invoke(app, ["check", str(tmp_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()

    def row(rule: str, field: str, words: str) -> bool:
        return any("mine.yaml" in ln and rule in ln and field in ln and words in ln for ln in lines)

    assert row("trigger late", "lunch", "ends before it starts")
    assert row("trigger late", "quiet_hours", "not understood")
    assert row("trigger late", "max_per_day", "greater than or equal to 1")
    assert row("trigger late", "cooldown_minutes", "greater than or equal to 0")
    assert row("trigger ride", "", "never does")
    assert row("trigger day", "", "does not apply to kind daily_total")
    assert row("trigger alt", "alternative", "not marked seated")
