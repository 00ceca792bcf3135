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

    def __init__(self) -> None:
        self._prev: Decision | None = None
        self._pending: Decision | None = None
        self._ride = 0
        self._paused = 0

    def push(self, decision: Decision) -> list[Decision]:
        """Add the next epoch's decision; return the epoch before it, smoothed."""
        out = []
        if self._pending is not None:
            follows = decision.index == self._pending.index + 1
            out.append(self._bridge(self._settle(self._pending, decision if follows else None)))
            self._prev = self._pending if follows else None
            if not follows:
                self._ride = self._paused = 0
        self._pending = decision
        return out

    def flush(self) -> list[Decision]:
        """Settle the last epoch (end of stream) and forget the past."""
        out = []
        if self._pending is not None:
            out.append(self._bridge(self._settle(self._pending, None)))
        self._prev = self._pending = None
        self._ride = self._paused = 0
        return out

    def _settle(self, cur: Decision, nxt: Decision | None) -> Decision:
        prev = self._prev
        if (
            cur.has_data
            and prev is not None
            and nxt is not None
            and prev.has_data
            and nxt.has_data
            and prev.posture == nxt.posture != cur.posture
            and prev.posture is not Posture.UNKNOWN
        ):
            return Decision(cur.index, prev.posture)
        return cur

    def _bridge(self, d: Decision) -> Decision:
        if d.posture is Posture.CYCLING:
            self._ride += 1
            self._paused = 0
            return d
        if self._ride >= RIDE_MIN_EPOCHS and d.posture in _PAUSE and self._paused < PAUSE_EPOCHS:
            self._paused += 1
            return Decision(d.index, Posture.CYCLING, d.has_data)
        self._ride = self._paused = 0
        return d
