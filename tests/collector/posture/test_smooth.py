"""The one-epoch-lookahead majority smoother."""

from __future__ import annotations

from collector.posture.smooth import Decision, Smoother
from sitless.wire.posture import Posture

SIT, STAND, WALK, UNKNOWN = Posture.SITTING, Posture.STANDING, Posture.WALKING, Posture.UNKNOWN


def _smooth(postures: list[Posture], gaps: frozenset[int] = frozenset()) -> list[Posture]:
    smoother = Smoother()
    out: list[Decision] = []
    for i, p in enumerate(postures):
        out.extend(smoother.push(Decision(i, p, has_data=i not in gaps)))
    out.extend(smoother.flush())
    assert [d.index for d in out] == list(range(len(postures)))
    return [d.posture for d in out]


def test_a_one_epoch_blip_takes_its_neighbours_posture() -> None:
    assert _smooth([SIT, SIT, WALK, SIT, SIT]) == [SIT] * 5


def test_a_change_lasting_two_epochs_is_kept() -> None:
    assert _smooth([SIT, WALK, WALK, SIT]) == [SIT, WALK, WALK, SIT]


def test_a_real_transition_is_not_delayed() -> None:
    assert _smooth([SIT, SIT, STAND, STAND, STAND]) == [SIT, SIT, STAND, STAND, STAND]


def test_epochs_without_data_are_neither_overwritten_nor_used() -> None:
    assert _smooth([SIT, UNKNOWN, SIT], gaps=frozenset({1})) == [SIT, UNKNOWN, SIT]
    assert _smooth([SIT, WALK, SIT], gaps=frozenset({0})) == [SIT, WALK, SIT]


def test_unknown_neighbours_do_not_overwrite_a_known_epoch() -> None:
    assert _smooth([UNKNOWN, SIT, UNKNOWN]) == [UNKNOWN, SIT, UNKNOWN]


def test_each_epoch_comes_out_one_epoch_after_it_went_in() -> None:
    smoother = Smoother()
    assert smoother.push(Decision(0, SIT)) == []
    assert [d.index for d in smoother.push(Decision(1, SIT))] == [0]
    assert [d.index for d in smoother.flush()] == [1]


def test_a_skipped_index_settles_the_pending_epoch_without_lookahead() -> None:
    smoother = Smoother()
    smoother.push(Decision(0, SIT))
    smoother.push(Decision(1, WALK))
    assert smoother.push(Decision(5, SIT)) == [Decision(1, WALK)]


CYCLE, LIE, RUN = Posture.CYCLING, Posture.LYING, Posture.RUNNING


def test_a_ride_continues_through_a_short_pause_of_the_pedals() -> None:
    """Ten seconds of cycling, then 4 s read as sitting (pedals stopped), then cycling:
    one ride, not two with sitting between."""
    assert _smooth([CYCLE] * 10 + [SIT] * 4 + [CYCLE] * 3) == [CYCLE] * 17


def test_a_pause_longer_than_five_seconds_ends_the_ride() -> None:
    out = _smooth([CYCLE] * 10 + [SIT] * 8)
    assert out == [CYCLE] * 15 + [SIT] * 3


def test_walking_or_lying_ends_a_ride_at_once_and_short_rides_are_not_bridged() -> None:
    assert _smooth([CYCLE] * 10 + [WALK] * 3) == [CYCLE] * 10 + [WALK] * 3
    assert _smooth([CYCLE] * 10 + [LIE] * 3) == [CYCLE] * 10 + [LIE] * 3
    assert _smooth([CYCLE] * 5 + [SIT] * 3) == [CYCLE] * 5 + [SIT] * 3
