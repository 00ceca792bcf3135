"""``sitless classify``: run the streaming posture classifier over a recording."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from collector.posture import FILE_CHUNK_S, Calibration, Epoch, PostureClassifier
from collector.sources import Replay
from sitless.errors import FrameError
from sitless.wire.posture import Posture

# Files smaller than this finish before a progress bar would be worth drawing.
PROGRESS_MIN_BYTES = 2_000_000


def classify(
    file: Annotated[
        Path,
        typer.Argument(
            help="Recording to classify: CSV or gzip-compressed CSV whose header names"
            " t (seconds), ax, ay, az (g); other columns are ignored.",
            metavar="FILE",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="OUT.csv",
            help="Write the epochs here instead of to standard output. Postures: "
            + ", ".join(Posture)
            + ".",
        ),
    ] = None,
    stand_first: Annotated[
        float,
        typer.Option(
            "--stand-first",
            metavar="SECONDS",
            min=0.0,
            help="The recording starts with the wearer standing still for this long:"
            " calibrate from it instead of waiting for the first walk.",
        ),
    ] = 0.0,
    prescan: Annotated[
        bool,
        typer.Option(
            "--prescan/--no-prescan",
            help="Read the file twice: learn the sensor's orientation from all of it,"
            " then classify with that calibration from the first second (as with a"
            " calibration stored from an earlier day). Without it, still postures before"
            " the first walk are judged from the gravity directions seen so far.",
        ),
    ] = False,
) -> None:
    """Classify a thigh accelerometer recording into 1-second posture epochs.

    Writes one CSV row per epoch: t_start,t_end,posture (seconds on the file's t scale).

    Same causal classifier as the collector: each epoch is decided within 2 s of its end.

    A bad file or row is reported as FILE:LINE: reason, with exit code 2.
    """
    console = Console(stderr=True)
    try:
        source = Replay(file)
        calibration = _standing_calibration(source, stand_first) if stand_first > 0 else None
        if prescan:
            calibration = _learn_calibration(source, calibration, console)
        with _output(out) as sink:
            sink.write("t_start,t_end,posture\n")
            for epoch in _epochs(source, calibration, console):
                sink.write(f"{epoch.t_start:.3f},{epoch.t_end:.3f},{epoch.posture}\n")
            sink.flush()
    except FrameError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python from
        # complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except OSError as exc:
        typer.echo(f"error: cannot write {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None


def _epochs(source: Replay, calibration: Calibration | None, console: Console) -> Iterator[Epoch]:
    classifier = PostureClassifier(source.rate_hz, calibration)
    with _progress(console, source, "classifying") as advance:
        for chunk in source.chunks(FILE_CHUNK_S):
            yield from classifier.feed(chunk.t, chunk.accel_g)
            advance()
    yield from classifier.flush()


def _learn_calibration(
    source: Replay, calibration: Calibration | None, console: Console
) -> Calibration | None:
    classifier = PostureClassifier(source.rate_hz, calibration)
    with _progress(console, source, "calibrating") as advance:
        for chunk in source.chunks(FILE_CHUNK_S):
            classifier.feed(chunk.t, chunk.accel_g)
            advance()
    classifier.flush()
    return classifier.calibration


def _standing_calibration(source: Replay, seconds: float) -> Calibration:
    t0: float | None = None
    parts = []
    for chunk in source.chunks(min(seconds, FILE_CHUNK_S)):
        if t0 is None:
            t0 = float(chunk.t[0])
        keep = chunk.t < t0 + seconds
        parts.append(chunk.accel_g[keep])
        if not keep.all():
            break
    return Calibration.from_standing(np.concatenate(parts))


@contextmanager
def _output(out: Path | None) -> Iterator[TextIO]:
    """Standard output, or ``out`` written in full or not at all (via a temporary file)."""
    if out is None:
        yield sys.stdout
        return
    partial = out.with_name(out.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as sink:
            yield sink
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _progress(console: Console, source: Replay, what: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for long files on a terminal; yields a step function."""
    if not console.is_terminal or source.bytes_total < PROGRESS_MIN_BYTES:
        yield lambda: None
        return
    columns = (
        TextColumn(f"{what} {source.name}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(what, total=source.bytes_total)
        yield lambda: progress.update(task, completed=source.bytes_read)
