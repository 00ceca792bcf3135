"""The batched stages are the one-epoch-at-a-time stages run in a loop, exactly.

The classifier describes all the epochs a chunk completes with one set of array
operations and runs each later stage over them in one loop; each stage keeps its
one-epoch entry point. These tests feed both the same epochs and ask for equal results,
down to the last bit of every calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.posture.calibrate import Calibrator
from collector.posture.clusters import StillClusters
from collector.posture.epochs import Epoch, EpochStore, make_epochs
from collector.posture.features import WindowShape, batch_features
from collector.posture.nonwear import NonwearDetector
from collector.posture.smooth import Decision, Smoother
from collector.sources import Segment, Simulator
from sitless.wire.posture import Posture

S, T, L, W = Posture.SITTING, Posture.STANDING, Posture.LYING, Posture.WALKING
C, U = Posture.CYCLING, Posture.UNKNOWN


Vector = tuple[float, float, float]


@dataclass(frozen=True)
class Rows:
    """Per-epoch features as the later stages take them."""

    learn: list[bool]
    gait: list[bool]
    directions: list[Vector]
    covs: list[list[float]]
    intensity: list[float]
    epoch_means: list[Vector]


@cache
def _rows() -> Rows:
    """The epochs of a simulated stretch: still postures, then gait, cycling, standing
    and sitting again."""
    timeline = [(S, 60), (T, 40), (S, 20), (W, 60), (C, 40), (W, 20), (T, 40), (S, 60), (L, 30)]
    sim = Simulator([Segment(p, d) for p, d in timeline], 25, seed=5)
    data = sim.samples()
    store = EpochStore(25.0)
    store.push(data.t, data.accel_g)
    store.close()
    b = batch_features(store, WindowShape(store.analysis_hz), 0, store.end - 1, store.end - 1)
    dx, dy, dz = b.direction.T.tolist()
    ex, ey, ez = b.epoch_mean_g.T.tolist()
    return Rows(
        (np.isfinite(b.intensity_g) & (b.own_n > 0)).tolist(),
        b.gait_like.tolist(),
        list(zip(dx, dy, dz, strict=True)),
        b.cov_g2.tolist(),
        b.intensity_g.tolist(),
        list(zip(ex, ey, ez, strict=True)),
    )


def test_a_run_of_epochs_calibrates_as_one_epoch_at_a_time() -> None:
    r = _rows()
    batched = Calibrator().observe_run(r.learn, r.gait, r.directions, r.covs, r.intensity)
    single = Calibrator()
    one_by_one = []
    for i, use in enumerate(r.learn):
        if use:
            single.observe_epoch(r.gait[i], r.directions[i], r.covs[i], r.intensity[i])
        one_by_one.append(single.calibration)
    assert batched == one_by_one
    assert batched[-1] is not None and batched[-1].forward is not None


def test_a_run_of_still_epochs_clusters_as_one_epoch_at_a_time() -> None:
    r = _rows()
    cold = [use and not g for use, g in zip(r.learn, r.gait, strict=True)]
    batched = StillClusters().observe_run(cold, r.directions, r.epoch_means, r.intensity)
    single = StillClusters()
    one_by_one = []
    for i, use in enumerate(cold):
        if use:
            single.observe_epoch(r.directions[i], r.epoch_means[i], r.intensity[i])
        one_by_one.append(single.calibration)
    assert batched == one_by_one
    assert any(c is not None for c in batched)


postures = st.lists(
    st.tuples(st.sampled_from([S, T, W, C, U, L]), st.booleans()), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(postures, st.lists(st.integers(1, 59), max_size=6))
def test_runs_of_decisions_smooth_as_one_push_at_a_time(
    decisions: list[tuple[Posture, bool]], cuts: list[int]
) -> None:
    """Blips and ride bridging come out the same however the epochs are grouped."""
    single = Smoother()
    expected: list[tuple[int, Posture]] = []
    for i, (posture, has_data) in enumerate(decisions):
        expected.extend((d.index, d.posture) for d in single.push(Decision(i, posture, has_data)))
    expected.extend((d.index, d.posture) for d in single.flush())
    batched = Smoother()
    got: list[tuple[int, Posture]] = []
    bounds = [0, *sorted({c for c in cuts if c < len(decisions)}), len(decisions)]
    for lo, hi in pairwise(bounds):
        part = decisions[lo:hi]
        got.extend(batched.push_run(lo, [p for p, _ in part], [h for _, h in part]))
    got.extend(batched.flush_run())
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2)), min_size=1, max_size=40))
def test_stillness_is_counted_the_same_over_a_run(epochs: list[tuple[bool, int]]) -> None:
    """Non-wear over a run of epochs is the same as epoch by epoch, through moves and
    changes of angle (three directions, far enough apart to restart the count)."""
    angles = [(0.0, 0.0, 1.0), (0.0, 0.05, 0.99875), (0.1, 0.0, 0.99499)]
    quiet = [q for q, _ in epochs]
    directions = [angles[a] for _, a in epochs]
    batched = NonwearDetector(after_s=3).update_many(quiet, directions)
    single = NonwearDetector(after_s=3)
    one_by_one = [single.update_many([q], [d])[0] for q, d in zip(quiet, directions, strict=True)]
    assert batched == one_by_one


def test_epochs_built_in_bulk_are_ordinary_epochs() -> None:
    built = make_epochs([(3, S), (4, W)], 1.0)
    assert built == [Epoch(3.0, 4.0, S), Epoch(4.0, 5.0, W)]
    assert hash(built[0]) == hash(Epoch(3.0, 4.0, S))
    assert repr(built[1]) == repr(Epoch(4.0, 5.0, W))
