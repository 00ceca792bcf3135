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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from collector.posture.features import Features
from collector.posture.vectors import (
    Vector,
    across,
    angle_deg,
    blend,
    blend_unit,
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
_UP_KEEP = 1.0 - UP_RATE
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
        up, forward = _axes(self.up, self.forward)
        object.__setattr__(self, "up", up)
        object.__setattr__(self, "forward", forward)

    @classmethod
    def of(cls, up: Vector, forward: Vector | None, forward_signed: bool) -> Calibration:
        """``Calibration(up, forward, forward_signed)``, built faster (the classifier
        rebuilds its calibration every few epochs)."""
        out: Calibration = _new_calibration(cls)
        norm_up, norm_forward = _axes(up, forward)
        _set_up(out, norm_up)
        _set_forward(out, norm_forward)
        _set_signed(out, forward_signed)
        return out

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


def _axes(up: Iterable[float], forward: Iterable[float] | None) -> tuple[Vector, Vector | None]:
    """``up`` as a unit vector, and ``forward`` made a unit vector orthogonal to it
    (``unit``, ``across`` and ``unit`` again, written out: this runs at every rebuild).

    Raises:
        ValueError: a zero, infinite or NaN direction.
    """
    u0, u1, u2 = unit(up)
    if forward is None:
        return (u0, u1, u2), None
    f0, f1, f2 = unit(forward)
    k = f0 * u0 + f1 * u1 + f2 * u2
    x, y, z = f0 - k * u0, f1 - k * u1, f2 - k * u2
    size = math.sqrt(x * x + y * y + z * z)
    if not size > 0 or not math.isfinite(size):
        raise ValueError(f"not a usable direction: {(x, y, z)!r}")
    return (u0, u1, u2), (x / size, y / size, z / size)


# See ``Calibration.of``: the slots filled through their descriptors.
_new_calibration = object.__new__
_set_up = vars(Calibration)["up"].__set__
_set_forward = vars(Calibration)["forward"].__set__
_set_signed = vars(Calibration)["forward_signed"].__set__


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

    __slots__ = (
        "_boot",
        "_cached",
        "_gait_up",
        "_initial",
        "_line",
        "_prior_forward",
        "_prior_signed",
        "_rival",
        "_sit",
        "_sit_n",
        "_stale",
        "_stand",
        "_stand_n",
        "_swing",
        "_swing_n",
        "_updates",
        "adapt",
    )

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
        self._swing: tuple[float, ...]
        self._swing_n: int
        self._line: Vector | None
        self._sit: Vector
        self._sit_n: int
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
        if f.n >= 4 and math.isfinite(f.intensity_g):
            self._run((True,), (f.gait_like,), (f.direction,), (f.cov_g2,), (f.intensity_g,), None)

    def observe_epoch(
        self, gait_like: bool, direction: Vector, cov_g2: Sequence[float], intensity_g: float
    ) -> None:
        """``observe`` on an epoch's fields, for a window of 4 samples or more."""
        self._run((True,), (gait_like,), (direction,), (cov_g2,), (intensity_g,), None)

    def observe_run(
        self,
        learn: Sequence[bool],
        gait_like: Sequence[bool],
        directions: Sequence[Vector],
        covs: Sequence[Sequence[float]],
        intensity_g: Sequence[float],
    ) -> list[Calibration | None]:
        """Consecutive epochs: each one observed, then the calibration that decides it.

        The same as, per epoch, ``observe_epoch`` when ``learn`` says so, then reading
        ``calibration``. ``covs`` is read for gait epochs only.
        """
        out: list[Calibration | None] = []
        self._run(learn, gait_like, directions, covs, intensity_g, out)
        return out

    def _run(
        self,
        learn: Sequence[bool],
        gait_like: Sequence[bool],
        directions: Sequence[Vector],
        covs: Sequence[Sequence[float]],
        intensity_g: Sequence[float],
        out: list[Calibration | None] | None,
    ) -> None:
        """Learn from consecutive epochs (those ``learn`` marks); with ``out``, append
        the calibration as it stands after each. One loop, the common cases written
        out: it runs for every epoch of every recording."""
        adapt = self.adapt
        for i, use in enumerate(learn):
            if use and adapt:
                if not gait_like[i]:
                    self._still(directions[i], intensity_g[i])
                elif self._gait_up is None:
                    self._boot_gait(directions[i])
                else:
                    # Gait along the known axis, written out (the common case).
                    dx, dy, dz = direction = directions[i]
                    gx, gy, gz = self._gait_up
                    upness = dx * gx + dy * gy + dz * gz
                    if abs(upness) < _AGREE_COS:
                        self._rival_gait(direction)
                    else:
                        if self._rival:
                            self._rival.clear()
                        # ``blend_unit(gait_up, aligned, UP_RATE)`` (the same arithmetic).
                        if not upness >= 0:
                            dx, dy, dz = dx * -1, dy * -1, dz * -1
                        x = _UP_KEEP * gx + UP_RATE * dx
                        y = _UP_KEEP * gy + UP_RATE * dy
                        z = _UP_KEEP * gz + UP_RATE * dz
                        size = math.sqrt(x * x + y * y + z * z)
                        if not size > 0 or not math.isfinite(size):
                            raise ValueError(f"not a usable direction: {(x, y, z)!r}")
                        self._gait_up = (x / size, y / size, z / size)
                        self._learn_swing(covs[i])
                        self._updates += 1
            if out is not None:
                if self._stale or self._updates >= REFRESH_UPDATES:
                    self._cached = self._build()
                    self._updates = 0
                    self._stale = False
                out.append(self._cached)

    def _learn_swing(self, cov: Sequence[float]) -> None:
        """Average the gait motion's covariance, normalised, for the forward line."""
        trace = cov[0] + cov[1] + cov[2]
        if not trace > 0:
            return
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

    def _still(self, direction: Vector, intensity_g: float) -> None:
        # Evidence for a (new) long axis must come from unbroken gait: a few gait-like
        # seconds of rowing or fidgeting must not add up to a re-calibration.
        if self._boot:
            self._boot.clear()
        if self._rival:
            self._rival.clear()
        if intensity_g >= STAND_STILL_G:
            return
        stand = self._stand
        ref = stand if stand is not None and self._stand_n >= STAND_EPOCHS else self._gait_up
        if ref is None:
            return
        dx, dy, dz = direction
        upness = ref[0] * dx + ref[1] * dy + ref[2] * dz
        if abs(upness) >= _STAND_COS:
            gait_up = self._gait_up
            if gait_up is None or (
                abs(gait_up[0] * dx + gait_up[1] * dy + gait_up[2] * dz) >= _STAND_COS
            ):
                self._standing(direction, upness)
                return
        if 0 <= upness <= _SIT_MIN_COS and intensity_g < SIT_STILL_G:
            self._sitting(direction, ref, upness)

    def _reference(self) -> Vector | None:
        if self._stand is not None and self._stand_n >= STAND_EPOCHS:
            return self._stand
        return self._gait_up

    def _reset_across(self) -> None:
        self._swing = (0.0,) * 6
        self._swing_n = 0
        self._line = None
        self._sit = (0.0, 0.0, 0.0)
        self._sit_n = 0

    def _boot_gait(self, direction: Vector) -> None:
        self._boot.append(direction)
        if len(self._boot) == BOOT_EPOCHS and _concentrated(self._boot):
            self._adopt(_mean(self._boot))

    def _rival_gait(self, direction: Vector) -> None:
        self._rival.append(direction)
        if len(self._rival) == RIVAL_EPOCHS and _concentrated(self._rival):
            self._adopt(_mean(self._rival))

    def _standing(self, direction: Vector, upness: float) -> None:
        """Standing still: ``upness`` is ``direction`` along the current reference."""
        aligned = direction if upness >= 0 else scale(direction, -1)
        if self._stand is None or self._stand_n == 0:
            self._stand = aligned
        else:
            self._stand = blend_unit(self._stand, aligned, STAND_RATE)
        self._stand_n += 1
        if self._stand_n == STAND_EPOCHS:
            self._stale = True
        self._updates += 1

    def _sitting(self, direction: Vector, up: Vector, upness: float) -> None:
        """Sitting still: ``upness`` is ``direction`` along ``up``."""
        dx, dy, dz = direction
        x, y, z = dx - upness * up[0], dy - upness * up[1], dz - upness * up[2]
        size = math.sqrt(x * x + y * y + z * z)
        if size < 1e-6:
            return
        k = 1 / size
        side = (x * k, y * k, z * k)
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
        """The main axis of the averaged gait motion across the long axis.

        The largest-eigenvalue eigenvector of the swing matrix projected across
        ``up``, found in closed form in that plane: the principal axis of the 2x2
        matrix the swing makes on an orthonormal pair across ``up``.
        """
        if self._gait_up is None:
            return None
        xx, yy, zz, xy, xz, yz = self._swing
        u0, u1, u2 = self._gait_up
        # A pair of unit vectors across up, from the sensor axis least along it.
        if abs(u0) <= abs(u1) and abs(u0) <= abs(u2):
            p0, p1, p2 = 1.0 - u0 * u0, -u0 * u1, -u0 * u2
        elif abs(u1) <= abs(u2):
            p0, p1, p2 = -u1 * u0, 1.0 - u1 * u1, -u1 * u2
        else:
            p0, p1, p2 = -u2 * u0, -u2 * u1, 1.0 - u2 * u2
        size = math.sqrt(p0 * p0 + p1 * p1 + p2 * p2)
        p0, p1, p2 = p0 / size, p1 / size, p2 / size
        q0, q1, q2 = u1 * p2 - u2 * p1, u2 * p0 - u0 * p2, u0 * p1 - u1 * p0
        # The swing matrix applied to each, and the 2x2 matrix [[a, b], [b, c]].
        sp0, sp1, sp2 = (
            xx * p0 + xy * p1 + xz * p2,
            xy * p0 + yy * p1 + yz * p2,
            xz * p0 + yz * p1 + zz * p2,
        )
        a = p0 * sp0 + p1 * sp1 + p2 * sp2
        b = q0 * sp0 + q1 * sp1 + q2 * sp2
        c = (
            q0 * (xx * q0 + xy * q1 + xz * q2)
            + q1 * (xy * q0 + yy * q1 + yz * q2)
            + q2 * (xz * q0 + yz * q1 + zz * q2)
        )
        angle = 0.5 * math.atan2(2.0 * b, a - c)
        cos, sin = math.cos(angle), math.sin(angle)
        return (cos * p0 + sin * q0, cos * p1 + sin * q1, cos * p2 + sin * q2)

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
        return Calibration.of(up, forward, signed)


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
