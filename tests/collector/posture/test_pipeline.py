"""The streaming classifier end to end: causality, chunking, gaps, accuracy, speed."""

from __future__ import annotations

import time
from functools import cache
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.posture import LOOKAHEAD_S, Calibration, Epoch, PostureClassifier
from collector.sources import Segment, Simulator, office_day
from collector.sources.simulator import random_rotation
from sitless.errors import FrameError
from sitless.wire.posture import Posture
from tests.collector.scripted import COMPACT_DAY, accuracy, classify

SHORT = (
    Segment(Posture.WALKING, 25),
    Segment(Posture.SITTING, 20),
    Segment(Posture.CYCLING, 20),
    Segment(Posture.STANDING, 15),
)


@cache
def _short_sim() -> tuple[np.ndarray, np.ndarray]:
    s = Simulator(SHORT, 25, seed=3, start_t=0.37).samples()
    return s.t, s.accel_g


@cache
def _short_reference() -> tuple[Epoch, ...]:
    t, accel = _short_sim()
    clf = PostureClassifier(25)
    return tuple(clf.feed(t, accel) + clf.flush())


def test_each_epoch_is_decided_within_two_seconds_of_its_end() -> None:
    """Feeding one sample at a time, an epoch comes out with the first sample at or after
    t_end + 2 s: never needing more than LOOKAHEAD_S of later data."""
    t, accel = _short_sim()
    clf = PostureClassifier(25)
    emitted_at: dict[float, float] = {}
    for i in range(t.size):
        for epoch in clf.feed(t[i : i + 1], accel[i : i + 1]):
            emitted_at[epoch.t_start] = float(t[i])
    flushed = clf.flush()
    assert LOOKAHEAD_S == 2.0
    assert emitted_at and len(flushed) <= 3
    for start, at in emitted_at.items():
        end = start + 1.0
        assert at < end + LOOKAHEAD_S + 1 / 25 + 1e-9, (start, at)
    # Every epoch that had two seconds of data after it came out before the flush.
    assert all(e.t_end + LOOKAHEAD_S > t[-1] for e in flushed)


def test_data_after_the_bound_cannot_change_an_epoch() -> None:
    """Replace everything from time T on: epochs ending by T - 2 s are unchanged."""
    t, accel = _short_sim()
    cut = 40.0
    other = Simulator([Segment(Posture.RUNNING, 100)], 25, seed=11).samples().accel_g
    altered = accel.copy()
    late = t >= cut
    altered[late] = other[: int(late.sum())]
    clf = PostureClassifier(25)
    changed = clf.feed(t, altered) + clf.flush()
    before = [e for e in _short_reference() if e.t_end <= cut - LOOKAHEAD_S]
    assert before == changed[: len(before)]
    assert changed != list(_short_reference())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 5_000), min_size=0, max_size=40))
def test_epochs_do_not_depend_on_how_the_stream_is_chunked(cuts: list[int]) -> None:
    t, accel = _short_sim()
    bounds = sorted({0, t.size, *[c for c in cuts if c < t.size]})
    clf = PostureClassifier(25)
    out: list[Epoch] = []
    for lo, hi in pairwise(bounds):
        out.extend(clf.feed(t[lo:hi], accel[lo:hi]))
    out.extend(clf.flush())
    assert tuple(out) == _short_reference()


def test_epochs_are_contiguous_whole_seconds_of_the_source_time_scale() -> None:
    epochs = _short_reference()
    assert epochs[0].t_start == 0.0
    assert all(e.t_end == e.t_start + 1 for e in epochs)
    assert all(a.t_end == b.t_start for a, b in pairwise(epochs))


def test_a_short_gap_is_unknown_and_a_long_gap_restarts_the_stream() -> None:
    """Up to max_gap_s of missing data is reported as unknown seconds; a longer silence
    yields no epochs for it (the collector reports the gap in its status)."""
    t, accel = _short_sim()
    keep = (t < 30) | (t >= 33.5)
    clf = PostureClassifier(25)
    epochs = clf.feed(t[keep], accel[keep]) + clf.flush()
    by_start = {e.t_start: e.posture for e in epochs}
    assert by_start[30.0] == by_start[31.0] == by_start[32.0] == Posture.UNKNOWN
    assert len(epochs) == len(_short_reference())

    clf = PostureClassifier(25, max_gap_s=10)
    first = clf.feed(t[t < 30], accel[t < 30])
    second = clf.feed(t[t >= 60], accel[t >= 60]) + clf.flush()
    starts = [e.t_start for e in first + second]
    assert not any(30 <= s < 60 for s in starts)
    assert starts == sorted(starts)
    assert max(s for s in starts if s < 30) == 29.0


