"""Causal smoothing: a three-epoch majority that looks one epoch ahead, and ride bridging.

1. An epoch whose two neighbours agree with each other, and not with it, takes their
   posture: a one-second blip (a sit-to-stand transient read as walking, one odd
   window) never becomes a bout of its own. Looking one epoch ahead costs one second of
   delay, which with the feature window's one second makes the two-second bound of
   ``PostureClassifier``. Epochs without data are never overwritten, and never
   overwrite others.
2. A cycling bout that has lasted ``RIDE_MIN_EPOCHS`` continues through up to
   ``PAUSE_EPOCHS`` epochs read as sitting or standing -- the pedals stop for a few
   seconds while changing gear, at a red light, or standing on them -- so a ride is not
   cut into pieces with seconds of "sitting" between them (on the DSA exercise bikes,
   such pauses of 2-4 s are 0.5 % of cycling). Acti4 drops bicycle bouts shorter than
   15 s, looking both ways; this looks only back, so it never delays a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sitless.wire.posture import Posture

RIDE_MIN_EPOCHS = 10
PAUSE_EPOCHS = 5
# What a paused rider's thigh reads as: still at the saddle's angle, or upright on the
# pedals. Walking, running or lying end the ride at once.
_PAUSE = frozenset({Posture.SITTING, Posture.STANDING})


@dataclass(frozen=True, slots=True)
class Decision:
    """One epoch's unsmoothed posture."""

    index: int
    posture: Posture
    has_data: bool = True


class Smoother:
    """Feed ``Decision``s in epoch order; get each back smoothed one epoch later."""

    __slots__ = ("_has_data", "_index", "_paused", "_posture", "_prev", "_prev_has_data", "_ride")

    def __init__(self) -> None:
        # The pending epoch, which waits for the next one (its index, raw posture --
        # None when there is none -- and whether it had data), and the one before it.
        self._index = 0
        self._posture: Posture | None = None
        self._has_data = False
        self._prev: Posture | None = None
        self._prev_has_data = False
        self._ride = 0
        self._paused = 0

    def push(self, decision: Decision) -> list[Decision]:
        """Add the next epoch's decision; return the epoch before it, smoothed."""
        had = self._has_data
        out = self.push_run(decision.index, [decision.posture], [decision.has_data])
        return [Decision(i, p, had) for i, p in out]

    def push_run(
        self, first: int, postures: Sequence[Posture], has_data: Sequence[bool]
    ) -> list[tuple[int, Posture]]:
        """Add the decisions of epochs ``first, first + 1, ...``; return those settled.

        The same as one ``push`` per epoch, returning ``(index, posture)``.
        """
        out: list[tuple[int, Posture]] = []
        at, pending, had = self._index, self._posture, self._has_data
        prev, prev_had = self._prev, self._prev_has_data
        ride, paused = self._ride, self._paused
        index = first
        for posture, data in zip(postures, has_data, strict=True):
            if pending is not None:
                called = pending
                follows = index == at + 1
                # Rule 1: a one-epoch blip between two agreeing neighbours.
                if (
                    posture is not called
                    and prev is posture
                    and follows
                    and had
                    and data
                    and prev_had
                    and posture is not Posture.UNKNOWN
                ):
                    called = posture
                # Rule 2: a ride goes on through a short pause.
                if called is Posture.CYCLING:
                    ride += 1
                    paused = 0
                elif ride >= RIDE_MIN_EPOCHS and called in _PAUSE and paused < PAUSE_EPOCHS:
                    paused += 1
                    called = Posture.CYCLING
                else:
                    ride = paused = 0
                out.append((at, called))
                if follows:
                    prev, prev_had = pending, had
                else:
                    prev, prev_had = None, False
                    ride = paused = 0
            at, pending, had = index, posture, data
            index += 1
        self._index, self._posture, self._has_data = at, pending, had
        self._prev, self._prev_has_data = prev, prev_had
        self._ride, self._paused = ride, paused
        return out

    def flush(self) -> list[Decision]:
        """Settle the last epoch (end of stream) and forget the past."""
        had = self._has_data
        return [Decision(i, p, had) for i, p in self.flush_run()]

    def flush_run(self) -> list[tuple[int, Posture]]:
        """``flush``, returning ``(index, posture)``."""
        out: list[tuple[int, Posture]] = []
        called = self._posture
        if called is not None:
            if called is Posture.CYCLING or (
                self._ride >= RIDE_MIN_EPOCHS and called in _PAUSE and self._paused < PAUSE_EPOCHS
            ):
                called = Posture.CYCLING
            out.append((self._index, called))
        self._posture = self._prev = None
        self._prev_has_data = False
        self._ride = self._paused = 0
        return out
