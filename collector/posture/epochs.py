"""Cutting a sample stream into fixed epochs and summarising each, whatever the chunking.

Epoch ``k`` holds the samples with ``k * epoch_s <= t < (k + 1) * epoch_s`` on the
source's own time scale, so epoch edges fall on whole seconds of that scale and a sample
lands in the same epoch whether it arrived at the start, middle or end of a chunk.

When an epoch closes (a sample at or after its end arrives) it is summarised once, and
its raw samples are dropped:

- sample count, sum and sum of products of the three axes -- enough for the mean and
  covariance of any run of whole epochs, so the overlapping 4-s windows of
  ``features`` never revisit a sample;
- the samples decimated to the analysis rate (means of ``decimation`` consecutive
  samples, counted from the epoch's first), on which ``features`` looks for rhythm and
  impacts. Streams of 25-49 Hz are kept as they are, faster ones are brought into that
  range: the spectral features then mean the same at 25, 50 or 100 Hz, and cost the
  same per second.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sitless.wire.posture import Posture

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# The spectral features need nothing above 12.5 Hz (impacts are told by power above
# 4 Hz, rhythm lives below 4 Hz): analyse at 25 Hz or the lowest integer fraction of
# the stream's rate that stays at or above it.
ANALYSIS_MIN_HZ = 25.0


@dataclass(frozen=True, slots=True)
class Epoch:
    """The classifier's output: one posture for ``t_start <= t < t_end`` (source seconds)."""

    t_start: float
    t_end: float
    posture: Posture


# A frozen dataclass sets each field through ``object.__setattr__``; filling the slots
# through their descriptors gives the same object in about half the time, which matters
# when every second of a recording becomes one.
_new_epoch = object.__new__
_set_start = vars(Epoch)["t_start"].__set__
_set_end = vars(Epoch)["t_end"].__set__
_set_posture = vars(Epoch)["posture"].__set__


def make_epochs(indices: Iterable[tuple[int, Posture]], epoch_s: float) -> list[Epoch]:
    """``Epoch(k * epoch_s, (k + 1) * epoch_s, posture)`` for each ``(k, posture)``."""
    out = []
    new, set_start, set_end, set_posture = _new_epoch, _set_start, _set_end, _set_posture
    for k, posture in indices:
        epoch = new(Epoch)
        set_start(epoch, k * epoch_s)
        set_end(epoch, (k + 1) * epoch_s)
        set_posture(epoch, posture)
        out.append(epoch)
    return out


def decimation(rate_hz: float) -> int:
    """How many consecutive samples make one analysis sample at this rate."""
    return max(1, math.floor(rate_hz / ANALYSIS_MIN_HZ + 1e-9))


# Columns of ``EpochStore.stats``: the sample count, the sums of the three axes, the sums
# of their products (xx, yy, zz, xy, xz, yz), and a one marking an epoch of the segment.
# One row per epoch, so a window's totals are a sum of consecutive rows.
COUNT, SUMS, PRODUCTS, PRESENT = 0, slice(1, 4), slice(4, 10), 10
STAT_COLUMNS = 11
# The products' axis pairs, in column order.
_PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))


