"""Still postures seen before the long axis is known, and which of them is upright.

Until the wearer walks (or a "stand still" step is done), the classifier does not know
which way is up in the sensor's frame. It still sees gravity's direction in each still
epoch, and those directions fall into a few clusters, one per posture held. This module
keeps those clusters and makes the best causal guess of which one is upright:

- Sedentary thighs are near horizontal, upright ones near vertical: postures 45 degrees
  or more apart (as lines) cannot both be upright, postures closer than that are the
  same kind.
- A single kind of still posture, with nothing yet 45 degrees away from it, is taken as
  sedentary: sitting is by far the most common still posture of a day (about 9 of the
  waking still hours against 3 standing in activPAL population data), and it is how a
  sensor strapped on at a desk starts.
- When a posture at least 45 degrees from the sedentary ones appears, it is taken as
  upright: from sitting, the next still posture is far more often standing than lying
  on the side.
- Sway then decides between them: a standing body balances, so the thigh's angle
  wanders (0.1-0.6 degrees RMS over 10 s on the DSA thigh sensor) where a supported
  seated or lying thigh barely moves (0.02-0.06). The cluster taken as upright is
  replaced by one that sways at least twice as much, and at least 45 degrees from it.

Once gait gives the real long axis, ``calibrate`` takes over; an upright cluster that
agrees with gait seeds its standing reference. Postures decided in the meantime stay
decided (causality): a recording that opens with a long, very still standing bout will
have it called sitting until the sway or a walk says otherwise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from collector.posture.calibrate import Calibration
from collector.posture.features import MOVING_G, Features
from collector.posture.vectors import Vector, across, blend, cos_deg, dot, norm, unit

# Epoch directions within this angle belong to one cluster.
JOIN_DEG = 25.0
# Sedentary and upright thighs are 45 degrees apart at least (Acti4's sitting line).
APART_DEG = 45.0
# Sway is the RMS angle of the last SWAY_EPOCHS one-second mean directions around their
# mean (10 s: long enough for postural sway at 0.1-1 Hz), measured only while all of
# them are still and in one cluster.
SWAY_EPOCHS = 10
# Below this, sway is sensor noise on a 1-s mean (1-3 mg over 25-100 samples: ~0.01
# degrees); clipping keeps one noiseless cluster from looking infinitely still.
SWAY_FLOOR_DEG = 0.01
# One shift of weight or fidget must not dominate a cluster's sway.
SWAY_CEILING_DEG = 2.0
# A cluster's sway counts after this many measurements.
SWAY_MIN_SAMPLES = 20
# The upright cluster is replaced by one that sways this many times more.
SWAY_RATIO = 2.0
# A cluster's centre follows its epochs with at most this weight per epoch.
CENTRE_RATE = 1 / 60
_JOIN_COS = cos_deg(JOIN_DEG)
_APART_COS = cos_deg(APART_DEG)


@dataclass(slots=True)
class Cluster:
    """One still posture: where gravity points in it, how long it lasted, how it sways."""

    centre: Vector
    epochs: int = 0
    log_sway_sum: float = 0.0
    sway_n: int = 0

    @property
    def sway_deg(self) -> float:
        """Geometric mean of the sway measured in this cluster (NaN before any)."""
        if not self.sway_n:
            return math.nan
        return math.exp(self.log_sway_sum / self.sway_n)


class StillClusters:
    """The cold-start guess of which still posture is upright (see the module docstring)."""

    def __init__(self) -> None:
        self.clusters: list[Cluster] = []
        self.upright: int | None = None
        self._recent: deque[tuple[int, Vector]] = deque(maxlen=SWAY_EPOCHS)
        self._cached: Calibration | None = None
        self._dirty = False

    def observe(self, f: Features) -> int | None:
        """Learn from one epoch; returns the cluster of a still epoch, else None."""
        if f.n < 4 or not math.isfinite(f.intensity_g) or f.intensity_g >= MOVING_G:
            self._recent.clear()
            return None
        direction = f.direction
        index = self._assign(direction)
        x, y, z = f.epoch_mean_g
        size = math.sqrt(x * x + y * y + z * z)
        if size > 0:
            self._recent.append((index, (x / size, y / size, z / size)))
            self._measure_sway()
        return index

    @property
    def upright_cluster(self) -> Cluster | None:
        return None if self.upright is None else self.clusters[self.upright]

    @property
    def calibration(self) -> Calibration | None:
        """Axes from the clusters: up from the upright one, front from a sedentary one.

        The first sedentary cluster seen is taken as sitting, so its direction across
        ``up`` is the front of the thigh; later ones rolled far from it read as lying.
        """
        if self._dirty:
            self._cached = self._build()
            self._dirty = False
        return self._cached

    def _build(self) -> Calibration | None:
        up = self.upright_cluster
        if up is None:
            return None
        for c in self.clusters:
            if abs(dot(c.centre, up.centre)) <= _APART_COS:
                side = across(c.centre, up.centre)
                if norm(side) > 1e-6:
                    return Calibration(up=up.centre, forward=unit(side))
        return Calibration(up=up.centre)

    def _assign(self, direction: Vector) -> int:
        best, best_cos = -1, _JOIN_COS
        for i, c in enumerate(self.clusters):
            cos = dot(c.centre, direction)
            if cos >= best_cos:
                best, best_cos = i, cos
        if best < 0:
            self.clusters.append(Cluster(direction, 1))
            best = len(self.clusters) - 1
            if self.upright is None and any(
                abs(dot(c.centre, direction)) <= _APART_COS for c in self.clusters[:-1]
            ):
                self.upright = best
            self._dirty = True
            return best
        c = self.clusters[best]
        c.epochs += 1
        c.centre = unit(blend(c.centre, direction, max(CENTRE_RATE, 1 / c.epochs)))
        if best == self.upright or (self.upright is not None and c.epochs % 10 == 0):
            self._dirty = True
        return best

    def _measure_sway(self) -> None:
        if len(self._recent) < SWAY_EPOCHS:
            return
        index = self._recent[-1][0]
        for i, _ in self._recent:
            if i != index:
                return
        x = y = z = 0.0
        for _, d in self._recent:
            x += d[0]
            y += d[1]
            z += d[2]
        # For unit vectors d_i with mean vector m, the mean squared distance to m's
        # direction is 2 - 2|m|; for angles this small, distance is angle in radians.
        n = len(self._recent)
        length = math.sqrt(x * x + y * y + z * z) / n
        rms = math.degrees(math.sqrt(max(2.0 - 2.0 * length, 0.0)))
        sway = min(max(rms, SWAY_FLOOR_DEG), SWAY_CEILING_DEG)
        c = self.clusters[index]
        c.log_sway_sum += math.log(sway)
        c.sway_n += 1
        self._reconsider(index)

    def _reconsider(self, index: int) -> None:
        """Make the swayiest cluster upright when it clearly outsways the current one."""
        if self.upright is None:
            return
        up = self.clusters[self.upright]
        if up.sway_n < SWAY_MIN_SAMPLES:
            return
        others = range(len(self.clusters)) if index == self.upright else (index,)
        for i in others:
            c = self.clusters[i]
            if (
                i != self.upright
                and c.sway_n >= SWAY_MIN_SAMPLES
                and abs(dot(c.centre, up.centre)) <= _APART_COS
                and c.sway_deg >= SWAY_RATIO * up.sway_deg
            ):
                self.upright = i
                self._dirty = True
                return

    def is_upright(self, direction: Vector) -> bool | None:
        """Whether a direction is upright by the current guess (None: no guess yet)."""
        up = self.upright_cluster
        if up is None:
            return None
        return abs(dot(up.centre, direction)) > _APART_COS
