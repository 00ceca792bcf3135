"""Epochs, bouts and prompts as tables, written as CSV (streamed) or Parquet.

Times are UTC: ISO 8601 with ``Z`` in CSV, ``timestamp[s, UTC]`` in Parquet (``time``
columns of epochs and bouts are whole seconds; prompt times keep their microseconds as
``timestamp[us, UTC]``). Bouts are clipped to the span asked for, with overlaps resolved
as the day view resolves them, so summing ``duration_s`` gives the dashboard's minutes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from service.bouts import BoutSpan, Span, _normalize
from service.trends import answered

Kind = Literal["time", "time_us", "text", "float", "int", "bool"]
_ARROW: dict[str, pa.DataType] = {
    "time": pa.timestamp("s", tz="UTC"),
    "time_us": pa.timestamp("us", tz="UTC"),
    "text": pa.string(),
    "float": pa.float64(),
    "int": pa.int32(),
    "bool": pa.bool_(),
}
_BATCH = 65_536


class TableName(StrEnum):
    """The tables one can export."""

    EPOCHS = "epochs"
    BOUTS = "bouts"
    PROMPTS = "prompts"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, its kind and what it holds."""

    name: str
    kind: Kind
    description: str


@dataclass(frozen=True, slots=True)
class Table:
    """A named table whose rows are produced lazily (epochs can be millions)."""

    name: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple[Any, ...]]


EPOCH_COLUMNS = (
    Column("wearer", "text", "Wearer id."),
    Column("time", "time", "Start of the 1-s epoch, UTC."),
    Column("posture", "text", "Posture during the epoch."),
)
BOUT_COLUMNS = (
    Column("wearer", "text", "Wearer id."),
    Column("posture", "text", "Posture of the bout."),
    Column("start", "time", "Start, UTC (clipped to the span exported)."),
    Column("end", "time", "End, UTC (clipped to the span exported)."),
    Column("duration_s", "float", "end - start, seconds."),
)
PROMPT_COLUMNS = (
    Column("wearer", "text", "Wearer id."),
    Column("id", "text", "Prompt id."),
    Column("rule", "text", "Rule that fired."),
    Column("routine", "text", "Routine offered."),
    Column("repeat", "int", "0 for the first prompt of a bout, then 1, 2, ..."),
    Column("posture", "text", "Posture the bout was in."),
    Column("bout_start", "time_us", "When that bout began, UTC."),
    Column("at", "time_us", "When the prompt was sent, UTC."),
    Column("deadline", "time_us", "End of the answer window, UTC."),
    Column("outcome", "text", "movement, done, snooze, dismiss, cant_stand, ignored; empty: open."),
    Column("answered", "bool", "Moved or acknowledged within the window."),
    Column("answered_at", "time_us", "When it was answered, UTC."),
    Column("response_s", "float", "Seconds from prompt to answer."),
)


def clipped_bouts(bouts: Iterable[Span], start: datetime, end: datetime) -> list[BoutSpan]:
    """Bouts with overlaps resolved, clipped to ``[start, end)``, oldest first."""
    out = []
    for b in _normalize(bouts):
        lo, hi = max(b.start, start), min(b.end, end)
        if hi > lo:
            out.append(BoutSpan(b.posture, lo, hi))
    return out


def epochs(wearer: str, bouts: Iterable[Span], start: datetime, end: datetime) -> Table:
    """One row per whole UTC second covered by a bout within ``[start, end)``."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for b in clipped_bouts(bouts, start, end):
            first = math.ceil(b.start.timestamp())
            last = math.ceil(b.end.timestamp())
            posture = b.posture.value
            for t in range(first, last):
                yield (wearer, datetime.fromtimestamp(t, UTC), posture)

    return Table(TableName.EPOCHS, EPOCH_COLUMNS, rows())


def bouts_table(wearer: str, bouts: Iterable[Span], start: datetime, end: datetime) -> Table:
    """The bouts within ``[start, end)``; times rounded to whole seconds."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for b in clipped_bouts(bouts, start, end):
            lo, hi = _whole(b.start), _whole(b.end)
            yield (wearer, b.posture.value, lo, hi, (hi - lo).total_seconds())

    return Table(TableName.BOUTS, BOUT_COLUMNS, rows())


def prompts_table(wearer: str, prompts: Sequence[Any]) -> Table:
    """The prompts, oldest first, with their outcome."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for p in sorted(prompts, key=lambda p: p.at):
            ok = answered(p.outcome)
            response = (p.answered_at - p.at).total_seconds() if ok and p.answered_at else None
            outcome = None if p.outcome is None else str(p.outcome)
            yield (
                wearer,
                p.id,
                p.rule,
                p.routine,
                p.repeat,
                str(p.posture),
                p.bout_start,
                p.at,
                p.deadline,
                outcome,
                ok,
                p.answered_at,
                response,
            )

    return Table(TableName.PROMPTS, PROMPT_COLUMNS, rows())


TABLES: dict[TableName, Callable[..., Table]] = {
    TableName.EPOCHS: epochs,
    TableName.BOUTS: bouts_table,
    TableName.PROMPTS: prompts_table,
}


def table_rows(
    name: TableName | str,
    wearer: str,
    *,
    bouts: Iterable[Span],
    prompts: Sequence[Any],
    start: datetime,
    end: datetime,
) -> Table:
    """The table ``name`` of ``wearer`` over ``[start, end)``."""
    name = TableName(name)
    if name is TableName.PROMPTS:
        return prompts_table(wearer, [p for p in prompts if start <= p.at < end])
    return TABLES[name](wearer, bouts, start, end)


def to_csv(table: Table, *, chunk_rows: int = 4096) -> Iterator[str]:
    """The table as CSV text, a header line first, in chunks of ``chunk_rows`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    formats = [_csv_format(c.kind) for c in table.columns]
    for count, row in enumerate(table.rows, start=1):
        writer.writerow([f(v) for f, v in zip(formats, row, strict=True)])
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_parquet(table: Table) -> bytes:
    """The table as a Parquet file (zstd-compressed), with column descriptions."""
    schema = pa.schema(
        [
            pa.field(c.name, _ARROW[c.kind], metadata={"description": c.description})
            for c in table.columns
        ],
        metadata={"table": table.name, "producer": "sitless"},
    )
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        batch: list[tuple[Any, ...]] = []
        written = False
        for row in table.rows:
            batch.append(row)
            if len(batch) == _BATCH:
                writer.write_table(_arrow(batch, schema))
                batch, written = [], True
        if batch or not written:
            writer.write_table(_arrow(batch, schema))
    return sink.getvalue()


def _arrow(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.Table.from_arrays(
        [pa.array(list(col), type=field.type) for col, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _whole(t: datetime) -> datetime:
    return datetime.fromtimestamp(round(t.timestamp()), UTC)


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _csv_format(kind: Kind) -> Callable[[Any], Any]:
    if kind in ("time", "time_us"):
        return _iso
    if kind == "bool":
        return lambda v: "true" if v else "false"
    if kind == "float":
        return lambda v: "" if v is None else str(int(v)) if float(v).is_integer() else f"{v:.3f}"
    return lambda v: "" if v is None else v
