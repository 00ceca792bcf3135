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
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sitless.wire.posture import Posture

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

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


def decimation(rate_hz: float) -> int:
    """How many consecutive samples make one analysis sample at this rate."""
    return max(1, math.floor(rate_hz / ANALYSIS_MIN_HZ + 1e-9))


class EpochStore:
    """Closed epochs' summaries, for a run of consecutive epochs of one stream segment.

    Attributes:
        base: index of the first epoch held.
        end: index after the last closed epoch.
        counts: samples per epoch, ``counts[j - base]``.
        sums: per epoch, the sum of each axis, shape (epochs, 3).
        products: per epoch, sums of xx, yy, zz, xy, xz, yz, shape (epochs, 6).
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
        self._pending_t: Array = np.empty(0)
        self._pending_a: Array = np.empty((0, 3))
        self._clear(0)

    def _clear(self, base: int) -> None:
        self.base = base
        self.end = base
        self.counts: IntArray = np.empty(0, dtype=np.int64)
        self.sums: Array = np.empty((0, 3))
        self.products: Array = np.empty((0, 6))
        self.rows: Array = np.empty((0, 3))
        self.row_start: IntArray = np.zeros(1, dtype=np.int64)

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
            self._pending_t = np.concatenate([self._pending_t, t])
            self._pending_a = np.concatenate([self._pending_a, accel_g])
        else:
            self._pending_t = np.asarray(t, dtype=np.float64)
            self._pending_a = np.asarray(accel_g, dtype=np.float64)
        open_index = math.floor(float(self._pending_t[-1]) / self.epoch_s)
        self._close_until(open_index)

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
        cut = min(max(index - self.base, 0), self.counts.size)
        if not cut:
            return
        rows = int(self.row_start[cut])
        self.counts = self.counts[cut:]
        self.sums = self.sums[cut:]
        self.products = self.products[cut:]
        self.rows = self.rows[rows:]
        self.row_start = self.row_start[cut:] - rows
        self.base += cut

    def _close_until(self, stop: int) -> None:
        """Summarise epochs ``end .. stop - 1`` from the pending samples."""
        if stop <= self.end:
            return
        e = self.epoch_s
        t, a = self._pending_t, self._pending_a
        edges = np.searchsorted(t, np.arange(self.end, stop + 1) * e)
        lo, hi = edges[:-1], edges[1:]
        counts = hi - lo
        used = int(hi[-1])
        sums = np.zeros((counts.size, 3))
        products = np.zeros((counts.size, 6))
        full = counts > 0
        if used:
            block = a[:used]
            starts = lo[full]
            sums[full] = np.add.reduceat(block, starts, axis=0)
            pairs = np.stack(
                [
                    block[:, 0] * block[:, 0],
                    block[:, 1] * block[:, 1],
                    block[:, 2] * block[:, 2],
                    block[:, 0] * block[:, 1],
                    block[:, 0] * block[:, 2],
                    block[:, 1] * block[:, 2],
                ],
                axis=1,
            )
            products[full] = np.add.reduceat(pairs, starts, axis=0)
            rows, per_epoch = self._decimate(block, lo, counts)
        else:
            rows, per_epoch = np.empty((0, 3)), np.zeros(counts.size, dtype=np.int64)
        self.counts = np.concatenate([self.counts, counts])
        self.sums = np.concatenate([self.sums, sums])
        self.products = np.concatenate([self.products, products])
        self.row_start = np.concatenate([self.row_start, self.row_start[-1] + np.cumsum(per_epoch)])
        self.rows = np.concatenate([self.rows, rows])
        self.end = stop
        self._pending_t = t[used:]
        self._pending_a = a[used:]

    def _decimate(self, block: Array, lo: IntArray, counts: IntArray) -> tuple[Array, IntArray]:
        m = self.decimation
        groups = -(-counts // m)
        if m == 1:
            return block, groups
        total = int(groups.sum())
        first_group = np.repeat(np.cumsum(groups) - groups, groups)
        starts = np.repeat(lo, groups) + m * (np.arange(total) - first_group)
        sizes = np.diff(np.append(starts, block.shape[0]))
        rows = np.add.reduceat(block, starts, axis=0) / sizes[:, None]
        return rows, groups
