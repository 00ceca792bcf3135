"""Where the thigh's axes point in the sensor's frame, found from the wearer's own motion.

A thigh sensor can be strapped on in any orientation, so the classifier first needs
two directions in sensor coordinates:

- ``up``: the thigh's long axis, which points up when the wearer stands. Two sources,
  best first:
  - quiet standing: the mean specific force while standing still is the upright
    reference itself (the reference position of Acti4, and what a guided "stand still"
    step gives: ``Calibration.from_standing``). Still epochs within 35 degrees of the
    gait axis are taken as standing once gait has shown where upright is.
  - gait: walking swings the thigh about the vertical, so the mean specific force over
    gait is near the long axis, but it leans forward of quiet standing -- 3-14 degrees
    on level ground, up to 27 on stairs (measured on the MotionSense trials), which is
    why standing, once seen, takes over.
- ``forward``: out of the front of the thigh, which points up when sitting. Gait swings
  the thigh forward and back, so the largest motion across the long axis during gait
  lies along the forward axis (measured on DSA: 3-11 times the lateral motion). That
  gives the line; the sign comes from sitting, where gravity points out of the front
  of the thigh. Without gait, the direction of sitting across the long axis is used.

The long axis is treated as a line: a sensor turned upside down reads gait, standing
and sitting with the sign of ``up`` flipped, and ``classify`` folds inclination so it
still reads upright. The estimate keeps adapting while the wearer walks and stands, and
starts over when gait keeps arriving from a clearly different line (the sensor was moved
or re-attached).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from collector.posture.features import Features
from collector.posture.vectors import (
    Vector,
    across,
    angle_deg,
    blend,
    cos_deg,
    dot,
    norm,
    scale,
    unit,
)

# Consecutive gait epochs needed, all within GAIT_SPREAD_DEG of their mean, before
# trusting ``up``.
BOOT_EPOCHS = 8
GAIT_SPREAD_DEG = 20.0
# Gait further than this from ``up`` (as lines) counts against it; RIVAL_EPOCHS of it in
# a row, consistent with each other, mean the sensor sits differently now.
AGREE_DEG = 30.0
RIVAL_EPOCHS = 10
# Exponential-average weights per gait / standing / sitting epoch (time constants of
# ~30 s of gait, ~1 min of standing and ~2 min of sitting): slow enough to ride through
# odd steps, fast enough to follow a sensor that slips.
UP_RATE = 1 / 30
STAND_RATE = 1 / 60
SWING_RATE = 1 / 60
SIT_RATE = 1 / 120
SWING_EPOCHS = 8
# The swing line is an eigenvector of a slowly averaged matrix: recomputing it every
# few gait epochs is as good as every epoch, and much cheaper. The same holds for the
# calibration handed to ``classify``: the averages it is built from move by at most a
# sixtieth to a thirtieth of a small angle per epoch, so it is rebuilt after every
# REFRESH_UPDATES of them (and at once after a change of axis).
SWING_REFRESH_EPOCHS = 16
REFRESH_UPDATES = 8
# Standing: still (Acti4's 0.1 g) and within 35 degrees of the gait axis -- the gait
# mean leans up to 27 degrees forward of quiet standing on stairs, and seated thighs
# read 41 degrees or more from it even in a loose trouser pocket (MotionSense).
STAND_DEG = 35.0
STAND_STILL_G = 0.1
STAND_EPOCHS = 5
# Sitting evidence for the forward axis: thigh well away from vertical and still.
SIT_MIN_DEG = 60.0
SIT_STILL_G = 0.05
SIT_SETTLED_EPOCHS = 30
SIT_AGREE_COS = math.cos(math.radians(30.0))
# A sitting direction must lie within 45 degrees of the swing line to vote on its sign
# (lying on the side is 90 degrees from it and must not).
SIGN_VOTE_COS = math.cos(math.radians(45.0))
# The thresholds above as cosines: angles are compared without ``acos``.
_SPREAD_COS = cos_deg(GAIT_SPREAD_DEG)
_AGREE_COS = cos_deg(AGREE_DEG)
_STAND_COS = cos_deg(STAND_DEG)
_SIT_MIN_COS = cos_deg(SIT_MIN_DEG)


@dataclass(frozen=True, slots=True)
class Calibration:
    """The thigh's axes in sensor coordinates.

    Attributes:
        up: unit vector along the thigh towards the hip (reads +1 g when standing).
        forward: unit vector out of the front of the thigh (reads +1 g when sitting),
            orthogonal to ``up``; None while unknown.
        forward_signed: False when only the forward *line* is known (from gait), not
            which way along it is the front.
    """

    up: Vector
    forward: Vector | None = None
    forward_signed: bool = True

    def __post_init__(self) -> None:
        up = unit(self.up)
        object.__setattr__(self, "up", up)
        if self.forward is not None:
            fwd = unit(self.forward)
            object.__setattr__(self, "forward", unit(across(fwd, up)))

    @classmethod
    def from_standing(cls, accel_g: ArrayLike) -> Calibration:
        """The calibration from samples taken while the wearer stands still."""
        samples = np.asarray(accel_g, dtype=np.float64).reshape(-1, 3)
        if samples.shape[0] == 0:
            raise ValueError("no samples to calibrate from")
        return cls(up=unit(samples.mean(axis=0).tolist()))

    def inclination_deg(self, direction: Vector | ArrayLike) -> float:
        """Angle of the thigh from upright: 0 standing, about 90 sitting or lying."""
        return angle_deg(self.up, _vector(direction))

    def roll_deg(self, direction: Vector | ArrayLike) -> float:
        """Rotation of the thigh about its long axis away from face-up.

        0 when the front of the thigh faces up (sitting, or lying on the back: the two
        look the same to a thigh sensor), about 90 on either side, 180 face down. With
        only the forward line known, face-down also reads 0. None of this means much
        while the thigh is near vertical.
        """
        if self.forward is None:
            return 0.0
        side = across(_vector(direction), self.up)
        size = norm(side)
        if size < 1e-9:
            return 0.0
        cos = dot(side, self.forward) / size
        if not self.forward_signed:
            cos = abs(cos)
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _vector(v: Vector | ArrayLike) -> Vector:
    if isinstance(v, tuple) and len(v) == 3:
        return (float(v[0]), float(v[1]), float(v[2]))
    x, y, z = (float(c) for c in np.asarray(v, dtype=np.float64).reshape(3))
    return (x, y, z)


class Calibrator:
    """Keeps a ``Calibration`` up to date from each epoch's features.

    Args:
        initial: a known calibration (a "stand still" step, or the last session's).
        adapt: keep learning from gait, standing and sitting; False pins ``initial``.
    """

    def __init__(self, initial: Calibration | None = None, *, adapt: bool = True) -> None:
        self.adapt = adapt
        self._initial = initial
        self._boot: deque[Vector] = deque(maxlen=BOOT_EPOCHS)
        self._rival: deque[Vector] = deque(maxlen=RIVAL_EPOCHS)
        self._gait_up: Vector | None = None
        self._stand: Vector | None = initial.up if initial else None
        self._stand_n = STAND_EPOCHS if initial else 0
        self._prior_forward = initial.forward if initial else None
        self._prior_signed = initial.forward_signed if initial else True
        self._reset_across()
        self._cached: Calibration | None = initial
        self._updates = 0
        self._stale = False

    @property
    def calibration(self) -> Calibration | None:
        """The current estimate; None until the long axis is known."""
        if self._stale or self._updates >= REFRESH_UPDATES:
            self._cached = self._build()
            self._updates = 0
            self._stale = False
        return self._cached

    @property
    def has_reference(self) -> bool:
        """Whether the long axis is known (given, from standing, or from gait)."""
        return self._reference() is not None

    def seed_standing(self, direction: Vector, epochs: int) -> None:
        """Take a standing direction found before any gait, once gait agrees with it."""
        if self._gait_up is None or abs(dot(direction, self._gait_up)) < _STAND_COS:
            return
        self._stand = direction if dot(direction, self._gait_up) >= 0 else scale(direction, -1)
        self._stand_n = max(self._stand_n, min(epochs, STAND_EPOCHS))
        self._stale = True

    def observe(self, f: Features) -> None:
        """Learn from one epoch's features (call once per epoch, in order)."""
        if not self.adapt or f.n < 4 or not math.isfinite(f.intensity_g):
            return
        direction = f.direction
        if f.gait_like:
            self._gait(direction, f.cov_g2)
            return
        # Evidence for a (new) long axis must come from unbroken gait: a few gait-like
        # seconds of rowing or fidgeting must not add up to a re-calibration.
        self._boot.clear()
        self._rival.clear()
        ref = self._reference()
        if ref is None or f.intensity_g >= STAND_STILL_G:
            return
        upness = dot(ref, direction)
        if abs(upness) >= _STAND_COS and (
            self._gait_up is None or abs(dot(self._gait_up, direction)) >= _STAND_COS
        ):
            self._standing(direction, ref)
        elif 0 <= upness <= _SIT_MIN_COS and f.intensity_g < SIT_STILL_G:
            self._sitting(direction, ref)

    def _reference(self) -> Vector | None:
        if self._stand is not None and self._stand_n >= STAND_EPOCHS:
            return self._stand
        return self._gait_up

    def _reset_across(self) -> None:
        self._swing = (0.0,) * 6
        self._swing_n = 0
        self._line: Vector | None = None
        self._sit: Vector = (0.0, 0.0, 0.0)
        self._sit_n = 0

    def _gait(self, direction: Vector, cov: tuple[float, ...]) -> None:
        if self._gait_up is None:
            self._boot.append(direction)
            if len(self._boot) == BOOT_EPOCHS and _concentrated(self._boot):
                self._adopt(_mean(self._boot))
            return
        upness = dot(direction, self._gait_up)
        if abs(upness) < _AGREE_COS:
            self._rival.append(direction)
            if len(self._rival) == RIVAL_EPOCHS and _concentrated(self._rival):
                self._adopt(_mean(self._rival))
            return
        self._rival.clear()
        aligned = direction if upness >= 0 else scale(direction, -1)
        self._gait_up = unit(blend(self._gait_up, aligned, UP_RATE))
        trace = cov[0] + cov[1] + cov[2]
        if trace > 0:
            k = SWING_RATE / trace
            keep = 1 - SWING_RATE
            s0, s1, s2, s3, s4, s5 = self._swing
            c0, c1, c2, c3, c4, c5 = cov
            self._swing = (
                keep * s0 + k * c0,
                keep * s1 + k * c1,
                keep * s2 + k * c2,
                keep * s3 + k * c3,
                keep * s4 + k * c4,
                keep * s5 + k * c5,
            )
            self._swing_n += 1
            if self._line is None or self._swing_n % SWING_REFRESH_EPOCHS == 0:
                self._line = self._swing_line()
            if self._swing_n == SWING_EPOCHS:
                self._stale = True
        self._updates += 1

    def _standing(self, direction: Vector, ref: Vector) -> None:
        aligned = direction if dot(direction, ref) >= 0 else scale(direction, -1)
        if self._stand is None or self._stand_n == 0:
            self._stand = aligned
        else:
            self._stand = unit(blend(self._stand, aligned, STAND_RATE))
        self._stand_n += 1
        if self._stand_n == STAND_EPOCHS:
            self._stale = True
        self._updates += 1

    def _sitting(self, direction: Vector, up: Vector) -> None:
        side = across(direction, up)
        size = norm(side)
        if size < 1e-6:
            return
        side = scale(side, 1 / size)
        line = self._forward_line()
        if line is not None:
            if abs(dot(side, line)) < SIGN_VOTE_COS:
                return
        elif self._sit_n >= SIT_SETTLED_EPOCHS:
            # No line to check against: once a sitting direction is settled, only
            # epochs close to it refine it, so lying on the side (or rolled on the
            # back) does not drag it round.
            sit = across(self._sit, up)
            if dot(side, sit) < SIT_AGREE_COS * norm(sit):
                return
        self._sit = blend(self._sit, side, SIT_RATE)
        self._sit_n += 1
        if self._sit_n == 1:
            self._stale = True
        self._updates += 1

    def _adopt(self, up: Vector) -> None:
        """Start over with a new long axis: everything measured across it is stale."""
        self._gait_up = unit(up)
        self._boot.clear()
        self._rival.clear()
        if self._stand is not None and abs(dot(self._stand, self._gait_up)) < _STAND_COS:
            self._stand = None
            self._stand_n = 0
        if self._initial is not None and abs(dot(self._initial.up, self._gait_up)) < _AGREE_COS:
            self._prior_forward = None
        self._reset_across()
        self._stale = True

    def _forward_line(self) -> Vector | None:
        """The forward line: from gait if measured, else from the given calibration."""
        if self._swing_n >= SWING_EPOCHS and self._line is not None:
            return self._line
        return self._prior_forward

    def _swing_line(self) -> Vector | None:
        if self._gait_up is None:
            return None
        xx, yy, zz, xy, xz, yz = self._swing
        swing = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
        up = np.asarray(self._gait_up)
        project = np.eye(3) - np.outer(up, up)
        _, vectors = np.linalg.eigh(project @ swing @ project)
        x, y, z = (float(v) for v in vectors[:, -1])
        return (x, y, z)

    def _build(self) -> Calibration | None:
        up = self._reference()
        if up is None:
            return None
        forward: Vector | None = None
        signed = True
        line = self._forward_line()
        sit = across(self._sit, up)
        if line is not None:
            line = across(line, up)
            if norm(line) < 1e-6:
                line = None
        if line is not None:
            vote = dot(sit, line) if self._sit_n else 0.0
            if abs(vote) > 1e-3:
                forward = line if vote > 0 else scale(line, -1)
            elif self._prior_forward is not None and self._prior_signed:
                forward = line if dot(self._prior_forward, line) >= 0 else scale(line, -1)
            else:
                forward, signed = line, False
        elif self._sit_n and norm(sit) > 1e-6:
            forward = sit
        return Calibration(up=up, forward=forward, forward_signed=signed)


def _mean(directions: deque[Vector]) -> Vector:
    n = len(directions)
    return (
        sum(d[0] for d in directions) / n,
        sum(d[1] for d in directions) / n,
        sum(d[2] for d in directions) / n,
    )


def _concentrated(directions: deque[Vector]) -> bool:
    """All directions lie within GAIT_SPREAD_DEG of their mean."""
    mean = _mean(directions)
    if norm(mean) == 0:
        return False
    mean = unit(mean)
    return all(dot(mean, d) >= _SPREAD_COS for d in directions)
