"""The ``sitless`` command line: one Typer app; each command lives in sitless/commands/."""

from __future__ import annotations

import typer

from sitless.commands import ble, classify, demo, eval, export, mqttconf, rules, serve, users

app = typer.Typer(
    name="sitless",
    help="Posture sensing and move prompts for people who sit all day.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)
app.command("demo")(demo.demo)
app.command("classify")(classify.classify)
app.command("eval")(eval.eval_)
app.command("scan")(ble.scan)
app.command("collect")(ble.collect)
app.command("calibrate")(ble.calibrate)
app.command("serve")(serve.serve)
app.add_typer(rules.app, name="rules")
app.add_typer(users.app, name="users")
app.add_typer(mqttconf.app, name="mqtt")
app.add_typer(export.app, name="export")


if __name__ == "__main__":
    app()
