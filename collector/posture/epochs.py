"""Cutting a sample stream into fixed epochs, the same way whatever the chunking.

Epoch ``k`` holds the samples with ``k * epoch_s <= t < (k + 1) * epoch_s`` on the
source's own time scale, so epoch edges fall on whole seconds of that scale and a sample
lands in the same epoch whether it arrived at the start, middle or end of a chunk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sitless.wire.posture import Posture


@dataclass(frozen=True, slots=True)
class Epoch:
    """The classifier's output: one posture for ``t_start <= t < t_end`` (source seconds)."""

    t_start: float
    t_end: float
    posture: Posture


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    """The samples of one epoch (possibly none, for a short gap in the stream)."""

    index: int
    t: NDArray[np.float64]
    accel_g: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.t.shape[0])


class EpochCutter:
    """Collects samples and hands out each epoch's ``Block`` once the epoch is over.

    An epoch is over when a sample at or after its end arrives; seconds without samples
    between two closed epochs come out as empty blocks, so the blocks are contiguous.
    """

    def __init__(self, epoch_s: float = 1.0) -> None:
        if not epoch_s > 0:
            raise ValueError(f"epoch_s must be positive, got {epoch_s}")
        self.epoch_s = float(epoch_s)
        self._open: int | None = None
        self._t: list[NDArray[np.float64]] = []
        self._a: list[NDArray[np.float64]] = []

    @property
    def open_index(self) -> int | None:
        """The epoch still collecting samples, if any."""
        return self._open

    def index_of(self, t: float) -> int:
        """The epoch a time falls in."""
        return math.floor(t / self.epoch_s)

    def push(self, t: NDArray[np.float64], accel_g: NDArray[np.float64]) -> list[Block]:
        """Add samples (times increasing); return the blocks this closes, in order."""
        if t.size == 0:
            return []
        idx = np.floor(t / self.epoch_s).astype(np.int64)
        cuts = np.flatnonzero(np.diff(idx)) + 1
        starts = np.concatenate([[0], cuts])
        stops = np.concatenate([cuts, [t.size]])
        closed: list[Block] = []
        for lo, hi in zip(starts.tolist(), stops.tolist(), strict=True):
            k = int(idx[lo])
            if self._open is not None and k != self._open:
                closed.append(self._close())
                closed.extend(self._empty(j) for j in range(self._open + 1, k))
            self._open = k
            self._t.append(t[lo:hi])
            self._a.append(accel_g[lo:hi])
        return closed

    def flush(self) -> list[Block]:
        """Close the open epoch (end of stream) and start afresh."""
        out = [self._close()] if self._open is not None else []
        self._open = None
        return out

    def _close(self) -> Block:
        assert self._open is not None
        block = Block(self._open, np.concatenate(self._t), np.concatenate(self._a))
        self._t, self._a = [], []
        return block

    def _empty(self, index: int) -> Block:
        return Block(index, np.empty(0), np.empty((0, 3)))
