"""What each 1-s epoch of a labelled recording really was, and which epochs are scored.

Rules (``sitless eval --help`` states them too):

- an epoch ``[k, k+1)`` on the file's own ``t`` scale takes the label most of its
  samples carry;
- the recordings' labels map onto the scored postures: ``stairs`` counts as walking,
  ``transport`` as sitting; ``other`` (rowing, jumping, cross trainer, ...) is counted
  in a row of its own and never silently dropped;
- epochs within ``margin_s`` of a change of ``source_label`` are not scored: the shared
  recordings join separate takes end to end, so the seconds around a join are an
  artificial jump (and, for the pocket phones, the phone being handled).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sitless.errors import FrameError
from sitless.wire.posture import Posture

# The postures scored, in the order of the confusion matrix.
SCORED: tuple[Posture, ...] = (
    Posture.LYING,
    Posture.SITTING,
    Posture.STANDING,
    Posture.WALKING,
    Posture.RUNNING,
    Posture.CYCLING,
)
# Row index of activities that are none of the scored postures.
OTHER = len(SCORED)
# Epoch without any sample.
EMPTY = -1
OTHER_LABEL = "other"
LABELS: dict[str, int] = {p.value: i for i, p in enumerate(SCORED)} | {
    "stairs": SCORED.index(Posture.WALKING),
    "transport": SCORED.index(Posture.SITTING),
    OTHER_LABEL: OTHER,
}
# "A few seconds around each change of source_label" (shared data README): the join
# itself, plus the handling of the phone that opens and closes every MotionSense take.
MARGIN_S = 5.0
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True, eq=False)
class Truth:
    """The labels of a recording, one per 1-s epoch.

    Attributes:
        first: index of the first epoch (``floor(t[0])``).
        labels: per epoch, an index into ``SCORED``, ``OTHER``, or ``EMPTY``.
        scored: per epoch, False within the margin around a change of source label.
        changes: times at which ``source_label`` changes.
    """

    first: int
    labels: NDArray[np.int8]
    scored: NDArray[np.bool_]
    changes: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def read_truth(path: Path, *, margin_s: float = MARGIN_S) -> Truth:
    """Read the ``t``, ``label`` and ``source_label`` columns of a recording.

    Raises:
        FrameError: the file cannot be read, lacks those columns, or has an unknown label.
    """
    times, codes, sources = _read_columns(path)
    if not times:
        raise FrameError(f"{path}:2: no samples after the header", reason="empty")
    t = np.asarray(times, dtype=np.float64)
    code = np.asarray(codes, dtype=np.int64)
    first = int(np.floor(t[0]))
    epoch = np.floor(t).astype(np.int64) - first
    n = int(epoch[-1]) + 1
    counts = np.zeros((n, OTHER + 1), dtype=np.int64)
    np.add.at(counts, (epoch, code), 1)
    labels = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), EMPTY).astype(np.int8)
    src = np.asarray(sources)
    changed = np.flatnonzero(src[1:] != src[:-1]) + 1
    changes = t[changed]
    start = first + np.arange(n, dtype=np.float64)
    scored = np.ones(n, dtype=bool)
    for c in changes:
        scored &= ~((start + 1.0 > c - margin_s) & (start < c + margin_s))
    return Truth(first, labels, scored, changes)


def _read_columns(path: Path) -> tuple[list[float], list[int], list[str]]:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise FrameError(
            f"{path}: cannot open: {exc.strerror or exc}", reason="unreadable"
        ) from None
    with raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
        try:
            return _parse(path, reader)
        except (UnicodeDecodeError, csv.Error, OSError, EOFError) as exc:
            raise FrameError(
                f"{path}:{reader.line_num + 1}: unreadable ({exc})", reason="not_csv"
            ) from None


def _parse(path: Path, rows: Iterator[list[str]]) -> tuple[list[float], list[int], list[str]]:
    header = next(rows, None)
    if header is None:
        raise FrameError(f"{path}:1: empty file, expected a header", reason="empty")
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("t", "label", "source_label") if c not in names]
    if missing:
        raise FrameError(
            f"{path}:1: header lacks column(s) {', '.join(missing)}: sitless eval needs"
            " labelled recordings",
            reason="missing_column",
            value=header,
        )
    it, il, isrc = names.index("t"), names.index("label"), names.index("source_label")
    times: list[float] = []
    codes: list[int] = []
    sources: list[str] = []
    for line, row in enumerate(rows, start=2):
        try:
            label = row[il].strip().lower()
            times.append(float(row[it]))
            sources.append(row[isrc])
        except (IndexError, ValueError):
            raise FrameError(
                f"{path}:{line}: expected t, label and source_label, got {row!r}",
                reason="field_count",
                value=row,
            ) from None
        code = LABELS.get(label)
        if code is None:
            raise FrameError(
                f"{path}:{line}: unknown label {label!r} (known: {', '.join(LABELS)})",
                reason="bad_label",
                value=label,
            )
        codes.append(code)
    return times, codes, sources
