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
from collections.abc import Sequence
from dataclasses import dataclass

from collector.posture.calibrate import Calibration
from collector.posture.features import MOVING_G, Features
from collector.posture.vectors import Vector, across, blend_unit, cos_deg, dot, norm, unit

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

    __slots__ = (
        "_cached",
        "_dirty",
        "_recent",
        "_recent_x",
        "_recent_y",
        "_recent_z",
        "_same",
        "clusters",
        "upright",
    )

    def __init__(self) -> None:
        self.clusters: list[Cluster] = []
        self.upright: int | None = None
        # The clusters of the latest still epochs, and their own 1-s mean directions.
        self._recent: deque[int] = deque(maxlen=SWAY_EPOCHS)
        self._recent_x: deque[float] = deque(maxlen=SWAY_EPOCHS)
        self._recent_y: deque[float] = deque(maxlen=SWAY_EPOCHS)
        self._recent_z: deque[float] = deque(maxlen=SWAY_EPOCHS)
        # How many of the latest entries of ``_recent`` share its last cluster.
        self._same = 0
        self._cached: Calibration | None = None
        self._dirty = False

    def observe(self, f: Features) -> int | None:
        """Learn from one epoch; returns the cluster of a still epoch, else None."""
        if f.n < 4:
            self._forget_recent()
            return None
        return self.observe_epoch(f.direction, f.epoch_mean_g, f.intensity_g)

    def observe_epoch(
        self, direction: Vector, epoch_mean_g: Vector, intensity_g: float
    ) -> int | None:
        """``observe`` on an epoch's fields, for a window of 4 samples or more."""
        if not intensity_g < MOVING_G:
            if self._recent:
                self._forget_recent()
            return None
        # The nearest cluster within JOIN_DEG joins the epoch (this runs for every
        # still epoch before the first walk, so it is written out); none starts one.
        best, best_cos = -1, _JOIN_COS
        dx, dy, dz = direction
        for i, c in enumerate(self.clusters):
            cx, cy, cz = c.centre
            cos = cx * dx + cy * dy + cz * dz
            if cos >= best_cos:
                best, best_cos = i, cos
        if best < 0:
            index = self._found(direction)
        else:
            index = best
            c = self.clusters[best]
            c.epochs += 1
            rate = 1 / c.epochs
            if not rate > CENTRE_RATE:
                rate = CENTRE_RATE
            c.centre = blend_unit(c.centre, direction, rate)
            if best == self.upright or (self.upright is not None and c.epochs % 10 == 0):
                self._dirty = True
        x, y, z = epoch_mean_g
        size = math.sqrt(x * x + y * y + z * z)
        if size > 0:
            if self._recent and self._recent[-1] == index:
                self._same += 1
            else:
                self._same = 1
            self._recent.append(index)
            self._recent_x.append(x / size)
            self._recent_y.append(y / size)
            self._recent_z.append(z / size)
            # Sway counts only over SWAY_EPOCHS in a row of one cluster.
            if self._same >= SWAY_EPOCHS:
                self._measure_sway(index)
        return index

    def observe_run(
        self,
        learn: Sequence[bool],
        directions: Sequence[Vector],
        epoch_means: Sequence[Vector],
        intensity_g: Sequence[float],
    ) -> list[Calibration | None]:
        """Consecutive epochs: each one observed (where ``learn`` says so), then the
        calibration as it stands after it -- ``observe_epoch`` and ``calibration`` in
        turn, in one loop."""
        out: list[Calibration | None] = []
        observe = self.observe_epoch
        for i, use in enumerate(learn):
            if use:
                observe(directions[i], epoch_means[i], intensity_g[i])
            if self._dirty:
                self._cached = self._build()
                self._dirty = False
            out.append(self._cached)
        return out

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
                    return Calibration.of(up.centre, unit(side), True)
        return Calibration.of(up.centre, None, True)

    def _found(self, direction: Vector) -> int:
        """Start a cluster at ``direction``; upright if it is the first far from the rest."""
        self.clusters.append(Cluster(direction, 1))
        index = len(self.clusters) - 1
        if self.upright is None and any(
            abs(dot(c.centre, direction)) <= _APART_COS for c in self.clusters[:-1]
        ):
            self.upright = index
        self._dirty = True
        return index

    def _forget_recent(self) -> None:
        self._recent.clear()
        self._recent_x.clear()
        self._recent_y.clear()
        self._recent_z.clear()

    def _measure_sway(self, index: int) -> None:
        # Summed one after the other, as a loop would.
        x = sum(self._recent_x, 0.0)
        y = sum(self._recent_y, 0.0)
        z = sum(self._recent_z, 0.0)
        # For unit vectors d_i with mean vector m, the mean squared distance to m's
        # direction is 2 - 2|m|; for angles this small, distance is angle in radians.
        n = len(self._recent)
        length = math.sqrt(x * x + y * y + z * z) / n
        spread = 2.0 - 2.0 * length
        rms = math.degrees(math.sqrt(0.0 if spread < 0.0 else spread))
        sway = SWAY_FLOOR_DEG if rms < SWAY_FLOOR_DEG else rms
        if sway > SWAY_CEILING_DEG:
            sway = SWAY_CEILING_DEG
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
