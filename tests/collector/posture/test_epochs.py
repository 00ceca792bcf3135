"""Cutting the stream into 1-s epochs and summarising each: identical whatever the chunks."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.posture.epochs import EpochStore, decimation


def _store(
    t: np.ndarray, accel: np.ndarray, cuts: list[int], rate_hz: float = 25.0, epoch_s: float = 1.0
) -> EpochStore:
    store = EpochStore(rate_hz, epoch_s)
    bounds = [0, *sorted(set(cuts)), t.size]
    for lo, hi in pairwise(bounds):
        store.push(t[lo:hi], accel[lo:hi])
    store.close()
    return store


streams = st.integers(1, 300).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.001, 2.5), min_size=n, max_size=n),
        st.floats(-100.0, 100.0),
        st.lists(st.integers(1, max(1, n - 1)), max_size=12),
    )
)


@settings(max_examples=200, deadline=None)
@given(streams, st.sampled_from([1.0, 0.5, 2.0]), st.sampled_from([25.0, 50.0, 100.0]))
def test_epoch_summaries_are_identical_whatever_the_chunk_boundaries(
    stream: tuple[list[float], float, list[int]], epoch_s: float, rate_hz: float
) -> None:
    steps, start, cuts = stream
    t = start + np.cumsum(steps)
    accel = np.column_stack([np.sin(t), -t, t * 2])
    whole = _store(t, accel, [], rate_hz, epoch_s)
    chunked = _store(t, accel, [c for c in cuts if c < t.size], rate_hz, epoch_s)
    assert (chunked.base, chunked.end) == (whole.base, whole.end)
    for name in ("counts", "sums", "products", "rows", "row_start"):
        assert np.array_equal(getattr(chunked, name), getattr(whole, name)), name


@settings(max_examples=100, deadline=None)
@given(streams)
def test_every_sample_is_counted_in_the_epoch_its_time_falls_in(
    stream: tuple[list[float], float, list[int]],
) -> None:
    steps, start, cuts = stream
    t = start + np.cumsum(steps)
    accel = np.column_stack([np.ones_like(t), t, t * t])
    store = _store(t, accel, [c for c in cuts if c < t.size])
    index = np.floor(t).astype(int)
    assert store.base == index[0] and store.end == index[-1] + 1
    expected = np.bincount(index - index[0], minlength=store.end - store.base)
    assert np.array_equal(store.counts, expected)
    sums = np.zeros((store.end - store.base, 3))
    np.add.at(sums, index - index[0], accel)
    assert np.allclose(store.sums, sums)
    assert np.allclose(store.products[:, 1], np.bincount(index - index[0], weights=t * t))


def test_an_epoch_is_summarised_once_a_sample_at_or_after_its_end_arrives() -> None:
    store = EpochStore(25.0)
    store.push(np.array([0.0, 0.5, 0.98]), np.ones((3, 3)))
    assert store.end == 0 and store.open_index == 0
    store.push(np.array([1.0]), np.ones((1, 3)))
    assert store.end == 1 and store.counts.tolist() == [3]
    assert store.open_index == 1


def test_seconds_without_samples_are_empty_epochs() -> None:
    store = EpochStore(25.0)
    store.push(np.array([0.1]), np.ones((1, 3)))
    store.push(np.array([3.2]), np.ones((1, 3)))
    assert store.counts.tolist() == [1, 0, 0]
    assert store.row_start.tolist() == [0, 1, 1, 1]


@pytest.mark.parametrize(("rate", "m"), [(12.5, 1), (25.0, 1), (30.0, 1), (50.0, 2), (100.0, 4)])
def test_fast_streams_are_analysed_near_25_hz(rate: float, m: int) -> None:
    """Rhythm and impacts need nothing above 12.5 Hz: 25-49 Hz is kept, faster is averaged."""
    assert decimation(rate) == m
    assert 25.0 <= EpochStore(rate).analysis_hz < 50.0 or rate < 25.0


def test_decimation_averages_consecutive_samples_from_each_epochs_start() -> None:
    """At 100 Hz, every 4 samples from the start of an epoch make one analysis sample;
    a short last group is averaged over what it has, never across the epoch edge."""
    t = np.arange(0, 2.0, 0.01)[:-2]  # epoch 1 lacks its last two samples
    accel = np.column_stack([np.arange(t.size), np.zeros(t.size), np.ones(t.size)]).astype(float)
    store = EpochStore(100.0)
    store.push(t, accel)
    store.close()
    assert store.row_start.tolist() == [0, 25, 50]
    assert store.rows[0, 0] == pytest.approx(1.5)  # samples 0..3
    assert store.rows[25, 0] == pytest.approx(101.5)  # epoch 1 starts its own groups
    assert store.rows[-1, 0] == pytest.approx(196.5)  # samples 196, 197 only


def test_dropping_old_epochs_keeps_the_rest_aligned() -> None:
    store = EpochStore(25.0)
    t = np.arange(0, 6.0, 0.04)
    store.push(t, np.column_stack([t, t, t]))
    store.close()
    keep_from = 3
    rows_before = store.rows[store.row_start[keep_from - store.base] :].copy()
    sums_before = store.sums[keep_from:].copy()
    store.drop_before(keep_from)
    assert store.base == keep_from
    assert np.array_equal(store.rows, rows_before)
    assert np.array_equal(store.sums, sums_before)
    assert store.row_start[0] == 0
