"""One epoch's posture from its features and the current calibration (no memory).

The rules are the thigh-accelerometer method of activPAL and Acti4/ActiMotus:

1. Thigh inclination against the upright reference splits upright (< 45 degrees) from
   sedentary postures (Acti4's sitting threshold; ActiMotus now uses 47.5).
2. Upright and still is standing; upright and moving (motion SD >= 0.1 g, Acti4) is
   walking -- which includes stairs and shuffling -- or running when the motion is
   vigorous (vector SD >= 1.15 g: walking reaches 0.93 g at the 90th percentile on the
   DSA and MotionSense recordings, running starts at 1.42 g at the 10th).
3. Pedalling is a smooth 0.6-2.2 Hz rocking of the thigh with no heel-strike impacts;
   it counts as cycling when the thigh is flexed at least 25 degrees (Acti4's bicycle
   rule uses the same forward angle), which covers upright and recumbent bikes.
4. A sedentary thigh rolled more than 65 degrees about its long axis is lying on the
   side or face down (Acti4's rotation threshold). Lying on the back looks exactly like
   sitting to a thigh-only sensor (the thigh is horizontal, front up, in both), so it
   is reported as sitting.

Before the long axis is known, only what needs no orientation is reported: gait as
walking or running, pedalling as cycling; everything else is unknown.
"""

from __future__ import annotations

from collector.posture.calibrate import Calibration
from collector.posture.features import Features
from sitless.wire.posture import Posture

UPRIGHT_MAX_DEG = 45.0
RUNNING_G = 1.15
PEDAL_MIN_DEG = 25.0
LYING_ROLL_DEG = 65.0
# Less than half an epoch (or window) of samples is a gap, not a posture.
MIN_COVERAGE = 0.5


def decide(f: Features, calibration: Calibration | None) -> Posture:
    """The posture for one epoch, before smoothing and non-wear."""
    if f.epoch_coverage < MIN_COVERAGE or f.coverage < MIN_COVERAGE or f.n < 4:
        return Posture.UNKNOWN
    if calibration is None:
        if f.gait_like:
            return Posture.RUNNING if f.intensity_g >= RUNNING_G else Posture.WALKING
        if f.pedalling_like:
            return Posture.CYCLING
        return Posture.UNKNOWN
    direction = f.direction
    inclination = calibration.inclination_deg(direction)
    if f.pedalling_like and inclination >= PEDAL_MIN_DEG:
        return Posture.CYCLING
    if inclination < UPRIGHT_MAX_DEG:
        if not f.moving:
            return Posture.STANDING
        return Posture.RUNNING if f.intensity_g >= RUNNING_G else Posture.WALKING
    if calibration.roll_deg(direction) >= LYING_ROLL_DEG:
        return Posture.LYING
    return Posture.SITTING