def test_time_going_backwards_is_a_frame_error() -> None:
    clf = PostureClassifier(25)
    clf.feed([0.0, 0.04], np.tile([0.0, 0.0, 1.0], (2, 1)))
    with pytest.raises(FrameError) as err:
        clf.feed([0.04], [[0.0, 0.0, 1.0]])
    assert err.value.reason == "time_not_increasing"


def test_non_finite_samples_are_a_frame_error() -> None:
    clf = PostureClassifier(25)
    with pytest.raises(FrameError) as err:
        clf.feed([0.0, 0.04], [[0.0, 0.0, 1.0], [np.nan, 0.0, 1.0]])
    assert err.value.reason == "not_numeric"


def test_badly_shaped_input_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        PostureClassifier(25).feed([0.0, 0.04], [[0.0, 0.0, 1.0]])
    with pytest.raises(ValueError):
        PostureClassifier(5)
    assert PostureClassifier(25).feed([], np.empty((0, 3))) == []


def test_the_simulated_office_day_is_classified_correctly() -> None:
    """The bundled 8.5-hour day, random mounting: at least 95% of epochs right."""
    sim = Simulator(office_day(), 50, seed=21)
    epochs = classify(sim, chunk_s=30.0)
    assert accuracy(sim, epochs) >= 0.95
    nonwear_from = sim.segment_bounds()[-1][0]
    outside = [e.posture for e in epochs if e.t_end <= nonwear_from]
    assert Posture.NONWEAR not in outside
    last = [e.posture for e in epochs if e.t_start >= nonwear_from + 600 + 5]
    assert last and set(last) == {Posture.NONWEAR}


def test_classification_does_not_depend_on_how_the_sensor_is_mounted() -> None:
    """The same movements seen through several random mountings: each is classified
    right, and the mountings agree with each other epoch by epoch."""
    runs = []
    for k in range(5):
        rot = np.eye(3) if k == 0 else random_rotation(np.random.default_rng(100 + k))
        sim = Simulator(COMPACT_DAY, 25, seed=5, orientation=rot)
        epochs = classify(sim, chunk_s=10.0)
        assert accuracy(sim, epochs) >= 0.95, k
        runs.append([e.posture for e in epochs])
    for other in runs[1:]:
        assert np.mean([a == b for a, b in zip(runs[0], other, strict=True)]) >= 0.99


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_every_scripted_posture_is_recognised(seed: int) -> None:
    sim = Simulator(COMPACT_DAY, 25, seed=seed)
    epochs = classify(sim, chunk_s=10.0)
    assert accuracy(sim, epochs) >= 0.95
    found = {e.posture for e in epochs}
    assert {Posture.STANDING, Posture.SITTING, Posture.LYING, Posture.WALKING} <= found
    assert {Posture.RUNNING, Posture.CYCLING} <= found


def test_it_runs_at_least_a_hundred_times_faster_than_real_time() -> None:
    """One hour at 50 Hz, classified in well under 36 s on one core."""
    timeline = [Segment(Posture.WALKING, 600), Segment(Posture.SITTING, 1800)]
    timeline += [Segment(Posture.CYCLING, 600), Segment(Posture.STANDING, 600)]
    chunks = list(Simulator(timeline, 50, seed=2).chunks(1.0))
    clf = PostureClassifier(50)
    started = time.process_time()
    n = 0
    for chunk in chunks:
        n += len(clf.feed(chunk.t, chunk.accel_g))
    n += len(clf.flush())
    elapsed = time.process_time() - started
    assert n == 3600
    assert elapsed < 3600 / 100


def test_a_bike_cadence_sensor_confirms_faint_pedalling() -> None:
    """A recumbent rider pedalling so gently that the thigh barely rocks: the rocking
    alone is not enough, but a CSC sensor reporting turns makes it cycling; a sensor
    reporting zero turns does not."""
    from tests.collector.signals import rocking

    faint = np.concatenate([rocking(70, 3.0, 1.0, seconds=4.0) for _ in range(15)])
    t = np.arange(faint.shape[0]) / 50.0
    calibration = Calibration(up=(1.0, 0.0, 0.0), forward=(0.0, 1.0, 0.0))

    def run(cadence_rpm: float | None) -> list[Posture]:
        clf = PostureClassifier(50, calibration)
        if cadence_rpm is not None:
            clf.feed_cadence(np.arange(0, 60.0, 1.0), np.full(60, cadence_rpm))
        return [e.posture for e in clf.feed(t, faint) + clf.flush()]

    assert Posture.CYCLING not in run(None)
    assert Posture.CYCLING not in run(0.0)
    assert run(60.0)[5:55] == [Posture.CYCLING] * 50
