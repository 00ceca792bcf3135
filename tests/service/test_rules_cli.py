"""``sitless rules check`` and ``sitless rules schema``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.rules import json_schema_text
from sitless.commands.rules import app

runner = CliRunner()


def test_check_of_bundled_rules_shows_triggers_and_routines() -> None:
    result = runner.invoke(app, ["check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("long-sitting", "after-ride", "hip-flexor-reset", "post-ride", "all valid"):
        assert name in result.output


def test_check_of_broken_rules_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("triggers:\n  t:\n    title: T\n    colour: red\n")
    (tmp_path / "b.yaml").write_text("routines: [\n")
    result = runner.invoke(app, ["check", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    for text in ("a.yaml", "b.yaml", "trigger t", "colour", "min_minutes", "YAML syntax"):
        assert text in result.output


def test_schema_writes_the_json_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code == 0
    assert out.read_text() == json_schema_text()
