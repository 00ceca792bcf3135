"""Finding the thigh's axes in sensor coordinates from the wearer's own movement."""

from __future__ import annotations

import numpy as np
import pytest

from collector.posture import Calibration, PostureClassifier
from collector.posture.calibrate import Calibrator
from collector.sources import Segment, Simulator
from collector.sources.simulator import random_rotation
from sitless.wire.posture import Posture
from tests.collector.signals import features_of, still, thigh


def _angle(a: tuple[float, float, float] | np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b), -1, 1))))


def _run(sim: Simulator) -> PostureClassifier:
    clf = PostureClassifier(sim.rate_hz)
    for chunk in sim.chunks(5.0):
        clf.feed(chunk.t, chunk.accel_g)
    clf.flush()
    return clf


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_walking_reveals_the_long_axis_and_sitting_the_front_of_the_thigh(seed: int) -> None:
    """Gait swings the thigh about vertical (mean = long axis) in the sagittal plane
    (largest motion across the long axis = forward line); sitting gives its sign."""
    timeline = [Segment(Posture.WALKING, 60), Segment(Posture.SITTING, 120)]
    sim = Simulator(timeline, 25, seed=seed)
    cal = _run(sim).calibration
    assert cal is not None and cal.forward is not None and cal.forward_signed
    # Row i of the mounting rotation is body axis i in sensor coordinates.
    long_axis, front = sim.orientation[0], sim.orientation[1]
    # Walking's mean leans 3-10 degrees forward of the true long axis in the simulator.
    assert _angle(cal.up, long_axis) < 15
    assert _angle(cal.forward, front) < 20


def test_no_calibration_before_any_gait() -> None:
    sim = Simulator([Segment(Posture.SITTING, 60), Segment(Posture.STANDING, 60)], 25, seed=1)
    assert _run(sim).calibration is None


def test_moving_the_sensor_is_followed_by_the_next_walk() -> None:
    """Gait that keeps arriving from a new direction means the sensor was re-attached."""
    walk = [Segment(Posture.WALKING, 60)]
    first = Simulator(walk, 25, seed=1, orientation=random_rotation(np.random.default_rng(1)))
    second = Simulator(
        walk, 25, seed=2, orientation=random_rotation(np.random.default_rng(2)), start_t=61.0
    )
    assert _angle(first.orientation[0], second.orientation[0]) > 45
    clf = PostureClassifier(25)
    for sim in (first, second):
        for chunk in sim.chunks(5.0):
            clf.feed(chunk.t, chunk.accel_g)
    assert clf.calibration is not None
    assert _angle(clf.calibration.up, second.orientation[0]) < 15


def test_a_pinned_calibration_is_not_changed_by_gait() -> None:
    pinned = Calibration(up=(0.0, 0.0, 1.0))
    calibrator = Calibrator(pinned, adapt=False)
    sim = Simulator([Segment(Posture.WALKING, 30)], 50, seed=3)
    accel = sim.samples().accel_g
    for i in range(0, accel.shape[0] - 200, 50):
        calibrator.observe(features_of(accel[i : i + 200]))
    assert calibrator.calibration == pinned


def test_standing_still_gives_the_long_axis_directly() -> None:
    """Standing, gravity lies along the thigh: the mean specific force is the long axis."""
    cal = Calibration.from_standing(still(np.array([0.1, -0.99, 0.05]), seconds=5))
    assert _angle(cal.up, np.array([0.1, -0.99, 0.05]) / np.linalg.norm([0.1, -0.99, 0.05])) < 1
    assert cal.forward is None


def test_calibration_normalises_up_and_makes_forward_orthogonal() -> None:
    cal = Calibration(up=(0.0, 0.0, 2.0), forward=(0.0, 1.0, 1.0))
    assert cal.up == (0.0, 0.0, 1.0)
    assert cal.forward == pytest.approx((0.0, 1.0, 0.0))
    with pytest.raises(ValueError):
        Calibration(up=(0.0, 0.0, 0.0))


def test_inclination_and_roll_measure_the_thigh_against_its_axes(
    body_calibration: Calibration,
) -> None:
    """Inclination: angle from the long axis. Roll: rotation about it from face-up."""
    cal = body_calibration
    assert cal.inclination_deg(thigh(0)) == pytest.approx(0, abs=1e-6)
    assert cal.inclination_deg(thigh(85)) == pytest.approx(85)
    assert cal.roll_deg(thigh(90)) == pytest.approx(0, abs=1e-6)
    assert cal.roll_deg(thigh(90, 90)) == pytest.approx(90)
    assert cal.roll_deg(thigh(90, -90)) == pytest.approx(90)
    assert cal.roll_deg(thigh(90, 180)) == pytest.approx(180)
    unsigned = Calibration(up=cal.up, forward=cal.forward, forward_signed=False)
    assert unsigned.roll_deg(thigh(90, 180)) == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize(
    "initial",
    [
        Calibration(up=(1.0, 0.0, 0.0)),
        Calibration(up=(1.0, 0.0, 0.0), forward=(0.0, 1.0, 0.0), forward_signed=False),
    ],
)
def test_lying_does_not_drag_the_front_of_the_thigh_round(initial: Calibration) -> None:
    """Sitting puts gravity out of the front of the thigh; lying rolled on the back or on
    the side must not be learnt as 'front', or the side would stop reading as lying."""
    calibrator = Calibrator(initial)
    for inclination, roll in ((85, 5), (90, 38), (90, 90)):
        window = features_of(still(thigh(inclination, roll)))
        for _ in range(300):
            calibrator.observe(window)
    cal = calibrator.calibration
    assert cal is not None and cal.forward is not None and cal.forward_signed
    assert _angle(cal.forward, np.array([0.0, 1.0, 0.0])) < 10
    assert cal.roll_deg(thigh(90, 90)) > 80
