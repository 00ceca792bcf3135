"""The posture rules on tiny synthetic windows of a body-frame thigh sensor."""

from __future__ import annotations

import pytest

from collector.posture.calibrate import Calibration
from collector.posture.classify import decide
from collector.posture.features import window_features
from sitless.wire.posture import Posture
from tests.collector.signals import RATE, features_of, rocking, still, thigh


@pytest.mark.parametrize(
    ("inclination", "roll", "expected"),
    [
        (0, 0, Posture.STANDING),  # thigh vertical
        (20, 0, Posture.STANDING),  # leaning: flexed less than 25 degrees
        (30, 0, Posture.SITTING),  # flexed 30 degrees forward: a pocket phone, seated
        (50, 90, Posture.STANDING),  # 50 degrees sideways: a phone turned in a pocket
        (65, 90, Posture.LYING),  # past 60 degrees in any direction, rolled: on the side
        (50, 0, Posture.SITTING),  # past Acti4's 45-degree line
        (85, 10, Posture.SITTING),  # thigh horizontal, front up
        (90, 0, Posture.SITTING),  # lying on the back looks the same: reported as sitting
        (90, 60, Posture.SITTING),  # rolled less than 65 degrees
        (90, 70, Posture.LYING),  # on the side
        (90, -90, Posture.LYING),  # on the other side
        (90, 180, Posture.LYING),  # face down
    ],
)
def test_a_still_thigh_is_classified_by_its_inclination_and_roll(
    body_calibration: Calibration, inclination: float, roll: float, expected: Posture
) -> None:
    """Flexion in the swing plane (25 degrees), or any tilt past 60, splits sedentary from
    upright; roll about the long axis splits lying from sitting."""
    f = features_of(still(thigh(inclination, roll)))
    assert decide(f, body_calibration) is expected


def test_smooth_rhythmic_rocking_at_a_sitting_angle_is_cycling(
    body_calibration: Calibration,
) -> None:
    """Pedalling rocks the flexed thigh at the cadence, with no impacts."""
    for cadence_hz in (0.8, 1.2, 1.6):
        f = features_of(rocking(65, 15, cadence_hz))
        assert decide(f, body_calibration) is Posture.CYCLING


def test_rocking_with_heel_strikes_at_an_upright_angle_is_walking(
    body_calibration: Calibration,
) -> None:
    f = features_of(rocking(5, 25, 1.0, impacts_g=1.5))
    assert f.intensity_g < 1.15
    assert decide(f, body_calibration) is Posture.WALKING


def test_vigorous_gait_is_running(body_calibration: Calibration) -> None:
    f = features_of(rocking(10, 40, 1.4, impacts_g=6.0))
    assert f.intensity_g >= 1.15
    assert decide(f, body_calibration) is Posture.RUNNING


def test_moving_while_sedentary_without_rhythm_stays_sitting(
    body_calibration: Calibration,
) -> None:
    """Fidgeting in a chair moves the thigh but is neither gait nor pedalling."""
    import numpy as np

    rng = np.random.default_rng(5)
    accel = still(thigh(85)) + rng.normal(0, 0.15, (200, 3))
    f = features_of(accel)
    assert f.moving and not f.pedalling_like
    assert decide(f, body_calibration) is Posture.SITTING


def test_without_calibration_only_orientation_free_postures_are_named() -> None:
    """Gait and pedalling are recognisable in any orientation; still postures are not."""
    assert decide(features_of(still(thigh(85))), None) is Posture.UNKNOWN
    assert decide(features_of(still(thigh(0))), None) is Posture.UNKNOWN
    walk = features_of(rocking(5, 25, 1.0, impacts_g=1.5))
    assert decide(walk, None) is Posture.WALKING
    assert decide(features_of(rocking(65, 15, 1.2)), None) is Posture.CYCLING


def test_an_epoch_with_too_few_samples_is_unknown(body_calibration: Calibration) -> None:
    accel = still(thigh(0))
    sparse = window_features(
        accel, RATE, expected_n=accel.shape[0], epoch_n=20, epoch_expected_n=RATE
    )
    assert decide(sparse, body_calibration) is Posture.UNKNOWN
    gappy = window_features(
        accel[:80], RATE, expected_n=accel.shape[0], epoch_n=50, epoch_expected_n=RATE
    )
    assert decide(gappy, body_calibration) is Posture.UNKNOWN
