"""One epoch's posture from its features and the current calibration (no memory).

The rules are the thigh-accelerometer method of activPAL and Acti4/ActiMotus:

1. Thigh inclination against the upright reference splits upright from sedentary
   postures. Acti4 draws the line at 45 degrees of inclination (ActiMotus now 47.5);
   with the forward axis known, this classifier draws it by direction: a still thigh
   flexed 25 degrees or more in the plane it swings in while walking (the forward angle
   of Acti4's bicycle rule), or tilted 60 degrees or more any way at all (lying on the
   side), is sedentary. Forward flexion is what sitting is; sideways tilt is what a
   phone turned in a loose pocket looks like while its wearer stands (46 degrees in a
   MotionSense standing trial), and a pocket phone turns less than the thigh when its
   wearer sits (MotionSense sitting trials read 40-45 degrees of inclination, 27-41 of
   it forward). Quiet standing reads under 17 degrees of flexion in all the trials.
   Without a forward axis the 45-degree line applies. The long axis is a line: a
   thigh reading more than 135 degrees from upright is a sensor worn upside down (no
   seated or lying thigh points its knee that far up), read as upright.
2. Upright and still is standing, and so is upright and moving without stepping
   (shifting weight, fidgeting: Acti4's "shuffle", reported with standing by ActiMotus).
3. Stepping -- motion of 0.25 g or more with impacts (``Features.stepping``) -- is
   walking (stairs included) or running in any orientation and at any thigh angle: no
   seated or lying thigh moves like that. Running is stepping that is very vigorous
   (vector SD >= 1.3 g), or vigorous (>= 1.0 g) at a running stride rate of 1.15-1.65 Hz
   (138-198 steps a minute; walking stays near 100-125, and its vigorous epochs are
   mostly fast stair descents). On the features of the DSA and MotionSense walking and
   running epochs, this misreads 76 of 17,152, where intensity alone (1.15 g) misreads
   137.
4. Pedalling is a smooth 0.6-2.2 Hz rocking of the thigh with no heel-strike impacts;
   it counts as cycling when the thigh is flexed at least 25 degrees (Acti4's bicycle
   rule uses the same forward angle), which covers upright and recumbent bikes. A bike
   cadence sensor reporting pedal turns confirms it even when the rocking is faint
   (0.03 g: more than a still thigh, less than the 0.1 g pedalling otherwise needs).
5. A sedentary thigh rolled more than 65 degrees about its long axis is lying on the
   side or face down (Acti4's rotation threshold). Lying on the back looks exactly like
   sitting to a thigh-only sensor (the thigh is horizontal, front up, in both), so it
   is reported as sitting.

Without a calibration only what needs no orientation is named: gait as walking or
running, pedalling as cycling; everything else gets ``still_without_axes``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from collector.posture.calibrate import Calibration
from collector.posture.features import Features
from collector.posture.vectors import Vector, cos_deg, dot
from sitless.wire.posture import Posture

Array = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

UPRIGHT_MAX_DEG = 45.0
FLEXED_DEG = 25.0
LEAN_MAX_DEG = 60.0
RUNNING_G = 1.0
RUNNING_STRIDE_HZ = (1.15, 1.65)
VIGOROUS_G = 1.3
PEDAL_MIN_DEG = 25.0
LYING_ROLL_DEG = 65.0
# With a cadence sensor reporting turns, any thigh motion beyond stillness confirms the
# rider is the one pedalling: sitting reads under 0.025 g in 90 % of the DSA and
# MotionSense sitting epochs.
CADENCE_MOVING_G = 0.03
# The angles above as cosines (and a tangent): compared without ``acos``.
_UPRIGHT_COS = cos_deg(UPRIGHT_MAX_DEG)
_LEAN_COS = cos_deg(LEAN_MAX_DEG)
_FLEXED_TAN = math.tan(math.radians(FLEXED_DEG))
_PEDAL_COS = cos_deg(PEDAL_MIN_DEG)


def running(f: Features) -> bool:
    """Gait that is running rather than walking (see rule 3)."""
    if f.intensity_g >= VIGOROUS_G:
        return True
    return (
        f.intensity_g >= RUNNING_G and RUNNING_STRIDE_HZ[0] <= f.rhythm_hz <= RUNNING_STRIDE_HZ[1]
    )


def upness(calibration: Calibration, direction: Vector) -> float:
    """Cosine of the thigh's inclination, folded so an upside-down sensor reads upright.

    1 upright, 0 horizontal; a sensor more than 135 degrees from upright is taken as
    worn upside down and read as upright (rule 1).
    """
    c = dot(calibration.up, direction)
    return -c if c < -_UPRIGHT_COS else c


def decide(
    f: Features,
    calibration: Calibration | None,
    *,
    pedalling: bool | None = None,
    still_without_axes: Posture = Posture.UNKNOWN,
) -> Posture:
    """The posture for one epoch, before smoothing and non-wear.

    Args:
        f: the epoch's features.
        calibration: the thigh's axes, None while unknown.
        pedalling: a bike cadence sensor's word (True: pedals turning), None without one.
        still_without_axes: what a posture that needs the axes is called without them.
    """
    if not f.usable:
        return Posture.UNKNOWN
    if f.gait_like or f.stepping:
        return Posture.RUNNING if running(f) else Posture.WALKING
    pedals = f.pedalling_like or (pedalling is True and f.intensity_g >= CADENCE_MOVING_G)
    return posed(f.direction, calibration, pedals, still_without_axes)


def running_mask(intensity_g: Array, rhythm_hz: Array) -> BoolArray:
    """``running`` for many epochs at once."""
    stride = (rhythm_hz >= RUNNING_STRIDE_HZ[0]) & (rhythm_hz <= RUNNING_STRIDE_HZ[1])
    out: BoolArray = (intensity_g >= VIGOROUS_G) | ((intensity_g >= RUNNING_G) & stride)
    return out


def posed(
    direction: Vector,
    calibration: Calibration | None,
    pedals: bool,
    still_without_axes: Posture = Posture.UNKNOWN,
) -> Posture:
    """The posture of a usable epoch that is not stepping, from the thigh's angle.

    Args:
        direction: gravity's direction in sensor axes (unit).
        calibration: the thigh's axes, None while unknown.
        pedals: the thigh pedals (rule 4), by its own motion or a cadence sensor.
        still_without_axes: what a posture that needs the axes is called without them.
    """
    if calibration is None:
        return Posture.CYCLING if pedals else still_without_axes
    # ``upness`` and ``seated_angle``, written out: this runs for most epochs.
    dx, dy, dz = direction
    ux, uy, uz = calibration.up
    along = ux * dx + uy * dy + uz * dz
    up = -along if along < -_UPRIGHT_COS else along
    if pedals and up <= _PEDAL_COS:
        return Posture.CYCLING
    forward = calibration.forward
    if forward is None:
        return Posture.SITTING if up <= _UPRIGHT_COS else Posture.STANDING
    fx, fy, fz = forward
    if up > _LEAN_COS and abs(fx * dx + fy * dy + fz * dz) < _FLEXED_TAN * abs(up):
        return Posture.STANDING
    # ``Calibration.roll_deg``, written out.
    sx, sy, sz = dx - along * ux, dy - along * uy, dz - along * uz
    size = math.sqrt(sx * sx + sy * sy + sz * sz)
    if size < 1e-9:
        return Posture.SITTING
    cos = (sx * fx + sy * fy + sz * fz) / size
    if not calibration.forward_signed:
        cos = abs(cos)
    if math.degrees(math.acos(max(-1.0, min(1.0, cos)))) >= LYING_ROLL_DEG:
        return Posture.LYING
    return Posture.SITTING


def seated_angle(calibration: Calibration, direction: Vector, up: float) -> bool:
    """Whether a thigh pointing along ``direction`` is at a sitting or lying angle (rule 1).

    Args:
        calibration: the thigh's axes.
        direction: gravity's direction in sensor axes (unit).
        up: ``upness(calibration, direction)``.
    """
    if calibration.forward is None:
        return up <= _UPRIGHT_COS
    if up <= _LEAN_COS:
        return True
    return abs(dot(calibration.forward, direction)) >= _FLEXED_TAN * abs(up)
