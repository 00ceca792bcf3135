"""Where the thigh's axes point in the sensor's frame, found from the wearer's own motion.

A thigh sensor can be strapped on in any orientation, so the classifier first needs
two directions in sensor coordinates:

- ``up``: the thigh's long axis, which points up when the wearer stands. Walking swings
  the thigh about the vertical, so the mean specific force over gait is the upright
  reference (Acti4 calibrates the same way; it reads some 5-15 degrees forward of quiet
  standing, far inside the 45 degrees that separate sitting from standing). A guided
  "stand still" step gives it directly (``Calibration.from_standing``).
- ``forward``: out of the front of the thigh, which points up when sitting. Gait swings
  the thigh forward and back, so the largest motion across the long axis during gait
  lies along the forward axis (measured on DSA: 3-11 times the lateral motion). That
  gives the line; the sign comes from sitting, where gravity points out of the front
  of the thigh. Without gait, the direction of sitting across the long axis is used.

The estimate keeps adapting while the wearer walks, and starts over when gait keeps
arriving from a clearly different direction (the sensor was moved or re-attached).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from collector.posture.features import Features

Array = NDArray[np.float64]
Vector = tuple[float, float, float]

# Consecutive gait epochs needed, all within GAIT_SPREAD_DEG of their mean, before
# trusting ``up``.
BOOT_EPOCHS = 8
GAIT_SPREAD_DEG = 20.0
# Gait further than this from ``up`` counts against it; RIVAL_EPOCHS of it in a row,
# consistent with each other, mean the sensor sits differently now.
AGREE_DEG = 30.0
RIVAL_EPOCHS = 10
# Exponential-average weights per gait / sitting epoch (time constants of ~30 s of gait
# and ~2 min of sitting): slow enough to ride through odd steps, fast enough to follow a
# sensor that slips.
UP_RATE = 1 / 30
SWING_RATE = 1 / 60
SIT_RATE = 1 / 120
SWING_EPOCHS = 8
# Sitting evidence for the forward axis: thigh well away from vertical and still.
SIT_MIN_DEG = 60.0
SIT_STILL_G = 0.05
SIT_SETTLED_EPOCHS = 30
SIT_AGREE_COS = math.cos(math.radians(30.0))
# A sitting direction must lie within 45 degrees of the swing line to vote on its sign
# (lying on the side is 90 degrees from it and must not).
SIGN_VOTE_COS = math.cos(math.radians(45.0))


def _unit(v: ArrayLike) -> Array:
    a = np.asarray(v, dtype=np.float64).reshape(3)
    norm = float(np.linalg.norm(a))
    if not norm > 0 or not math.isfinite(norm):
        raise ValueError(f"not a usable direction: {a!r}")
    return a / norm


def _vec(a: Array) -> Vector:
    return (float(a[0]), float(a[1]), float(a[2]))


def _angle_deg(a: Array, b: Array) -> float:
    return math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b)))))


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
        up = _unit(self.up)
        object.__setattr__(self, "up", _vec(up))
        if self.forward is not None:
            fwd = np.asarray(self.forward, dtype=np.float64)
            object.__setattr__(self, "forward", _vec(_unit(fwd - (fwd @ up) * up)))

    @classmethod
    def from_standing(cls, accel_g: ArrayLike) -> Calibration:
        """The calibration from samples taken while the wearer stands still."""
        samples = np.asarray(accel_g, dtype=np.float64).reshape(-1, 3)
        if samples.shape[0] == 0:
            raise ValueError("no samples to calibrate from")
        return cls(up=_vec(_unit(samples.mean(axis=0))))

    def inclination_deg(self, direction: Array) -> float:
        """Angle of the thigh from upright: 0 standing, about 90 sitting or lying."""
        return _angle_deg(np.asarray(self.up), direction)

    def roll_deg(self, direction: Array) -> float:
        """Rotation of the thigh about its long axis away from face-up.

        0 when the front of the thigh faces up (sitting, or lying on the back: the two
        look the same to a thigh sensor), about 90 on either side, 180 face down. With
        only the forward line known, face-down also reads 0. None of this means much
        while the thigh is near vertical.
        """
        if self.forward is None:
            return 0.0
        up = np.asarray(self.up)
        across = direction - (direction @ up) * up
        norm = float(np.linalg.norm(across))
        if norm < 1e-9:
            return 0.0
        cos = float(across @ np.asarray(self.forward)) / norm
        if not self.forward_signed:
            cos = abs(cos)
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


class Calibrator:
    """Keeps a ``Calibration`` up to date from each epoch's features.

    Args:
        initial: a known calibration (a "stand still" step, or the last session's).
        adapt: keep learning from gait and sitting; False pins ``initial``.
    """

    def __init__(self, initial: Calibration | None = None, *, adapt: bool = True) -> None:
        self.adapt = adapt
        self._initial = initial
        self._up: Array | None = np.asarray(initial.up) if initial else None
        self._boot: deque[Array] = deque(maxlen=BOOT_EPOCHS)
        self._rival: deque[Array] = deque(maxlen=RIVAL_EPOCHS)
        self._prior_forward = initial.forward if initial else None
        self._prior_signed = initial.forward_signed if initial else True
        self._reset_across()
        self._current = initial

    @property
    def calibration(self) -> Calibration | None:
        """The current estimate; None until the long axis is known."""
        return self._current

    def observe(self, f: Features) -> None:
        """Learn from one epoch's features (call once per epoch, in order)."""
        if not self.adapt or not f.n or not math.isfinite(f.intensity_g):
            return
        direction = f.direction
        if f.gait_like:
            self._gait(direction, f.cov_g2)
            return
        # Evidence for a (new) long axis must come from unbroken gait: a few gait-like
        # seconds of rowing or fidgeting must not add up to a re-calibration.
        self._boot.clear()
        self._rival.clear()
        if (
            self._up is not None
            and f.intensity_g < SIT_STILL_G
            and _angle_deg(self._up, direction) >= SIT_MIN_DEG
        ):
            self._sitting(direction)

    def _reset_across(self) -> None:
        self._swing = np.zeros((3, 3))
        self._swing_n = 0
        self._sit = np.zeros(3)
        self._sit_n = 0

    def _gait(self, direction: Array, cov: Array) -> None:
        if self._up is None:
            self._boot.append(direction)
            if len(self._boot) == BOOT_EPOCHS and _concentrated(self._boot):
                self._adopt(np.mean(self._boot, axis=0))
            return
        if _angle_deg(self._up, direction) > AGREE_DEG:
            self._rival.append(direction)
            if len(self._rival) == RIVAL_EPOCHS and _concentrated(self._rival):
                self._adopt(np.mean(self._rival, axis=0))
            return
        self._rival.clear()
        self._up = _unit((1 - UP_RATE) * self._up + UP_RATE * direction)
        trace = float(np.trace(cov))
        if trace > 0:
            self._swing = (1 - SWING_RATE) * self._swing + SWING_RATE * cov / trace
            self._swing_n += 1
        self._refresh()

    def _sitting(self, direction: Array) -> None:
        assert self._up is not None
        across = direction - (direction @ self._up) * self._up
        norm = float(np.linalg.norm(across))
        if norm < 1e-6:
            return
        across /= norm
        line = self._line()
        if line is not None:
            if abs(float(across @ line)) < SIGN_VOTE_COS:
                return
        elif self._sit_n >= SIT_SETTLED_EPOCHS:
            # No line to check against: once a sitting direction is settled, only
            # epochs close to it refine it, so lying on the side (or rolled on the
            # back) does not drag it round.
            sit = self._sit - (self._sit @ self._up) * self._up
            if float(across @ sit) < SIT_AGREE_COS * float(np.linalg.norm(sit)):
                return
        self._sit = (1 - SIT_RATE) * self._sit + SIT_RATE * across
        self._sit_n += 1
        self._refresh()

    def _adopt(self, up: Array) -> None:
        """Start over with a new long axis: everything measured across it is stale."""
        self._up = _unit(up)
        self._boot.clear()
        self._rival.clear()
        if (
            self._initial is not None
            and _angle_deg(np.asarray(self._initial.up), self._up) > AGREE_DEG
        ):
            self._prior_forward = None
        self._reset_across()
        self._refresh()

    def _line(self) -> Array | None:
        """The forward line: from gait if measured, else from the given calibration."""
        line = self._swing_line()
        if line is None and self._prior_forward is not None:
            line = np.asarray(self._prior_forward)
        return line

    def _swing_line(self) -> Array | None:
        if self._up is None or self._swing_n < SWING_EPOCHS:
            return None
        across = np.eye(3) - np.outer(self._up, self._up)
        _, vectors = np.linalg.eigh(across @ self._swing @ across)
        return np.asarray(vectors[:, -1], dtype=np.float64)

    def _refresh(self) -> None:
        if self._up is None:
            self._current = None
            return
        up = self._up
        forward: Array | None = None
        signed = True
        line = self._line()
        sit = self._sit - (self._sit @ up) * up
        if line is not None:
            vote = float(sit @ line) if self._sit_n else 0.0
            if abs(vote) > 1e-3:
                forward = line if vote > 0 else -line
            elif self._prior_forward is not None and self._prior_signed:
                prior = np.asarray(self._prior_forward)
                forward = line if float(prior @ line) >= 0 else -line
            else:
                forward, signed = line, False
        elif self._sit_n and float(np.linalg.norm(sit)) > 1e-6:
            forward = sit
        self._current = Calibration(
            up=_vec(up), forward=None if forward is None else _vec(forward), forward_signed=signed
        )


def _concentrated(directions: deque[Array]) -> bool:
    """All directions lie within GAIT_SPREAD_DEG of their mean."""
    mean = np.mean(directions, axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0:
        return False
    mean /= norm
    return all(_angle_deg(mean, d) <= GAIT_SPREAD_DEG for d in directions)