class EpochStore:
    """Closed epochs' summaries, for a run of consecutive epochs of one stream segment.

    Attributes:
        base: index of the first epoch held.
        end: index after the last closed epoch.
        stats: per epoch, the columns named above (``COUNT``, ``SUMS``, ``PRODUCTS``,
            ``PRESENT``), shape (epochs, 11).
        rows: the decimated samples of all epochs held, in order, shape (rows, 3).
        row_start: where each epoch's decimated rows begin in ``rows`` (one more entry
            than epochs: the last is ``len(rows)``).
    """

    def __init__(self, rate_hz: float, epoch_s: float = 1.0) -> None:
        if not epoch_s > 0:
            raise ValueError(f"epoch_s must be positive, got {epoch_s}")
        self.rate_hz = float(rate_hz)
        self.epoch_s = float(epoch_s)
        self.decimation = decimation(self.rate_hz)
        self.analysis_hz = self.rate_hz / self.decimation
        self.first: int | None = None
        self._scratch: Array = np.empty(0)
        self._buffer_t: Array = np.empty(0)
        self._buffer_a: Array = np.empty((0, 3))
        self._pending_t: Array = np.empty(0)
        self._pending_a: Array = np.empty((0, 3))
        self._clear(0)

    def _clear(self, base: int) -> None:
        self.base = base
        self.end = base
        self.stats: Array = np.empty((0, STAT_COLUMNS))
        self.rows: Array = np.empty((0, 3))
        self.row_start: IntArray = np.zeros(1, dtype=np.int64)

    @property
    def counts(self) -> IntArray:
        """Samples per epoch, ``counts[j - base]``."""
        return self.stats[:, COUNT].astype(np.int64)

    @property
    def sums(self) -> Array:
        """Per epoch, the sum of each axis, shape (epochs, 3)."""
        return self.stats[:, SUMS]

    @property
    def products(self) -> Array:
        """Per epoch, sums of xx, yy, zz, xy, xz, yz, shape (epochs, 6)."""
        return self.stats[:, PRODUCTS]

    @property
    def open_index(self) -> int | None:
        """The epoch still collecting samples, if any."""
        if not self._pending_t.size:
            return None
        return math.floor(float(self._pending_t[-1]) / self.epoch_s)

    def push(self, t: Array, accel_g: Array) -> None:
        """Add samples (times increasing); summarise the epochs they close."""
        if t.size == 0:
            return
        if self.first is None:
            self.first = math.floor(float(t[0]) / self.epoch_s)
            self._clear(self.first)
        if self._pending_t.size:
            # The open epoch's samples, then the new ones, in buffers kept between
            # chunks (see ``_scratch``).
            k, n = self._pending_t.size, self._pending_t.size + t.size
            if self._buffer_t.size < n:
                self._buffer_t = np.empty(max(n, 2 * self._buffer_t.size))
                self._buffer_a = np.empty((self._buffer_t.size, 3))
            buffer_t, buffer_a = self._buffer_t[:n], self._buffer_a[:n]
            buffer_t[:k] = self._pending_t
            buffer_t[k:] = t
            buffer_a[:k] = self._pending_a
            buffer_a[k:] = accel_g
            self._pending_t, self._pending_a = buffer_t, buffer_a
        else:
            self._pending_t = np.asarray(t, dtype=np.float64)
            self._pending_a = np.asarray(accel_g, dtype=np.float64)
        open_index = math.floor(float(self._pending_t[-1]) / self.epoch_s)
        if open_index > self.end:
            self._close_until(open_index)
        elif self._pending_t is t or self._pending_a is accel_g:
            # Nothing closed, and the samples are the caller's, who may reuse the arrays.
            self._pending_t = self._pending_t.copy()
            self._pending_a = self._pending_a.copy()

    def close(self) -> None:
        """Close the open epoch (end of segment)."""
        index = self.open_index
        if index is not None:
            self._close_until(index + 1)

    def reset(self) -> None:
        """Forget everything (a new segment starts with the next sample)."""
        self.first = None
        self._pending_t = np.empty(0)
        self._pending_a = np.empty((0, 3))
        self._clear(0)

    def drop_before(self, index: int) -> None:
        """Forget the epochs before ``index`` (no window needs them any more)."""
        cut = min(max(index - self.base, 0), self.stats.shape[0])
        if not cut:
            return
        rows = int(self.row_start[cut])
        self.stats = self.stats[cut:]
        self.rows = self.rows[rows:]
        self.row_start = self.row_start[cut:] - rows
        self.base += cut

    def _close_until(self, stop: int) -> None:
        """Summarise epochs ``end .. stop - 1`` from the pending samples."""
        if stop <= self.end:
            return
        e = self.epoch_s
        t, a = self._pending_t, self._pending_a
        edges = t.searchsorted(np.arange(self.end, stop + 1) * e)
        lo, hi = edges[:-1], edges[1:]
        counts = hi - lo
        used = int(hi[-1])
        stats = np.zeros((counts.size, STAT_COLUMNS))
        stats[:, COUNT] = counts
        stats[:, PRESENT] = 1.0
        if used:
            block = a[:used]
            full = counts > 0
            # The products of the axes, into a buffer kept between chunks: a fresh one
            # of this size per chunk would be mapped and faulted in anew by the
            # allocator every time.
            if self._scratch.size < 6 * used:
                self._scratch = np.empty(max(6 * used, 2 * self._scratch.size))
            products = self._scratch[: 6 * used].reshape(used, 6)
            for column, (i, j) in enumerate(_PAIRS):
                np.multiply(block[:, i], block[:, j], out=products[:, column])
            # Epochs without samples are left out of the starts (and stay zero).
            which: slice | BoolArray = slice(None) if full.all() else full
            starts = lo[which]
            stats[which, SUMS] = np.add.reduceat(block, starts, axis=0)
            stats[which, PRODUCTS] = np.add.reduceat(products, starts, axis=0)
            rows, per_epoch = self._decimate(block, lo, counts)
        else:
            rows, per_epoch = np.empty((0, 3)), np.zeros(counts.size, dtype=np.int64)
        self.stats = np.concatenate([self.stats, stats])
        self.rows = np.concatenate([self.rows, rows])
        self.row_start = np.concatenate([self.row_start, self.row_start[-1] + per_epoch.cumsum()])
        self.end = stop
        # The open epoch's samples, copied: they may be in a buffer that the next
        # chunk reuses, or in the caller's own array.
        self._pending_t = t[used:].copy()
        self._pending_a = a[used:].copy()

    def _decimate(self, block: Array, lo: IntArray, counts: IntArray) -> tuple[Array, IntArray]:
        m = self.decimation
        if m == 1:
            return block, counts
        groups = -(-counts // m)
        total = int(groups.sum())
        first_group = (groups.cumsum() - groups).repeat(groups)
        starts = lo.repeat(groups) + m * (np.arange(total) - first_group)
        ends = np.concatenate([starts[1:], [block.shape[0]]])
        sizes = ends - starts
        rows = np.add.reduceat(block, starts, axis=0) / sizes[:, None]
        return rows, groups
