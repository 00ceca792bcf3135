"""Before the first walk: still postures, and the causal guess of which one is upright."""

from __future__ import annotations

import numpy as np

from collector.posture import PostureClassifier
from collector.sources import Segment, Simulator
from sitless.wire.posture import Posture
from tests.collector.signals import RATE, stream, swaying, thigh

STAND, SIT, SIDE = thigh(0), thigh(85), thigh(90, 90)
STANDING_SWAY, SEATED_SWAY = 0.4, 0.02


def _postures(t: np.ndarray, accel: np.ndarray, rate: float = RATE) -> list[Posture]:
    clf = PostureClassifier(rate)
    epochs = clf.feed(t, accel) + clf.flush()
    return [e.posture for e in epochs]


def _share(postures: list[Posture], lo: int, hi: int, posture: Posture) -> float:
    return float(np.mean([p is posture for p in postures[lo:hi]]))


def test_a_still_posture_before_any_walk_is_taken_as_sitting() -> None:
    """Sitting is the commonest still posture: with nothing else seen, that is the guess."""
    postures = _postures(*stream(swaying(SIT, 60, SEATED_SWAY)))
    assert _share(postures, 0, 60, Posture.SITTING) == 1.0


def test_a_posture_far_from_the_first_is_taken_as_upright_and_later_ones_by_angle() -> None:
    """Sit, stand, lie on the side: 85 and 90 degrees apart, no walk in between."""
    t, accel = stream(
        swaying(SIT, 120, SEATED_SWAY, seed=1),
        swaying(STAND, 120, STANDING_SWAY, seed=2),
        swaying(SIDE, 120, SEATED_SWAY, seed=3),
    )
    postures = _postures(t, accel)
    assert _share(postures, 3, 117, Posture.SITTING) == 1.0
    assert _share(postures, 123, 237, Posture.STANDING) == 1.0
    assert all(p.sedentary for p in postures[243:357])


def test_the_posture_that_sways_more_is_upright_whichever_came_first() -> None:
    """Standing first is read as sitting (the prior) until a stiller posture shows which
    of the two balances; from then on both are read right, and decisions already made
    stay made."""
    t, accel = stream(
        swaying(STAND, 90, STANDING_SWAY, seed=4),
        swaying(SIT, 120, SEATED_SWAY, seed=5),
        swaying(STAND, 60, STANDING_SWAY, seed=6),
    )
    postures = _postures(t, accel)
    assert _share(postures, 3, 87, Posture.SITTING) == 1.0
    assert _share(postures, 150, 207, Posture.SITTING) == 1.0
    assert _share(postures, 213, 267, Posture.STANDING) == 1.0


def test_a_walk_that_agrees_with_the_guessed_upright_keeps_quiet_standing_as_reference() -> None:
    """Gait leans forward of quiet standing; the standing posture seen before the walk
    stays the reference once gait confirms it."""
    t0, still = stream(
        swaying(SIT, 60, SEATED_SWAY, seed=7), swaying(STAND, 60, STANDING_SWAY, seed=8)
    )
    walk = Simulator([Segment(Posture.WALKING, 60)], RATE, seed=9, orientation=np.eye(3))
    w = walk.samples()
    clf = PostureClassifier(RATE)
    clf.feed(t0, still)
    clf.feed(w.t + t0[-1] + 1 / RATE, w.accel_g)
    clf.flush()
    cal = clf.calibration
    assert cal is not None
    assert np.degrees(np.arccos(np.dot(cal.up, STAND))) < 3
