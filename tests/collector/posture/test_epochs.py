"""Cutting the stream into 1-s epochs: identical whatever the chunk boundaries."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.posture.epochs import Block, EpochCutter


def _cut(t: np.ndarray, accel: np.ndarray, cuts: list[int], epoch_s: float = 1.0) -> list[Block]:
    cutter = EpochCutter(epoch_s)
    blocks: list[Block] = []
    bounds = [0, *sorted(set(cuts)), t.size]
    for lo, hi in pairwise(bounds):
        blocks.extend(cutter.push(t[lo:hi], accel[lo:hi]))
    return blocks + cutter.flush()


streams = st.integers(1, 300).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.001, 2.5), min_size=n, max_size=n),
        st.floats(-100.0, 100.0),
        st.lists(st.integers(1, max(1, n - 1)), max_size=12),
    )
)


@settings(max_examples=200, deadline=None)
@given(streams, st.sampled_from([1.0, 0.5, 2.0]))
def test_epochs_are_cut_identically_whatever_the_chunk_boundaries(
    stream: tuple[list[float], float, list[int]], epoch_s: float
) -> None:
    steps, start, cuts = stream
    t = start + np.cumsum(steps)
    accel = np.column_stack([t, -t, t * 2])
    whole = _cut(t, accel, [], epoch_s)
    chunked = _cut(t, accel, [c for c in cuts if c < t.size], epoch_s)
    assert [b.index for b in chunked] == [b.index for b in whole]
    for a, b in zip(chunked, whole, strict=True):
        assert np.array_equal(a.t, b.t) and np.array_equal(a.accel_g, b.accel_g)


@settings(max_examples=100, deadline=None)
@given(streams)
def test_every_sample_lands_in_the_epoch_its_time_falls_in(
    stream: tuple[list[float], float, list[int]],
) -> None:
    steps, start, cuts = stream
    t = start + np.cumsum(steps)
    blocks = _cut(t, np.zeros((t.size, 3)), [c for c in cuts if c < t.size])
    indices = [b.index for b in blocks]
    assert indices == list(range(indices[0], indices[-1] + 1))
    assert np.array_equal(np.concatenate([b.t for b in blocks]), t)
    for block in blocks:
        assert all(block.index <= x < block.index + 1 for x in block.t)


def test_an_epoch_is_handed_out_once_a_sample_at_or_after_its_end_arrives() -> None:
    cutter = EpochCutter()
    assert cutter.push(np.array([0.0, 0.5, 0.98]), np.zeros((3, 3))) == []
    closed = cutter.push(np.array([1.0]), np.zeros((1, 3)))
    assert [b.index for b in closed] == [0] and len(closed[0]) == 3
    assert cutter.open_index == 1


def test_seconds_without_samples_come_out_as_empty_epochs() -> None:
    cutter = EpochCutter()
    cutter.push(np.array([0.1]), np.zeros((1, 3)))
    closed = cutter.push(np.array([3.2]), np.zeros((1, 3)))
    assert [(b.index, len(b)) for b in closed] == [(0, 1), (1, 0), (2, 0)]
