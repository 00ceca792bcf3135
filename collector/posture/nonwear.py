"""Non-wear: the sensor lying still somewhere instead of on a thigh.

A worn thigh is never perfectly still for long: people shift, and a seated thigh's
angle drifts. A sensor on a desk shows sensor noise only, with gravity fixed. So an
epoch is *still* when no axis moves more than 5 mg (about twice consumer MEMS noise;
worn sitting on the DSA recordings shows 1.3-3 mg, so this alone cannot tell a desk from
a very still sitter) and gravity stays within 1.5 degrees of where the stillness began.
Only duration separates the two: after ``after_s`` of unbroken stillness (10 min by
default: well above the 5-min still stretches of sitting and lying in the DSA
recordings, well below the 45 min after which a sitter is prompted) the epochs are
non-wear, until the sensor moves.

Being causal, the first ``after_s`` of a sensor left on a desk carry whatever posture
its angle suggests; they cannot be told from a perfectly still wearer when they happen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from collector.posture.features import Features
from collector.posture.vectors import Vector, dot

STILL_SD_G = 0.005
STILL_DEG = 1.5
NONWEAR_AFTER_S = 600.0
_STILL_COS = math.cos(math.radians(STILL_DEG))


class NonwearDetector:
    """Counts unbroken stillness; says when it has lasted long enough to be non-wear."""

    __slots__ = ("_anchor", "_still_s", "after_s", "epoch_s")

    def __init__(self, after_s: float = NONWEAR_AFTER_S, epoch_s: float = 1.0) -> None:
        if not after_s > 0:
            raise ValueError(f"after_s must be positive, got {after_s}")
        self.after_s = after_s
        self.epoch_s = epoch_s
        self._anchor: Vector | None = None
        self._still_s = 0.0

    @property
    def still_s(self) -> float:
        """How long the sensor has been still, seconds."""
        return self._still_s

    def update(self, f: Features, *, has_data: bool = True) -> bool:
        """Account for one epoch; True when it is non-wear."""
        quiet = has_data and f.n > 0 and math.isfinite(f.max_sd_g) and f.max_sd_g < STILL_SD_G
        return self.update_many([quiet], [f.direction])[0]

    def update_many(self, quiet: Sequence[bool], directions: Sequence[Vector]) -> list[bool]:
        """Account for consecutive epochs; for each, whether it is non-wear.

        Args:
            quiet: per epoch, whether it has data and no axis moves ``STILL_SD_G`` or more.
            directions: per epoch, gravity's direction (unit; read only when quiet).
        """
        out = [False] * len(quiet)
        if not any(quiet):
            self.reset()
            return out
        anchor, still_s, after_s, e = self._anchor, self._still_s, self.after_s, self.epoch_s
        for i, q in enumerate(quiet):
            if not q:
                anchor, still_s = None, 0.0
                continue
            d = directions[i]
            if anchor is None or dot(d, anchor) < _STILL_COS:
                anchor, still_s = d, 0.0
            still_s += e
            out[i] = still_s >= after_s
        self._anchor, self._still_s = anchor, still_s
        return out

    def reset(self) -> None:
        """Forget the current stillness (movement, a gap, a new stream)."""
        self._anchor = None
        self._still_s = 0.0
