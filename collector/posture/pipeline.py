"""The streaming classifier: samples in, one posture per epoch out.

Stages, in order: ``epochs`` cuts the stream into 1-s epochs on the source's own time
scale and summarises each once; ``features`` describes a 4-s window around each epoch
(the two epochs before it, the epoch, the one after), for all the epochs a chunk
completes at once; then, epoch by epoch, ``calibrate`` learns the thigh's axes
(``clusters`` guesses them before the first walk), ``classify`` names the posture,
``smooth`` removes one-epoch blips and bridges pauses in a ride, and ``nonwear``
overrides long stillness.

Causality bound: epoch ``[k, k+1)`` needs the samples up to ``k + 2`` for its window's
last epoch, and the smoother waits for the next epoch's decision, so it is decided, and
returned by ``feed``, as soon as a sample with ``t >= t_end + 2 s`` arrives
(``LOOKAHEAD_S``). Nothing later than that influences it.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike, NDArray

from collector.posture.calibrate import Calibration, Calibrator
from collector.posture.classify import decide
from collector.posture.clusters import StillClusters
from collector.posture.epochs import Epoch, EpochStore
from collector.posture.features import (
    KEEP_BEFORE,
    WINDOW_AFTER,
    WINDOW_BEFORE,
    Features,
    WindowShape,
    batch_features,
)
from collector.posture.nonwear import NONWEAR_AFTER_S, NonwearDetector
from collector.posture.smooth import Decision, Smoother
from sitless.errors import FrameError
from sitless.wire.posture import Posture

# Seconds of data after an epoch's end needed to decide it (window + smoother).
LOOKAHEAD_S = 2.0
# A longer silence than this ends the stream segment: epochs before it are settled
# without lookahead and none are invented for the gap (the publisher reports the gap).
MAX_GAP_S = 10.0
MIN_RATE_HZ = 10.0
# What a still posture is called before anything shows which way is up: sitting, the
# commonest still posture of a day (see ``clusters``).
COLD_STILL = Posture.SITTING


class PostureClassifier:
    """Classifies a thigh accelerometer stream, epoch by epoch, causally.

    Args:
        rate_hz: the source's nominal sample rate (10 Hz or more).
        calibration: a known calibration (a "stand still" step, a stored one); found
            from the wearer's gait, standing and sitting when None.
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
        if not epoch_s > 0:
            raise ValueError(f"epoch_s must be positive, got {epoch_s}")
        self.rate_hz = float(rate_hz)
        self.epoch_s = float(epoch_s)
        self.max_gap_s = max(float(max_gap_s), self.epoch_s)
        self._store = EpochStore(self.rate_hz, self.epoch_s)
        self._shape = WindowShape(self._store.analysis_hz, self.epoch_s)
        self._calibrator = Calibrator(calibration, adapt=adapt)
        self._clusters = StillClusters()
        self._seeded = calibration is not None
        self._nonwear = NonwearDetector(nonwear_after_s, epoch_s)
        self._smoother = Smoother()
        self._flags: dict[int, bool] = {}
        self._cadence: deque[tuple[float, float]] = deque()
        self._next = 0
        self._last_t = -np.inf

    @property
    def calibration(self) -> Calibration | None:
        """The current calibration (persist it to start the next session with it).

        Only what gait, standing or a given calibration established: the cold-start
        guess before the first walk is not offered for keeping.
        """
        return self._calibrator.calibration if self._calibrator.has_reference else None

    def feed_cadence(self, t: ArrayLike, cadence_rpm: ArrayLike) -> None:
        """Add bike cadence readings (a CSC sensor), on the same time scale as ``feed``.

        An epoch whose window holds a reading above zero is cycling as soon as the thigh
        moves at all; readings of zero add nothing (the thigh's own rhythm still counts).
        Readings must arrive before the samples that decide the epoch.
        """
        times = np.asarray(t, dtype=np.float64).reshape(-1)
        rpm = np.asarray(cadence_rpm, dtype=np.float64).reshape(-1)
        if times.shape != rpm.shape:
            raise ValueError(f"need one cadence per time, got {rpm.shape} for {times.shape}")
        if not (np.isfinite(times).all() and np.isfinite(rpm).all()):
            raise FrameError("cadence contains NaN or infinite values", reason="not_numeric")
        self._cadence.extend(zip(times.tolist(), rpm.tolist(), strict=True))

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
            self._append(times[lo:hi], accel[lo:hi])
            out.extend(self._advance(final=False))
        self._last_t = float(times[-1])
        return out

    def flush(self) -> list[Epoch]:
        """Decide every remaining epoch (end of stream); the calibration is kept."""
        return self._end_segment()

    def _append(self, t: NDArray[np.float64], accel: NDArray[np.float64]) -> None:
        starting = self._store.first is None
        self._store.push(t, accel)
        if starting and self._store.first is not None:
            self._next = self._store.first

    def _end_segment(self) -> list[Epoch]:
        out: list[Epoch] = []
        if self._store.first is not None:
            self._store.close()
            out = self._advance(final=True)
        out.extend(self._emit(self._smoother.flush()))
        self._store.reset()
        self._nonwear.reset()
        return out

    def _advance(self, *, final: bool) -> list[Epoch]:
        """Decide every epoch whose window is complete (all of them when ``final``)."""
        store = self._store
        if store.first is None:
            return []
        last = store.end - 1 if final else store.end - 1 - WINDOW_AFTER
        if last < self._next:
            return []
        features = batch_features(
            store, self._shape, self._next, last, store.end - 1 if final else None
        )
        has_data = (store.counts[self._next - store.base : last + 1 - store.base] > 0).tolist()
        out: list[Epoch] = []
        for k, f, data in zip(range(self._next, last + 1), features, has_data, strict=True):
            out.extend(self._decide(k, f, data))
        self._next = last + 1
        store.drop_before(self._next - KEEP_BEFORE)
        return out

    def _decide(self, k: int, f: Features, has_data: bool) -> list[Epoch]:
        calibrator = self._calibrator
        if has_data:
            calibrator.observe(f)
        pedalling = self._pedalling(k)
        if calibrator.has_reference:
            if not self._seeded:
                self._seeded = True
                up = self._clusters.upright_cluster
                if up is not None:
                    calibrator.seed_standing(up.centre, up.epochs)
            posture = decide(f, calibrator.calibration, pedalling=pedalling)
        else:
            if has_data and f.usable and not f.gait_like:
                self._clusters.observe(f)
            posture = decide(
                f, self._clusters.calibration, pedalling=pedalling, still_without_axes=COLD_STILL
            )
        self._flags[k] = self._nonwear.update(f, has_data=has_data)
        return self._emit(self._smoother.push(Decision(k, posture, has_data)))

    def _pedalling(self, k: int) -> bool | None:
        """The cadence sensor's word on epoch ``k``'s window, None without readings."""
        cadence = self._cadence
        if not cadence:
            return None
        lo = (k - WINDOW_BEFORE) * self.epoch_s
        hi = (k + WINDOW_AFTER + 1) * self.epoch_s
        while cadence and cadence[0][0] < lo:
            cadence.popleft()
        readings = [rpm for t, rpm in cadence if t < hi]
        if not readings:
            return None
        return any(rpm > 0 for rpm in readings)

    def _emit(self, decisions: list[Decision]) -> list[Epoch]:
        out = []
        e = self.epoch_s
        for d in decisions:
            nonwear = self._flags.pop(d.index, False)
            posture = Posture.NONWEAR if nonwear else d.posture
            out.append(Epoch(d.index * e, (d.index + 1) * e, posture))
        return out
