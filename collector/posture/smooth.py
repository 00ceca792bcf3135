"""Causal smoothing: a three-epoch majority that looks one epoch ahead.

An epoch whose two neighbours agree with each other, and not with it, takes their
posture: a one-second blip (a sit-to-stand transient read as walking, one odd window)
never becomes a bout of its own. Looking one epoch ahead costs one second of delay, which
with the feature window's one second makes the two-second bound of ``PostureClassifier``.
Epochs without data are never overwritten, and never overwrite others.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitless.wire.posture import Posture


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

    def push(self, decision: Decision) -> list[Decision]:
        """Add the next epoch's decision; return the epoch before it, smoothed."""
        out = []
        if self._pending is not None:
            follows = decision.index == self._pending.index + 1
            out.append(self._settle(self._pending, decision if follows else None))
            self._prev = self._pending if follows else None
        self._pending = decision
        return out

    def flush(self) -> list[Decision]:
        """Settle the last epoch (end of stream) and forget the past."""
        out = [self._settle(self._pending, None)] if self._pending is not None else []
        self._prev = self._pending = None
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
