"""Non-wear: a sensor left still somewhere, told from a wearer by duration of stillness."""

from __future__ import annotations

import numpy as np

from collector.posture import PostureClassifier
from collector.posture.nonwear import NonwearDetector
from collector.sources import Segment, Simulator
from sitless.wire.posture import Posture
from tests.collector.signals import features_of, rocking, still, thigh


def test_stillness_becomes_nonwear_only_after_the_set_duration() -> None:
    """A desk shows sensor noise and fixed gravity; a still sitter can too, for a while."""
    detector = NonwearDetector(after_s=60)
    desk = features_of(still(thigh(90), noise_g=0.002))
    flags = [detector.update(desk) for _ in range(90)]
    assert not any(flags[:59]) and all(flags[59:])


def test_any_movement_ends_nonwear_at_once() -> None:
    detector = NonwearDetector(after_s=10)
    desk = features_of(still(thigh(90)))
    for _ in range(20):
        detector.update(desk)
    assert not detector.update(features_of(rocking(65, 15, 1.2)))
    assert not detector.update(desk)


def test_a_change_of_angle_restarts_the_count() -> None:
    """Gravity must stay within 1.5 degrees: a shifted thigh is a wearer, not a desk."""
    detector = NonwearDetector(after_s=10)
    for _ in range(8):
        detector.update(features_of(still(thigh(85))))
    assert detector.still_s == 8
    detector.update(features_of(still(thigh(88))))
    assert detector.still_s == 1


def test_a_gap_in_the_data_restarts_the_count() -> None:
    detector = NonwearDetector(after_s=10)
    desk = features_of(still(thigh(0)))
    for _ in range(8):
        detector.update(desk)
    detector.update(desk, has_data=False)
    assert detector.still_s == 0


def test_a_sensor_left_on_a_desk_is_nonwear_and_never_sitting_once_known() -> None:
    """After the stillness threshold, every epoch of the desk period is non-wear."""
    timeline = [Segment(Posture.WALKING, 60), Segment(Posture.SITTING, 120)]
    timeline.append(Segment(Posture.NONWEAR, 400))
    sim = Simulator(timeline, 25, seed=6)
    clf = PostureClassifier(sim.rate_hz, nonwear_after_s=120)
    epochs = []
    for chunk in sim.chunks(10.0):
        epochs.extend(clf.feed(chunk.t, chunk.accel_g))
    epochs.extend(clf.flush())
    desk_from = 180 + 120 + 5
    late = [e.posture for e in epochs if e.t_start >= desk_from]
    assert late and set(late) == {Posture.NONWEAR}
    worn = [e.posture for e in epochs if e.t_end <= 180]
    assert Posture.NONWEAR not in worn


def test_a_worn_sensor_through_long_sitting_is_never_nonwear() -> None:
    """Seated people shift every few minutes; the default 10 minutes never trips."""
    sim = Simulator([Segment(Posture.WALKING, 30), Segment(Posture.SITTING, 3600)], 25, seed=8)
    clf = PostureClassifier(sim.rate_hz)
    postures: list[Posture] = []
    for chunk in sim.chunks(60.0):
        postures.extend(e.posture for e in clf.feed(chunk.t, chunk.accel_g))
    postures.extend(e.posture for e in clf.flush())
    assert Posture.NONWEAR not in postures
    assert np.mean([p is Posture.SITTING for p in postures[40:]]) > 0.99
