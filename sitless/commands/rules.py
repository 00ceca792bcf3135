"""``sitless rules``: check rule files, and write their JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from service.rules import RuleSet, TriggerKind, default_rules_path, json_schema_text, load_rules
from service.rules.load import Problem
from sitless.errors import RuleError

app = typer.Typer(
    help="Check the rule files (triggers and routines) and write their JSON Schema.",
    no_args_is_help=True,
)


@app.command()
def check(
    path: Annotated[
        Path | None,
        typer.Argument(help="A rule file or a directory of *.yaml files; default: bundled."),
    ] = None,
) -> None:
    """Load the rules and show their triggers and routines, or every problem (exit 2)."""
    console = Console()
    where = path if path is not None else default_rules_path()
    try:
        ruleset = load_rules(where)
    except RuleError as exc:
        problems = exc.value if isinstance(exc.value, tuple) else ()
        console.print(_problems(problems) if problems else str(exc))
        console.print(f"[red]{len(problems) or 1} problem(s) in {where}[/red]")
        raise typer.Exit(2) from None
    console.print(_triggers(ruleset))
    console.print(_routines(ruleset))
    console.print(
        f"[green]{where}: {len(ruleset.triggers)} triggers, {len(ruleset.routines)} routines,"
        " all valid[/green]"
    )


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option(help="Write to this file (docs/rules.schema.json).")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of a rule file."""
    text = json_schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def _problems(problems: tuple[Problem, ...]) -> Table:
    table = Table(title="Problems")
    for column in ("file", "line", "rule", "field", "problem"):
        table.add_column(column, overflow="fold")
    for p in problems:
        rule = f"{p.section} {p.rule}" if p.rule is not None else ""
        line = "" if p.line is None else str(p.line)
        table.add_row(p.file, line, rule, p.field or "", p.message)
    return table


def _triggers(ruleset: RuleSet) -> Table:
    table = Table(title="Triggers")
    for column in ("name", "when", "routine", "alternative", "repeat", "hours", "limits", "on"):
        table.add_column(column, overflow="fold")
    for name, t in ruleset.triggers.items():
        if t.kind is TriggerKind.DAILY_TOTAL:
            when = f"{t.posture} {t.min_minutes:g} min today"
        else:
            verb = "for" if t.kind is TriggerKind.ONGOING else "ended after"
            when = f"{t.posture} {verb} {t.min_minutes:g} min"
        repeat = f"every {t.repeat.every_minutes:g} min x{t.repeat.max}" if t.repeat else ""
        hours = "; ".join(f"{d} {w}" for d, w in (t.work_hours or {}).items()) or "any time"
        if t.quiet_hours:
            hours += "; quiet " + "; ".join(f"{d} {w}" for d, w in t.quiet_hours.items())
        if t.lunch:
            hours += f"; lunch {t.lunch}"
        if t.timezone:
            hours += f" ({t.timezone})"
        limits = []
        if t.cooldown_minutes:
            limits.append(f"cooldown {t.cooldown_minutes:g} min")
        if t.max_per_day is not None:
            limits.append(f"max {t.max_per_day}/day")
        table.add_row(
            name,
            when,
            t.routine,
            t.alternative or "",
            repeat,
            hours,
            ", ".join(limits),
            "yes" if t.enabled else "no",
        )
    return table


def _routines(ruleset: RuleSet) -> Table:
    table = Table(title="Routines")
    for column in ("name", "title", "steps", "seated", "dose"):
        table.add_column(column, overflow="fold")
    for name, r in ruleset.routines.items():
        table.add_row(
            name,
            r.title,
            str(len(ruleset.steps.get(name, ()))),
            "yes" if r.seated else "",
            r.dose,
        )
    return table
