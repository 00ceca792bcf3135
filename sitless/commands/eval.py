"""``sitless eval``: score the streaming posture classifier on labelled recordings."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.columns import Columns
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from collector.eval import baseline as actimotus
from collector.eval.runs import Recording, Run, load, run_baseline, run_ours
from collector.eval.score import PREDICTED, ROWS, Score
from collector.eval.truth import MARGIN_S, SCORED
from sitless.errors import FrameError

OURS = "sitless"
# The targets of the accuracy issue, shown next to the pooled figures.
TARGET_BALANCED_ACCURACY = 0.99
TARGET_POOLED_ERROR_PCT = 2.0
TARGET_FILE_ERROR_PCT = 5.0
TARGET_CYCLING_F1 = 0.97
TARGET_CYCLING_SEDENTARY = 0.01


class Baseline(StrEnum):
    """Peer classifiers ``sitless eval`` can run beside ours."""

    ACTIMOTUS = "actimotus"


def eval_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Labelled recordings (t,ax,ay,az,label,source_label; CSV or gzip CSV),"
            " or folders of them (every *.csv and *.csv.gz inside).",
            metavar="PATH...",
            show_default=False,
        ),
    ],
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json",
            metavar="OUT.json",
            help="Also write every figure shown (per file and pooled) to this file.",
        ),
    ] = None,
    baseline: Annotated[
        Baseline | None,
        typer.Option(
            "--baseline",
            help="Also run this peer on the same files and show it side by side."
            " actimotus: ActiMotus (pip install acti-motus), given the sensor axes"
            " measured from each file's labels, seeing the whole file at once.",
            case_sensitive=False,
        ),
    ] = None,
    margin_s: Annotated[
        float,
        typer.Option(
            "--margin",
            metavar="SECONDS",
            min=0.0,
            help="Epochs this close to a change of source_label are not scored.",
        ),
    ] = MARGIN_S,
    per_file: Annotated[
        bool,
        typer.Option(
            "--per-file/--summary",
            help="Show each file's confusion matrix and figures, or only the summary.",
        ),
    ] = True,
) -> None:
    """Score the posture classifier on labelled recordings.

    Runs exactly the streaming classifier of the collector and `sitless classify` (cold:
    no calibration given, causal, five-minute chunks) and prints, per file and pooled: the
    confusion matrix over lying, sitting, standing, walking, running, cycling; precision,
    recall and F1 per posture; sedentary (sitting + lying) vs not balanced accuracy;
    cycling F1 and the share of cycling called sedentary; sedentary minutes predicted vs
    labelled, with the error in percent.

    Scoring rules: each 1-s epoch takes the label of most of its samples. Epochs within
    --margin seconds (default 5) of a change of source_label are not scored (the
    recordings join separate takes). stairs count as walking, transport as sitting.
    other (rowing, jumping, ...) is never dropped: it gets a row of its own, outside
    every figure. unknown and nonwear are errors whatever the truth: a sedentary epoch
    called unknown counts against sensitivity, a standing one against specificity.

    A bad file is reported as FILE:LINE: reason, with exit code 2.
    """
    out = Console()
    err = Console(stderr=True)
    files = _files(paths)
    if not files:
        typer.echo("error: no *.csv or *.csv.gz recordings in the given paths", err=True)
        raise typer.Exit(2)
    if baseline is Baseline.ACTIMOTUS and not actimotus.available():
        typer.echo(f"error: ActiMotus is not installed: {actimotus.INSTALL_HINT}", err=True)
        raise typer.Exit(2)
    results: list[dict[str, Any]] = []
    pooled: dict[str, Score] = {}
    try:
        with _progress(err, len(files)) as step:
            for path in files:
                rec = load(path, margin_s=margin_s)
                runs = {OURS: run_ours(rec, partial(_half_step, step, path))}
                if baseline is not None:
                    runs[baseline.value] = run_baseline(rec)
                step(path, 1.0)
                results.append(_file_entry(rec, runs))
                for name, run in runs.items():
                    pooled[name] = pooled.get(name, Score()) + run.score
                if per_file:
                    out.print(_file_view(rec, runs))
    except FrameError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    out.print(_pooled_view(pooled, len(files)))
    out.print(_summary_table(results, list(pooled)))
    if json_out is not None:
        document = {
            "rules": {
                "epoch_s": 1.0,
                "epoch_label": "majority of its samples",
                "margin_s": margin_s,
                "mapped": {"stairs": "walking", "transport": "sitting"},
                "other": "reported apart, outside every figure",
                "unknown_and_nonwear": "errors whatever the truth",
                "baseline": None if baseline is None else baseline.value,
            },
            "files": results,
            "pooled": {name: score.to_dict() for name, score in pooled.items()},
        }
        try:
            json_out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            typer.echo(f"error: cannot write {json_out}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None


def _half_step(step: Callable[[Path, float], None], path: Path, share: float) -> None:
    """Our classifier's progress is the first half of a file's share of the bar."""
    step(path, share * 0.5)


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(q for q in p.iterdir() if q.name.endswith((".csv", ".csv.gz"))))
        else:
            found.append(p)
    return found


@contextmanager
def _progress(console: Console, files: int) -> Iterator[Callable[[Path, float], None]]:
    """A bar over the files (each file's share as it is classified); yields a step."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scoring", total=files)
        done = [0]

        def step(path: Path, share: float) -> None:
            progress.update(task, description=f"scoring {path.name}", completed=done[0] + share)
            if share >= 1.0:
                done[0] += 1

        yield step


def _file_entry(rec: Recording, runs: dict[str, Run]) -> dict[str, Any]:
    return {
        "path": str(rec.path),
        "rate_hz": rec.rate_hz,
        "samples": rec.samples,
        "minutes": round(rec.samples / rec.rate_hz / 60.0, 3),
        **{
            name: run.score.to_dict() | {"seconds": round(run.seconds, 3)}
            for name, run in runs.items()
        },
    }


def _pct(x: float, digits: int = 1) -> str:
    return "—" if math.isnan(x) else f"{100 * x:.{digits}f}%"


def _ratio(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.3f}"


def _signed(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:+.1f}%"


def _confusion(score: Score, title: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("truth \\ called", style="bold")
    for p in PREDICTED:
        table.add_column(p.value[:5], justify="right")
    for i, row in enumerate(ROWS):
        cells = [
            f"[bold]{n}[/]" if i == j and n else (str(n) if n else "[dim]·[/]")
            for j, n in enumerate(score.counts[i])
        ]
        table.add_row(row if i < len(SCORED) else f"[dim]{row}[/]", *cells)
    return table


def _figures(scores: dict[str, Score]) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("figure", style="bold")
    for name in scores:
        table.add_column(name, justify="right")

    def row(label: str, fn: Callable[[Score], str]) -> None:
        table.add_row(label, *(fn(s) for s in scores.values()))

    row("sedentary balanced accuracy", lambda s: _ratio(s.sedentary_balanced_accuracy))
    row(
        "  sensitivity / specificity",
        lambda s: f"{_ratio(s.sedentary_sensitivity)} / {_ratio(s.sedentary_specificity)}",
    )
    row(
        "sedentary min called / labelled",
        lambda s: f"{s.sedentary_min_predicted:.1f} / {s.sedentary_min_labelled:.1f}",
    )
    row("sedentary time error", lambda s: _signed(s.sedentary_error_pct))
    row("cycling F1", lambda s: _ratio(s.cycling_f1))
    row("cycling called sedentary", lambda s: _pct(s.cycling_called_sedentary, 2))
    row("accuracy (6 postures)", lambda s: _ratio(s.accuracy))
    row("unknown", lambda s: _pct(s.unknown_share))
    for i, p in enumerate(SCORED):
        row(f"{p.value} P / R / F1", partial(_class_figures, i))
    row(
        "epochs scored / other / ignored",
        lambda s: f"{int(s.scored.sum())} / {int(s.other.sum())} / {s.ignored}",
    )
    return table


def _file_view(rec: Recording, runs: dict[str, Run]) -> Panel:
    minutes = rec.samples / rec.rate_hz / 60.0
    title = f"{rec.name} — {rec.rate_hz:g} Hz, {minutes:.1f} min"
    matrices = Columns([_confusion(run.score, name) for name, run in runs.items()], padding=4)
    body = Group(matrices, "", _figures({name: run.score for name, run in runs.items()}))
    return Panel(body, title=title, title_align="left")


def _class_figures(i: int, s: Score) -> str:
    return f"{_ratio(s.precision(i))} / {_ratio(s.recall(i))} / {_ratio(s.f1(i))}"


def _pooled_view(pooled: dict[str, Score], files: int) -> Panel:
    matrices = Columns([_confusion(score, name) for name, score in pooled.items()], padding=4)
    targets = Table(title="targets (pooled)", title_justify="left", show_edge=False)
    targets.add_column("target", style="bold")
    for name in pooled:
        targets.add_column(name, justify="right")
    checks: list[
        tuple[str, Callable[[Score], float], Callable[[float], bool], Callable[[float], str]]
    ] = [
        (
            f"sedentary balanced accuracy ≥ {TARGET_BALANCED_ACCURACY}",
            lambda s: s.sedentary_balanced_accuracy,
            lambda v: v >= TARGET_BALANCED_ACCURACY,
            _ratio,
        ),
        (
            f"|sedentary time error| ≤ {TARGET_POOLED_ERROR_PCT:g}%",
            lambda s: s.sedentary_error_pct,
            lambda v: abs(v) <= TARGET_POOLED_ERROR_PCT,
            _signed,
        ),
        (
            f"cycling F1 ≥ {TARGET_CYCLING_F1}",
            lambda s: s.cycling_f1,
            lambda v: v >= TARGET_CYCLING_F1,
            _ratio,
        ),
        (
            f"cycling called sedentary < {100 * TARGET_CYCLING_SEDENTARY:g}%",
            lambda s: s.cycling_called_sedentary,
            lambda v: v < TARGET_CYCLING_SEDENTARY,
            lambda v: _pct(v, 2),
        ),
    ]
    for label, value, ok, fmt in checks:
        cells = []
        for score in pooled.values():
            v = value(score)
            mark = "" if math.isnan(v) else (" [green]✓[/]" if ok(v) else " [red]✗[/]")
            cells.append(fmt(v) + mark)
        targets.add_row(label, *cells)
    body = Group(matrices, "", _figures(pooled), "", targets)
    return Panel(body, title=f"pooled over {files} file(s)", title_align="left")


def _summary_table(results: list[dict[str, Any]], names: list[str]) -> Table:
    table = Table(title="per file", title_justify="left")
    table.add_column("file")
    for name in names:
        for label in ("sed BA", "sed err", "cyc F1", "cyc→sed", "unknown"):
            table.add_column(f"{name}\n{label}", justify="right")
    for entry in results:
        cells = [Path(entry["path"]).name]
        for name in names:
            d = entry[name]
            err_pct = d["sedentary"]["error_pct"]
            err_cell = "—" if err_pct is None else f"{err_pct:+.1f}%"
            if err_pct is not None and abs(err_pct) > TARGET_FILE_ERROR_PCT:
                err_cell = f"[red]{err_cell}[/]"
            cells += [
                _fmt(d["sedentary"]["balanced_accuracy"], "{:.3f}"),
                err_cell,
                _fmt(d["cycling"]["f1"], "{:.3f}"),
                _fmt(d["cycling"]["called_sedentary"], "{:.2%}"),
                _fmt(d["unknown_share"], "{:.1%}"),
            ]
        table.add_row(*cells)
    return table


def _fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)
