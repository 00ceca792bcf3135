"""Scripted truth for the simulator: run the classifier and score it against the script."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from collector.posture import Epoch, PostureClassifier
from collector.sources import Segment, Simulator
from sitless.wire.posture import Posture

# Every worn posture, each long enough to calibrate and to be judged, in 33 minutes.
COMPACT_DAY = (
    Segment(Posture.WALKING, 180),
    Segment(Posture.STANDING, 120),
    Segment(Posture.SITTING, 480),
    Segment(Posture.WALKING, 60),
    Segment(Posture.LYING, 300),
    Segment(Posture.WALKING, 60),
    Segment(Posture.CYCLING, 300),
    Segment(Posture.WALKING, 60),
    Segment(Posture.RUNNING, 120),
    Segment(Posture.WALKING, 60),
    Segment(Posture.SITTING, 240),
)
# Scripted changes are abrupt and the feature window spans 4 s: judge epochs at least
# this far from a change.
MARGIN_S = 3.0


def classify(sim: Simulator, chunk_s: float = 1.0, **options: object) -> list[Epoch]:
    """Run a fresh classifier over the whole simulation."""
    clf = PostureClassifier(sim.rate_hz, **options)  # type: ignore[arg-type]
    out: list[Epoch] = []
    for chunk in sim.chunks(chunk_s):
        out.extend(clf.feed(chunk.t, chunk.accel_g))
    out.extend(clf.flush())
    return out


def judged(sim: Simulator, epochs: Sequence[Epoch]) -> tuple[list[Posture], list[Posture]]:
    """Scripted and classified postures of the epochs away from scripted changes."""
    mids = np.array([(e.t_start + e.t_end) / 2 for e in epochs])
    changes = np.array([start for start, _, _ in sim.segment_bounds()[1:]])
    if changes.size:
        far = np.min(np.abs(mids[:, None] - changes[None, :]), axis=1) >= MARGIN_S
    else:
        far = np.ones(mids.size, dtype=bool)
    truth = sim.posture_at(mids[far])
    return truth, [e.posture for e, keep in zip(epochs, far, strict=True) if keep]


def accuracy(sim: Simulator, epochs: Sequence[Epoch]) -> float:
    """Share of judged epochs whose posture is the scripted one."""
    truth, got = judged(sim, epochs)
    return float(np.mean([a == b for a, b in zip(truth, got, strict=True)]))
