"""The streaming posture classifier: samples in, one posture per epoch out.

Stages, in order: ``epochs`` cuts the stream into 1-s blocks; ``features`` describes a
4-s window around each epoch (the two epochs before it, the epoch, the one after);
``calibrate`` learns the thigh's axes; ``classify`` names the epoch's posture;
``smooth`` removes one-epoch blips; ``nonwear`` overrides long stillness.

Causality bound: epoch ``[k, k+1)`` needs the samples up to ``k + 2`` for its window's
last epoch, and the smoother waits for the next epoch's decision, so it is decided, and
returned by ``feed``, as soon as a sample with ``t >= t_end + 2 s`` arrives
(``LOOKAHEAD_S``). Nothing later than that influences it.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike

from collector.posture.calibrate import Calibration, Calibrator
from collector.posture.classify import decide
from collector.posture.epochs import Block, Epoch, EpochCutter
from collector.posture.features import window_features
from collector.posture.nonwear import NONWEAR_AFTER_S, NonwearDetector
from collector.posture.smooth import Decision, Smoother
from sitless.errors import FrameError
from sitless.wire.posture import Posture

# Epochs in the feature window: two before, the epoch itself, one after.
WINDOW_EPOCHS = 4
# Seconds of data after an epoch's end needed to decide it (window + smoother).
LOOKAHEAD_S = 2.0
# A longer silence than this ends the stream segment: epochs before it are settled
# without lookahead and none are invented for the gap (the publisher reports the gap).
MAX_GAP_S = 10.0
MIN_RATE_HZ = 10.0


class PostureClassifier:
    """Classifies a thigh accelerometer stream, epoch by epoch, causally.

    Args:
        rate_hz: the source's nominal sample rate (10 Hz or more).
        calibration: a known calibration (a "stand still" step, a stored one); found
            from the wearer's gait and sitting when None.
        adapt: keep refining the calibration from the data.
        epoch_s: epoch length, seconds.
        nonwear_after_s: unbroken stillness after which epochs are non-wear.
        max_gap_s: a longer gap between samples restarts the stream.

    ``feed`` returns the epochs that became decided, in order, each exactly once;
    ``flush`` settles the rest at the end of the stream.
    """

    def __init__(
        self,
        rate_hz: float,
        calibration: Calibration | None = None,
        *,
        adapt: bool = True,
        epoch_s: float = 1.0,
        nonwear_after_s: float = NONWEAR_AFTER_S,
        max_gap_s: float = MAX_GAP_S,
    ) -> None:
        if not rate_hz >= MIN_RATE_HZ:
            raise ValueError(f"rate_hz must be at least {MIN_RATE_HZ:g}, got {rate_hz}")
        self.rate_hz = float(rate_hz)
        self.epoch_s = float(epoch_s)
        self.max_gap_s = max(float(max_gap_s), self.epoch_s)
        self._cutter = EpochCutter(epoch_s)
        self._calibrator = Calibrator(calibration, adapt=adapt)
        self._nonwear = NonwearDetector(nonwear_after_s, epoch_s)
        self._smoother = Smoother()
        self._window: deque[Block] = deque(maxlen=WINDOW_EPOCHS)
        self._flags: dict[int, bool] = {}
        self._last_t = -np.inf

    @property
    def calibration(self) -> Calibration | None:
        """The current calibration (persist it to start the next session with it)."""
        return self._calibrator.calibration

    def feed(self, t: ArrayLike, accel_g: ArrayLike) -> list[Epoch]:
        """Add samples; return the epochs they allow to be decided.

        Args:
            t: sample times, seconds on the source's time scale, increasing.
            accel_g: specific force in g, shape (n, 3).

        Raises:
            FrameError: times that do not increase, or values that are not finite.
        """
        times = np.asarray(t, dtype=np.float64).reshape(-1)
        accel = np.asarray(accel_g, dtype=np.float64)
        if accel.shape != (times.size, 3):
            raise ValueError(f"accel_g must have shape ({times.size}, 3), got {accel.shape}")
        if times.size == 0:
            return []
        if not (np.isfinite(times).all() and np.isfinite(accel).all()):
            raise FrameError("samples contain NaN or infinite values", reason="not_numeric")
        steps = np.diff(times, prepend=self._last_t)
        if (steps <= 0).any():
            i = int(np.flatnonzero(steps <= 0)[0])
            raise FrameError(
                f"sample time {times[i]!r} does not follow {times[i - 1] if i else self._last_t!r}",
                reason="time_not_increasing",
                value=float(times[i]),
            )
        out: list[Epoch] = []
        gap = steps > self.max_gap_s
        bounds = sorted({0, *np.flatnonzero(gap).tolist(), times.size})
        for lo, hi in pairwise(bounds):
            if gap[lo]:
                out.extend(self._end_segment())
            for block in self._cutter.push(times[lo:hi], accel[lo:hi]):
                out.extend(self._on_block(block))
        self._last_t = float(times[-1])
        return out

    def flush(self) -> list[Epoch]:
        """Decide every remaining epoch (end of stream); the calibration is kept."""
        return self._end_segment()

    def _on_block(self, block: Block) -> list[Epoch]:
        self._window.append(block)
        if len(self._window) < 2:
            return []
        return self._decide(self._window[-2], list(self._window))

    def _end_segment(self) -> list[Epoch]:
        out: list[Epoch] = []
        for block in self._cutter.flush():
            out.extend(self._on_block(block))
        if self._window:
            last = self._window[-1]
            out.extend(self._decide(last, list(self._window)[-(WINDOW_EPOCHS - 1) :]))
        out.extend(self._emit(self._smoother.flush()))
        self._window.clear()
        self._nonwear.reset()
        return out

    def _decide(self, block: Block, window: list[Block]) -> list[Epoch]:
        per_epoch = self.rate_hz * self.epoch_s
        samples = [b.accel_g for b in window if len(b)]
        accel = np.concatenate(samples) if samples else np.empty((0, 3))
        features = window_features(
            accel,
            self.rate_hz,
            expected_n=per_epoch * len(window),
            epoch_n=len(block),
            epoch_expected_n=per_epoch,
        )
        has_data = len(block) > 0
        if has_data:
            self._calibrator.observe(features)
        posture = decide(features, self._calibrator.calibration)
        self._flags[block.index] = self._nonwear.update(features, has_data=has_data)
        return self._emit(self._smoother.push(Decision(block.index, posture, has_data)))

    def _emit(self, decisions: list[Decision]) -> list[Epoch]:
        out = []
        for d in decisions:
            nonwear = self._flags.pop(d.index, False)
            posture = Posture.NONWEAR if nonwear else d.posture
            out.append(Epoch(d.index * self.epoch_s, (d.index + 1) * self.epoch_s, posture))
        return out
