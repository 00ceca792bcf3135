"""The streaming classifier: samples in, one posture per epoch out.

Stages, in order: ``epochs`` cuts the stream into 1-s epochs on the source's own time
scale and summarises each once; ``features`` describes a 4-s window around each epoch
(the two epochs before it, the epoch, the one after), for all the epochs a chunk
completes at once; ``classify`` names at once what needs no orientation (stepping, gaps);
then, epoch by epoch in one loop per stage, ``calibrate`` learns the thigh's axes
(``clusters`` guesses them before the first walk), ``classify`` names the remaining
postures by angle, ``nonwear`` overrides long stillness and ``smooth`` removes
one-epoch blips and bridges pauses in a ride. Every epoch is decided exactly as if the
stages ran one epoch at a time (``tests/collector/posture/test_golden.py``).

Causality bound: epoch ``[k, k+1)`` needs the samples up to ``k + 2`` for its window's
last epoch, and the smoother waits for the next epoch's decision, so it is decided, and
returned by ``feed``, as soon as a sample with ``t >= t_end + 2 s`` arrives
(``LOOKAHEAD_S``). Nothing later than that influences it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from collector.posture.calibrate import Calibration, Calibrator
from collector.posture.classify import CADENCE_MOVING_G, RUNNING_G, posed, running_mask
from collector.posture.clusters import StillClusters
from collector.posture.epochs import Epoch, EpochStore, make_epochs
from collector.posture.features import (
    KEEP_BEFORE,
    WINDOW_AFTER,
    WINDOW_BEFORE,
    FeatureBatch,
    WindowShape,
    batch_features,
)
from collector.posture.nonwear import NONWEAR_AFTER_S, STILL_SD_G, NonwearDetector
from collector.posture.smooth import Smoother
from collector.posture.vectors import Vector
from sitless.errors import FrameError
from sitless.wire.posture import Posture

# Seconds of data after an epoch's end needed to decide it (window + smoother).
LOOKAHEAD_S = 2.0
# A longer silence than this ends the stream segment: epochs before it are settled
# without lookahead and none are invented for the gap (the publisher reports the gap).
MAX_GAP_S = 10.0
MIN_RATE_HZ = 10.0
# How much of a file the offline tools (``sitless classify``, ``sitless eval``, the
# benchmark) feed at once. The epochs are the same whatever the chunking; each feed has
# a fixed cost of about 0.2 ms, which one-minute chunks at 25 Hz make a third of the
# time. Five minutes keeps it small and still moves a progress bar on an hour's file.
FILE_CHUNK_S = 300.0
# What a still posture is called before anything shows which way is up: sitting, the
# commonest still posture of a day (see ``clusters``).
COLD_STILL = Posture.SITTING
# The postures decided without the thigh's axes, by code (see ``_decide``); None: the
# angle decides.
_FIXED = np.array([Posture.UNKNOWN, Posture.WALKING, Posture.RUNNING, None], dtype=object)


@dataclass(slots=True)
class _Rows:
    """One batch's per-epoch values as Python lists, for the epoch-by-epoch stages.

    ``postures`` holds what needs no orientation (None where the angle decides).
    """

    postures: list[Posture | None]
    learn: list[bool]
    gait: list[bool]
    pedal: list[bool]
    directions: list[Vector]
    intensity: list[float]
    covs: list[list[float]]


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
        # A sum is finite when every term is (and not too large to add up: then the
        # terms are checked one by one).
        if not (math.isfinite(times.sum()) and math.isfinite(accel.sum())) and not (
            np.isfinite(times).all() and np.isfinite(accel).all()
        ):
            raise FrameError("samples contain NaN or infinite values", reason="not_numeric")
        steps = times[1:] - times[:-1]
        first_step = times[0] - self._last_t
        if not first_step > 0 or (steps.size and not steps.min() > 0):
            bad = np.flatnonzero(np.concatenate([[first_step], steps]) <= 0)
            i = int(bad[0])
            raise FrameError(
                f"sample time {times[i]!r} does not follow {times[i - 1] if i else self._last_t!r}",
                reason="time_not_increasing",
                value=float(times[i]),
            )
        out: list[Epoch] = []
        cuts = [0]
        if first_step > self.max_gap_s:
            out.extend(self._end_segment())
        if steps.size and steps.max() > self.max_gap_s:
            cuts.extend((np.flatnonzero(steps > self.max_gap_s) + 1).tolist())
        cuts.append(times.size)
        for lo, hi in pairwise(cuts):
            if lo:
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
        out.extend(self._emit(self._smoother.flush_run()))
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
        batch = batch_features(
            store, self._shape, self._next, last, store.end - 1 if final else None
        )
        out = self._decide(batch)
        self._next = last + 1
        store.drop_before(self._next - KEEP_BEFORE)
        return out

    def _decide(self, b: FeatureBatch) -> list[Epoch]:
        """Decide the batch's epochs in order: calibration, rules, non-wear, smoothing."""
        m = len(b)
        first = b.first
        has = b.own_n > 0
        # What needs no orientation is decided for the whole batch at once: epochs
        # without enough data are unknown, stepping is walking or running. The rest
        # (None) is decided from the thigh's angle, epoch by epoch.
        stepping = b.gait_like | b.stepping
        if (b.intensity_g >= RUNNING_G).any():
            code = np.where(stepping, 1 + running_mask(b.intensity_g, b.rhythm_hz), 3)
        else:
            code = np.where(stepping, 1, 3)
        code *= b.usable
        pedals = b.pedalling_like
        if self._cadence:
            turning = np.array([self._pedalling(first + i) is True for i in range(m)])
            pedals = pedals | (turning & (b.intensity_g >= CADENCE_MOVING_G))
        dx, dy, dz = b.direction.T.tolist()
        rows = _Rows(
            postures=_FIXED[code].tolist(),
            # A window of fewer than MIN_SAMPLES samples has NaN features.
            learn=(has & np.isfinite(b.intensity_g)).tolist(),
            gait=b.gait_like.tolist(),
            pedal=pedals.tolist(),
            directions=list(zip(dx, dy, dz, strict=True)),
            intensity=b.intensity_g.tolist(),
            covs=b.cov_g2.tolist(),
        )
        start = 0
        if not (self._seeded and self._calibrator.has_reference):
            start = self._decide_cold(rows, b, has)
        if start < m:
            self._decide_warm(rows, start)
        quiet = (has & (b.max_sd_g < STILL_SD_G)).tolist()
        nonwear = self._nonwear.update_many(quiet, rows.directions)
        if any(nonwear):
            for i, flag in enumerate(nonwear):
                if flag:
                    self._flags[first + i] = True
        # Every epoch has its posture by now.
        decided = cast(list[Posture], rows.postures)
        return self._emit(self._smoother.push_run(first, decided, has.tolist()))

    def _decide_cold(self, rows: _Rows, b: FeatureBatch, has: NDArray[np.bool_]) -> int:
        """Decide epochs before the long axis is known; where the rest of the batch starts.

        The cold-start clusters learn from still epochs and decide; the calibrator only
        collects gait, which anything else interrupts (so it need not see a second
        non-gait epoch in a row). The runs between gait epochs go to the clusters at
        once. The first gait epoch that gives the calibrator a long axis ends this.
        """
        calibrator, clusters = self._calibrator, self._clusters
        postures, learn, gait, pedal = rows.postures, rows.learn, rows.gait, rows.pedal
        directions, covs, intensity = rows.directions, rows.covs, rows.intensity
        m = len(postures)
        cold_learn = (has & b.usable & ~b.gait_like).tolist()
        epoch_means = list(zip(*b.epoch_mean_g.T.tolist(), strict=True))
        after_gait = True
        i = 0
        for g in (*(j for j in range(m) if learn[j] and gait[j]), m):
            if i < g:
                interrupt = next((j for j in range(i, g) if learn[j]), None) if after_gait else None
                if interrupt is not None:
                    j = interrupt
                    calibrator.observe_epoch(False, directions[j], covs[j], intensity[j])
                    after_gait = False
                calibrations = clusters.observe_run(
                    cold_learn[i:g], directions[i:g], epoch_means[i:g], intensity[i:g]
                )
                for j, calibration in enumerate(calibrations, start=i):
                    if postures[j] is None:
                        postures[j] = posed(directions[j], calibration, pedal[j], COLD_STILL)
            if g == m:
                return m
            calibrator.observe_epoch(True, directions[g], covs[g], intensity[g])
            after_gait = True
            i = g + 1
            if calibrator.has_reference:
                if not self._seeded:
                    self._seeded = True
                    up = clusters.upright_cluster
                    if up is not None:
                        calibrator.seed_standing(up.centre, up.epochs)
                calibration = calibrator.calibration
                if postures[g] is None:
                    postures[g] = posed(directions[g], calibration, pedal[g])
                return i
            calibration = clusters.calibration
            if postures[g] is None:
                postures[g] = posed(directions[g], calibration, pedal[g], COLD_STILL)
        return m

    def _decide_warm(self, rows: _Rows, start: int) -> None:
        """Decide epochs ``start`` on, the long axis known: only the calibrator learns."""
        calibrations = self._calibrator.observe_run(
            rows.learn[start:],
            rows.gait[start:],
            rows.directions[start:],
            rows.covs[start:],
            rows.intensity[start:],
        )
        postures, directions, pedal = rows.postures, rows.directions, rows.pedal
        for j, calibration in enumerate(calibrations, start=start):
            if postures[j] is None:
                postures[j] = posed(directions[j], calibration, pedal[j])

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

    def _emit(self, decisions: list[tuple[int, Posture]]) -> list[Epoch]:
        flags = self._flags
        if flags:
            decisions = [
                (k, Posture.NONWEAR if flags.pop(k, False) else posture) for k, posture in decisions
            ]
        return make_epochs(decisions, self.epoch_s)
