"""Replay a recording in the shared format (``t,ax,ay,az,...``, CSV or gzip-compressed CSV).

The header must name ``t``, ``ax``, ``ay`` and ``az`` (any order, any case); other
columns (``label``, ``source_label``) are ignored. Rows are parsed in batches with numpy,
so a 10-hour 100 Hz file streams without holding it in memory. Anything wrong with the
file raises ``FrameError`` with a ``path:line:`` prefix naming where. Pacing (real time,
sped up) is the collector app's job: this module only provides the data.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from collector.sources.base import Samples
from sitless.errors import FrameError

REQUIRED = ("t", "ax", "ay", "az")
GZIP_MAGIC = b"\x1f\x8b"
# Enough rows to see the sample interval through the odd jittered timestamp.
RATE_PEEK_ROWS = 512


class Replay:
    """A ``Source`` reading a recording file.

    Args:
        path: the ``.csv`` or ``.csv.gz`` file (gzip is recognised by content, not name).
        rate_hz: the nominal rate; inferred from the median interval of ``t`` if None.

    Raises:
        FrameError: the file cannot be opened, has no usable header, or its first rows
            are bad (later rows raise while streaming from ``chunks``).
    """

    def __init__(self, path: Path | str, *, rate_hz: float | None = None) -> None:
        self.path = Path(path)
        self._raw: IO[bytes] | None = None
        try:
            self.bytes_total = self.path.stat().st_size
        except OSError as exc:
            raise FrameError(
                f"{self.path}: cannot open: {exc.strerror or exc}", reason="unreadable"
            ) from None
        peek = self._batches(RATE_PEEK_ROWS)
        try:
            first = next(peek, None)
        finally:
            peek.close()
        if first is None:
            raise FrameError(f"{self.path}:2: no samples after the header", reason="empty")
        if rate_hz is None:
            t = first[0]
            if t.size < 2:
                raise FrameError(
                    f"{self.path}:3: need at least two samples to infer the rate", reason="empty"
                )
            # Rounded so that 0.04 s steps printed to 3 decimals read as 25 Hz, not 24.99999.
            rate_hz = round(1.0 / float(np.median(np.diff(t))), 6)
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        self._rate = float(rate_hz)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def rate_hz(self) -> float:
        return self._rate

    @property
    def bytes_read(self) -> int:
        """How far into the (possibly compressed) file reading has got, for progress."""
        raw = self._raw
        if raw is None or raw.closed:
            return 0
        return raw.tell()

    def chunks(self, chunk_s: float = 1.0) -> Iterator[Samples]:
        """Yield the recording in chunks of ``chunk_s`` seconds (at the nominal rate).

        Raises:
            FrameError: at the first bad row, naming file and line.
        """
        if not chunk_s > 0:
            raise ValueError(f"chunk_s must be positive, got {chunk_s}")
        rows = max(1, round(chunk_s * self._rate))
        for t, accel in self._batches(rows):
            yield Samples(t, accel)

    def _where(self, line: int) -> str:
        return f"{self.path}:{line}"

    def _batches(self, rows: int) -> Generator[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise FrameError(
                f"{self.path}: cannot open: {exc.strerror or exc}", reason="unreadable"
            ) from None
        with raw:
            self._raw = raw
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            text: io.TextIOBase
            if gzipped:
                unzipped = gzip.GzipFile(fileobj=raw, mode="rb")
                text = io.TextIOWrapper(unzipped, encoding="utf-8", newline="")
            else:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            reader = csv.reader(text)
            try:
                yield from self._parse(reader, rows)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise FrameError(
                    f"{self._where(reader.line_num + 1)}: not a CSV text file ({exc})",
                    reason="not_csv",
                ) from None
            except (OSError, EOFError, zlib.error) as exc:
                raise FrameError(
                    f"{self._where(reader.line_num + 1)}: corrupt or truncated gzip data ({exc})",
                    reason="not_csv",
                ) from None

    def _parse(
        self, reader: Any, rows: int
    ) -> Iterator[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        header = next(reader, None)
        if header is None:
            raise FrameError(f"{self._where(1)}: empty file, expected a header", reason="empty")
        names = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise FrameError(
                f"{self._where(1)}: header lacks column(s) {', '.join(missing)}"
                f" (has: {', '.join(header) or 'nothing'})",
                reason="missing_column",
                value=header,
            )
        width = len(names)
        cols = [names.index(c) for c in REQUIRED]
        last_t = -np.inf
        batch: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            line = reader.line_num
            if len(row) != width:
                raise FrameError(
                    f"{self._where(line)}: expected {width} fields, got {len(row)}",
                    reason="field_count",
                    value=row,
                )
            batch.append([row[i] for i in cols])
            lines.append(line)
            if len(batch) >= rows:
                t, accel = self._convert(batch, lines, last_t)
                last_t = float(t[-1])
                yield t, accel
                batch, lines = [], []
        if batch:
            yield self._convert(batch, lines, last_t)

    def _convert(
        self, batch: list[list[str]], lines: list[int], last_t: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        try:
            values = np.array(batch, dtype=np.float64)
        except ValueError:
            values = np.array([[_number(v) for v in row] for row in batch])
        bad = ~np.isfinite(values)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise FrameError(
                f"{self._where(lines[i])}: {REQUIRED[j]} is not a finite number: {batch[i][j]!r}",
                reason="not_numeric",
                value=batch[i][j],
            )
        t = values[:, 0]
        steps = np.diff(t, prepend=last_t)
        if (steps <= 0).any():
            i = int(np.flatnonzero(steps <= 0)[0])
            before = t[i - 1] if i else last_t
            raise FrameError(
                f"{self._where(lines[i])}: t does not increase ({t[i]!r} after {before!r})",
                reason="time_not_increasing",
                value=float(t[i]),
            )
        return t, values[:, 1:]


def _number(text: str) -> float:
    """``float(text)``, or NaN when it is not a number (flagged by the caller)."""
    try:
        return float(text)
    except ValueError:
        return float("nan")
